#include "cdc/follower_set.hpp"

#include <fmt/format.h>

#include "cdc/mysql_mirror.hpp"
#include "runtime/core/status.hpp"

namespace sluice::cdc {

absl::StatusOr<std::vector<std::unique_ptr<store::follower>>> followers_of(
    const ops::external_links& links, store::api& db, const log_fn& log) {
  std::vector<std::unique_ptr<store::follower>> followers;
  for (const auto& source : links.mysql_sources) {
    SLUICE_ASSIGN_OR_RETURN(auto table, db.find_table(source.store_table));
    followers.push_back(std::make_unique<mysql_mirror>(source, table, db, log));
  }
  for (const auto& target : links.postgres_sinks) {
    SLUICE_ASSIGN_OR_RETURN(auto table, db.find_table(target.store_table));
    followers.push_back(std::make_unique<postgres::sink>(target, table, db, log));
  }
  return followers;
}

follower_set::follower_set(store::api& db, log_fn log) : db_(db), log_(std::move(log)) {}

follower_set::~follower_set() {
  stop();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);  // a follower's thread takes it as it ends with an error
    threads.swap(threads_);
  }
  for (auto& thread : threads) thread.join();
}

absl::Status follower_set::follow(const ops::external_links& links) {
  SLUICE_ASSIGN_OR_RETURN(auto followers, followers_of(links, db_, log_));
  absl::MutexLock lock(&mu_);
  for (auto& follower : followers) {
    if (stopping_) return absl::UnavailableError("the coordinator is shutting down");
    const std::string name = follower->name();
    if (followed_.contains(name)) continue;
    if (auto checked = follower->check(); !checked.ok() && !absl::IsUnavailable(checked))
      return checked;
    followed_.insert(name);
    threads_.emplace_back([this, f = follower.get(), name] {
      auto status = f->run(stopping_, /*until_caught_up=*/false);
      if (status.ok()) return;
      log_(fmt::format("{} stopped: {}", name, std::string(status.message())));
      absl::MutexLock lock(&mu_);
      followed_.erase(name);  // a script that names it again follows it again
    });
    followers_.push_back(std::move(follower));
  }
  return absl::OkStatus();
}

void follower_set::stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

}  // namespace sluice::cdc

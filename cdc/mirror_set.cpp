#include "cdc/mirror_set.hpp"

#include <fmt/format.h>

#include "runtime/core/status.hpp"

namespace sluice::cdc {

mirror_set::mirror_set(store::api& db, mysql_mirror::log_fn log) : db_(db), log_(std::move(log)) {}

mirror_set::~mirror_set() {
  stop();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);  // a mirror's thread takes it as it ends with an error
    threads.swap(threads_);
  }
  for (auto& thread : threads) thread.join();
}

absl::Status mirror_set::follow(const ops::mysql_table_source& source) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the coordinator is shutting down");
  if (followed_.contains(source.store_table)) return absl::OkStatus();
  SLUICE_ASSIGN_OR_RETURN(auto table, db_.find_table(source.store_table));
  auto mirror = std::make_unique<mysql_mirror>(source, table, db_, log_);
  if (auto checked = mirror->check(); !checked.ok() && !absl::IsUnavailable(checked))
    return checked;
  followed_.insert(source.store_table);
  threads_.emplace_back([this, m = mirror.get(), table = source.store_table] {
    auto status = m->run(stopping_, /*until_caught_up=*/false);
    if (status.ok()) return;
    log_(fmt::format("{} stopped: {}", m->name(), std::string(status.message())));
    absl::MutexLock lock(&mu_);
    followed_.erase(table);  // a script that names it again follows it again
  });
  mirrors_.push_back(std::move(mirror));
  return absl::OkStatus();
}

void mirror_set::stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

}  // namespace sluice::cdc

// The followers a cluster's coordinator runs for the jobs' external tables: a mirror per
// mysql-cdc store table and a sink per PostgreSQL table, each on a thread of its own, from the
// first submitted script that names it (or, after a restart, the first resumed job whose script
// does) until stop(). What `sluice run` does for its own scripts, for the jobs of a cluster.
#pragma once

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/synchronization/mutex.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "operators/script.hpp"
#include "runtime/store/follower.hpp"

namespace sluice::cdc {

using log_fn = store::follower::log_fn;

// The followers of `links`, reading and writing store tables through `db`: mirrors first.
absl::StatusOr<std::vector<std::unique_ptr<store::follower>>> followers_of(
    const ops::external_links& links, store::api& db, const log_fn& log);

class follower_set {
 public:
  // `db` must outlive the set, whose destructor waits for every follower's thread.
  follower_set(store::api& db, log_fn log);
  ~follower_set();
  follower_set(const follower_set&) = delete;
  follower_set& operator=(const follower_set&) = delete;

  // Follows each of `links` that is not followed already. Each is checked first: a missing
  // table or column, or access denied, is returned and nothing more is followed; a server that
  // cannot be reached now is retried by the follower. Blocks while it checks. Thread-safe.
  absl::Status follow(const ops::external_links& links);
  // Asks every follower to end at its next step (a store call under way ends first: close the
  // store client to end one that waits for an absent store) and follows nothing more.
  void stop();

 private:
  store::api& db_;
  log_fn log_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::set<std::string> followed_ ABSL_GUARDED_BY(mu_);  // by name
  std::vector<std::unique_ptr<store::follower>> followers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice::cdc

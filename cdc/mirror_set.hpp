// The mysql-cdc mirrors a cluster's coordinator follows: one per store table, each on a thread
// of its own, from the first submitted script that names the table (or, after a restart, the
// first resumed job whose script does) until stop(). What `sluice run` does for its own scripts,
// for the jobs of a cluster.
#pragma once

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/synchronization/mutex.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cdc/mysql_mirror.hpp"

namespace sluice::cdc {

class mirror_set {
 public:
  // `db` must outlive the set, whose destructor waits for every mirror's thread.
  mirror_set(store::api& db, mysql_mirror::log_fn log);
  ~mirror_set();
  mirror_set(const mirror_set&) = delete;
  mirror_set& operator=(const mirror_set&) = delete;

  // Follows `source` unless its store table is followed already. The server is checked first:
  // a missing table or column, or access denied, is returned and nothing is followed; a server
  // that cannot be reached now is retried by the mirror. Blocks while it checks. Thread-safe.
  absl::Status follow(const ops::mysql_table_source& source);
  // Asks every mirror to end at its next step (a store call under way ends first: close the
  // store client to end one that waits for an absent store) and follows nothing more.
  void stop();

 private:
  store::api& db_;
  mysql_mirror::log_fn log_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::set<std::string> followed_ ABSL_GUARDED_BY(mu_);  // store tables
  std::vector<std::unique_ptr<mysql_mirror>> mirrors_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice::cdc

// A follower keeps a table in step with a log on the other side of a process boundary: a mirror
// brings a database's changes into a store table (cdc::mysql_mirror), a sink takes a store table's
// changes out to a database (postgres::sink). Each keeps its own position durably next to what it
// writes, so that a follower restarted after any crash resumes where it stands.
#pragma once

#include <absl/status/status.h>

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

namespace sluice::store {

class follower {
 public:
  using log_fn = std::function<void(std::string_view line)>;
  virtual ~follower() = default;
  // Connects once and checks what the follower reads and writes; Unavailable when the other
  // side cannot be reached now (run retries that).
  virtual absl::Status check() = 0;
  // Follows until `stop` is set, or with `until_caught_up` until it has caught up with what its
  // log held when it began. Retries outages; returns any other error.
  virtual absl::Status run(const std::atomic<bool>& stop, bool until_caught_up) = 0;
  // What it follows, for logs; never a password.
  virtual const std::string& name() const = 0;

 protected:
  // Runs pass(progressed) until it returns OK or an error other than Unavailable. An
  // Unavailable one is logged and retried after a backoff (100 ms doubling to 5 s, from 100 ms
  // again after a pass that progressed), unless `stop` is set: then it ends with OK.
  absl::Status retry_outages(const std::atomic<bool>& stop, const log_fn& log,
                             const std::function<absl::Status(bool& progressed)>& pass) const;
};

}  // namespace sluice::store

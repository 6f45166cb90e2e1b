// A randomized schedule of faults for one chaos run, drawn from a seed: the same seed, faults,
// workers and duration always give the same schedule, so a run that found a difference can be
// replayed.
#pragma once

#include <absl/status/statusor.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::chaos {

enum class fault_kind {
  kill_worker,        // SIGKILL, started again after the pause
  stop_worker,        // SIGSTOP for the pause, then SIGCONT
  kill_coordinator,   // SIGKILL, started again after the pause
  stop_coordinator,   // SIGSTOP for the pause, then SIGCONT
  kill_store,         // SIGKILL, started again after the pause
  join_worker,        // one more worker joins the cluster
  partition,          // a worker's host cut off the other hosts for the pause, then joined again
  slow_link,          // a worker's host's link throttled for the pause
};

// "kill-worker", "stop-worker", ...: the names --faults takes.
std::string_view fault_name(fault_kind kind);
// Every kind, in the order above.
const std::vector<fault_kind>& all_faults();
// Whether `kind` needs hosts of their own (network namespaces): partition, slow-link.
bool is_network_fault(fault_kind kind);
// A comma-separated list of names ("kill-worker,stop-store"); InvalidArgument names an unknown one.
absl::StatusOr<std::vector<fault_kind>> parse_faults(std::string_view list);

struct fault {
  fault_kind kind;
  std::chrono::milliseconds at;     // after the run's start
  std::chrono::milliseconds pause;  // how long the process stays down or stopped
  uint32_t target = 0;              // the worker's index, for worker faults
  bool changes = false;             // updates and deletes of source rows come during it
};

struct schedule_options {
  uint64_t seed = 1;
  std::vector<fault_kind> kinds = all_faults();
  uint32_t workers = 2;
  std::chrono::milliseconds duration{20000};  // the faults begin and end within it
};

// Two to five faults, in time order, one at a time: each begins after the one before has ended
// and the cluster has had time to resume, and all end a second before the duration.
std::vector<fault> draw_schedule(const schedule_options& options);

// "at 3.2 s: kill-worker 1 for 0.8 s (with changes)"
std::string describe(const fault& f);

}  // namespace sluice::chaos

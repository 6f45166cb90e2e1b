// The job actor: drives one job on a set of workers (coordinator/coordinator_actor's members in
// a cluster, the worker threads' actors in `sluice run`). It assigns the work, drives aligned
// checkpoints every checkpoint interval, records each complete one in the store, and moves the
// work when the workers change:
//
// - Assignment: every worker gets one reducer, with a contiguous range of the 128 key groups
//   (ops::reducer_of), and the channels c with c mod workers = its index, one source each. Each
//   assignment has a new epoch; in a cluster the job's record in the store carries it, and the
//   store refuses writes of older epochs (see store::fence).
// - A worker lost, or an actor of the job failed: the pending checkpoint is dropped and the job
//   is assigned anew over the workers there are, resuming from the last complete checkpoint
//   (sources seek back to its offsets, reducers load its snapshots). In `sluice run` a failure
//   ends the job instead (with the error), and it resumes when run again.
// - A worker joined: a checkpoint is taken at once and the job is assigned anew from it, so
//   nothing is replayed and the job does not stop.
//
// It ends when stopped (after a final checkpoint; a cluster job's record is marked stopped),
// when its process stops (after a final checkpoint too, the record left to be resumed),
// when `until_drained` and every channel is read to the end it had at the start, or on a
// failure in `sluice run`. Monitors learn the outcome from its down message. Its messages are
// listed in messaging/atoms.hpp.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "protocol/checkpoint_round.hpp"
#include "runtime/store/api.hpp"

namespace sluice::coordinator {

struct job_config {
  std::shared_ptr<const ops::job_plan> plan;
  std::string script;       // the statements that define it: workers plan the job from them
  store::api* db = nullptr;  // outlives the actor system
  std::vector<caf::actor> workers;  // at the start; (workers_atom, ...) changes them
  // A cluster job: its record, which is kept up to date in the store (the epoch of each
  // assignment, stopped). A failure then reassigns the work instead of ending the job.
  std::optional<store::job_record> record;
  bool until_drained = false;
  caf::actor listener;  // gets (done_atom, job_summary) when the job ends well; may be null
};

// The end offsets of the job's input channels (ops::job_plan::channels()).
absl::StatusOr<std::vector<uint64_t>> input_end_offsets(const ops::job_plan& plan,
                                                        const store::api& db);

// Where a job starts: its last complete checkpoint, or offsets 0 when it has none. An error
// when the checkpoint location holds checkpoints of another computation or of another number
// of channels.
absl::StatusOr<store::checkpoint> resume_point(const ops::job_plan& plan, const store::api& db);

// What one worker does for a job.
struct job_share {
  caf::actor worker;
  std::vector<uint32_t> channels;
  uint32_t first_group = 0;  // its key groups: [first_group, end_group)
  uint32_t end_group = 0;
};

// A job's progress, for progress lines and `sluice jobs`.
// A complete checkpoint, for the dashboard's history.
struct checkpoint_entry {
  uint64_t id = 0;
  double ms = 0;        // barrier to record
  uint64_t bytes = 0;   // its snapshots
  int64_t unix_ms = 0;  // when it completed
};

struct job_status {
  std::string state;                // waiting for workers, assigning, running, stopping
  std::vector<std::string> inputs;  // the tables it reads (two with a join)
  std::string sink;                 // the table it writes
  uint64_t epoch = 0;               // of the current assignment
  std::vector<job_share> shares;
  uint64_t rows = 0;                // records read up to the last checkpoint, since the start
  double rows_per_second = 0;       // between the last two checkpoints
  std::vector<uint64_t> lag;        // per channel: records after the last checkpoint's offset
  uint64_t late = 0;                // source rows that came for windows already final
  uint64_t last_checkpoint = 0;     // 0: none yet
  double last_checkpoint_ms = 0;    // how long it took, barrier to record
  int64_t last_checkpoint_unix_ms = 0;
  uint64_t reassignments = 0;       // after the first assignment
  // The checkpoints of this run: how many, their durations' sum and per bucket of
  // checkpoint_buckets (a duration counts in the first bucket at or above it; the last entry:
  // longer than every bucket).
  uint64_t checkpoints = 0;
  double checkpoint_seconds = 0;
  std::vector<uint64_t> checkpoint_counts;
  uint64_t failures = 0;            // of this run, each resumed from the last checkpoint
  std::string last_failure;         // what the last one was
  uint64_t checkpoints_failed = 0;  // begun by this run and never completed
  uint64_t last_checkpoint_bytes = 0;  // the snapshots of the last one
  std::vector<checkpoint_entry> history;  // the last ones of this run, oldest first
  uint64_t sink_rows = 0;           // sink row changes written by this run
  // The reducers' store writes at each checkpoint (sink rows and snapshot): how many, their
  // durations' sum and per bucket of checkpoint_buckets, as checkpoint_counts.
  uint64_t store_writes = 0;
  double store_write_seconds = 0;
  std::vector<uint64_t> store_write_counts;
};

// How many complete checkpoints job_status::history keeps.
inline constexpr size_t history_length = 30;

// The upper bounds, in seconds, of the buckets of job_status::checkpoint_counts.
inline constexpr double checkpoint_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,  1,     2.5,  5, 10};

// How a job went, for the line `sluice run` prints when it ends.
struct job_summary {
  uint64_t rows = 0;             // records read by this run
  double seconds = 0;            // from the start to the last checkpoint
  uint64_t checkpoints = 0;      // taken by this run
  double max_checkpoint_ms = 0;  // the longest, barrier to record
  double mean_checkpoint_ms = 0;
  double p50_checkpoint_ms = 0;
  double p99_checkpoint_ms = 0;
  uint64_t late = 0;
};

enum class job_phase { waiting, assigning, running };

struct job_state {
  job_config config;
  std::vector<caf::actor> members;   // the workers there are
  job_phase phase = job_phase::waiting;
  uint64_t epoch = 0;                // of the current assignment
  std::vector<caf::actor> assigned;  // its workers; reducer r runs on assigned[r]
  std::vector<caf::actor> reducers;
  std::vector<caf::actor> joiners;   // with a join: joiner r runs on assigned[r]
  std::vector<caf::actor> sources;   // per channel
  std::vector<uint32_t> channel_worker;  // per channel: index into assigned
  // The workers of the last assignment (before the first: of the checkpoint the job resumes
  // from). Once as many are registered, a waiting job is assigned without the settle pause.
  uint32_t workers_before = 0;
  uint32_t replies = 0;              // of the assignment's requests
  bool reassign = false;             // at the next complete checkpoint (a worker joined)
  bool stopping = false;
  bool leaving = false;              // its process stops: a final checkpoint, not marked stopped
  std::vector<caf::response_promise> stop_replies;
  struct waiter {
    std::vector<uint64_t> ends;
    caf::response_promise reply;
  };
  std::vector<waiter> waiters;       // for the job to be caught up
  std::vector<uint64_t> targets;     // end offsets at the start (until_drained)
  std::vector<uint64_t> start_offsets;   // where this run began
  std::vector<uint64_t> committed;   // of the last complete checkpoint
  int64_t watermark = std::numeric_limits<int64_t>::min();  // of the assignment's checkpoint
  std::vector<uint64_t> idle_at;     // per channel: where its source last found it empty
  std::vector<uint64_t> late;        // per reducer, as of the last complete checkpoint
  uint32_t drained_sources = 0;
  uint64_t checkpoint = 0;           // the last complete one
  uint64_t first_snapshot = 0;       // the current assignment's first checkpoint
  protocol::checkpoint_round round;  // the one in progress
  bool tick_missed = false;          // a tick came while it was: the next is due at its end
  caf::actor io;                     // its store I/O actor
  std::chrono::steady_clock::time_point last_complete;
  int64_t last_complete_unix_ms = 0;
  double rows_per_second = 0;
  double last_checkpoint_ms = 0;
  std::vector<double> checkpoint_ms;  // how long each checkpoint of this run took
  std::vector<uint64_t> checkpoint_counts = std::vector<uint64_t>(std::size(checkpoint_buckets) + 1);
  double checkpoint_seconds = 0;      // their sum
  uint64_t checkpoints = 0;          // taken by this run
  uint64_t assignments = 0;
  uint32_t failures = 0;             // of actors, since the last complete checkpoint
  uint64_t failures_total = 0;       // of this run
  std::string last_failure;
  uint64_t checkpoints_failed = 0;
  uint64_t round_bytes = 0;          // snapshot bytes of the round in progress
  std::deque<checkpoint_entry> history;  // the last history_length complete ones
  uint64_t sink_rows = 0;
  uint64_t store_writes = 0;
  double store_write_seconds = 0;
  std::vector<uint64_t> store_write_counts = std::vector<uint64_t>(std::size(checkpoint_buckets) + 1);
  std::chrono::steady_clock::time_point started;
  static inline const char* name = "sluice.job";
};

caf::behavior job_actor(caf::stateful_actor<job_state>* self, job_config config);

}  // namespace sluice::coordinator

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::coordinator::job_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::coordinator::job_summary)

// The coordinator of one running job: it starts the job from its last complete checkpoint
// (spawning one source per channel and the reducers, key groups spread evenly), drives aligned
// checkpoints every checkpoint interval, records each complete one in the store, and ends the
// job when asked to stop (after a final checkpoint), when `until_drained` and every channel is
// read up to the end it had at the start, or on any failure.
//
// Messages it takes:
//   (status_atom) -> job_status   progress, for the progress line
//   (stop_atom)                   end after a final checkpoint
// The job actor exits when the job ends: normally when stopped or drained, with an error on any
// failure, so monitors learn the outcome from its down message.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "runtime/store/store.hpp"

namespace sluice::coordinator {

struct job_config {
  std::shared_ptr<const ops::job_plan> plan;
  store::store* db = nullptr;  // outlives the actor system
  uint32_t reducers = 1;
  bool until_drained = false;
  caf::actor listener;  // gets (done_atom, job_summary) when the job ends well; may be null
};

// What the progress line shows.
struct job_status {
  uint64_t rows = 0;                 // records read since the job started
  uint64_t lag = 0;                  // records behind the channels' ends
  uint64_t late = 0;                 // source rows that came for windows already final
  uint64_t last_checkpoint = 0;      // 0: none yet
  double last_checkpoint_ms = 0;     // how long it took, barrier to record
};

// How a job went, for the line `sluice run` prints when it ends.
struct job_summary {
  uint64_t rows = 0;             // records read by this run
  double seconds = 0;            // from the start to the last checkpoint
  uint64_t checkpoints = 0;      // taken by this run
  double max_checkpoint_ms = 0;  // the longest, barrier to record
  double mean_checkpoint_ms = 0;
  uint64_t late = 0;
};

struct job_state {
  job_config config;
  std::vector<caf::actor> sources;
  std::vector<caf::actor> reducers;
  std::vector<uint64_t> targets;      // end offsets at the start (until_drained)
  std::vector<uint64_t> offsets;      // of the checkpoint in progress
  std::vector<uint64_t> rows;         // per source, as last reported
  std::vector<uint64_t> late;         // per reducer, as last reported
  uint32_t offsets_in = 0;
  uint32_t acks_in = 0;
  uint64_t checkpoint = 0;            // the last complete one
  uint64_t pending = 0;               // the one in progress; 0: none
  std::chrono::steady_clock::time_point pending_since;
  double last_checkpoint_ms = 0;
  double max_checkpoint_ms = 0;
  double total_checkpoint_ms = 0;
  uint64_t checkpoints = 0;            // taken by this run
  uint32_t drained_sources = 0;
  std::chrono::steady_clock::time_point started;
  bool stopping = false;
  static inline const char* name = "sluice.job";
};

caf::behavior job_actor(caf::stateful_actor<job_state>* self, job_config config);

}  // namespace sluice::coordinator

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::coordinator::job_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::coordinator::job_summary)

// The reducer actor: owns the state of some key groups of a job. It merges the partial batches
// of every source, and at a checkpoint barrier aligns its inputs: once a source has sent
// Barrier(n), that source's further batches are held back until every source has sent it. Then
// it takes the changed groups' sink rows and a snapshot of its state for n, hands them to its
// checkpoint writer (which stores them and acks n to the coordinator), and goes on with the
// held-back batches at once.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/reducer_state.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

struct reducer_config {
  std::shared_ptr<const ops::job_plan> plan;
  store::api* db = nullptr;  // outlives the actor system
  // The job and epoch of the assignment this reducer belongs to: its writes are fenced with
  // them (they pass unless the store's record of the job has a newer epoch; `sluice run` keeps
  // no records).
  store::fence fence;
  uint32_t index = 0;          // this reducer's number: the snapshot part it writes
  uint32_t sources = 0;        // inputs to align: one per channel
  caf::actor coordinator;
  // The checkpoint to start from, whose snapshots are the parts of checkpoints restore_first..
  // restore_checkpoint, and the key groups this reducer owns; no parts: a fresh start.
  uint64_t restore_checkpoint = 0;
  uint64_t restore_first = 0;
  uint32_t restore_parts = 0;
  std::vector<bool> owns;  // per key group
};

// An input held back during alignment: a partial batch (with its pending reply), or the
// source's next barrier.
struct held_batch {
  std::vector<char> bytes;
  caf::response_promise reply;
  bool is_barrier = false;
  uint64_t checkpoint = 0;
  int64_t watermark = 0;
};

struct reducer_state {
  reducer_config config;
  std::unique_ptr<ops::reducer_state> groups;
  uint64_t aligning = 0;             // the checkpoint whose barriers are arriving
  uint64_t aligned = 0;              // the last checkpoint aligned: older barriers are stale
  std::vector<bool> barrier_seen;    // per source
  std::vector<int64_t> watermarks;   // per source, from its last barrier; lowest: unknown
  uint32_t barriers = 0;
  std::vector<std::deque<held_batch>> held;  // per source, while its barrier is seen
  caf::actor writer;                 // its checkpoint_writer
  bool snapshotted = false;          // a snapshot was taken: the next one need not image all
  bool stopping = false;             // failed or told to exit: it ends once its writer has
  static inline const char* name = "sluice.reducer";
};

caf::behavior reducer_actor(caf::stateful_actor<reducer_state>* self, reducer_config config);

}  // namespace sluice::worker

// The reducer actor: owns the state of some key groups of a job. It first restores its state
// from the checkpoint it is given (through its store I/O actor, its mailbox waiting meanwhile),
// then merges the partial batches of every source and aligns their checkpoint barriers
// (protocol::barrier_alignment). At each aligned barrier it takes the changed groups' sink rows
// and a snapshot of its state, hands them to its checkpoint writer (which stores them and acks
// the checkpoint to the coordinator), and goes on with the held-back batches at once.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/reducer_state.hpp"
#include "protocol/barrier_alignment.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

struct reducer_config {
  std::shared_ptr<const ops::job_plan> plan;
  store::api* db = nullptr;  // outlives the actor system
  // The job and epoch of the assignment this reducer belongs to: its writes are fenced with
  // them (they pass unless the store's record of the job has a newer epoch; `sluice run` keeps
  // no records).
  store::fence fence;
  uint32_t index = 0;          // this reducer's number
  uint32_t sources = 0;        // inputs to align: one per channel
  caf::actor coordinator;
  std::vector<bool> owns;      // per key group
  store::slot_range slots;     // where its snapshots go: its key groups'
  // The checkpoint to start from, whose snapshots are those of checkpoints restore_first..
  // restore_checkpoint (restore_parts of each; none: a fresh start), stored by key group (the
  // reducer reads its own slots, and its snapshots go on with them: protocol::
  // continues_snapshots) or, from an older Sluice, a part per reducer in slots 0.. (it reads
  // them all, and its first snapshot images everything).
  uint64_t restore_checkpoint = 0;
  uint64_t restore_first = 0;
  uint32_t restore_parts = 0;
  bool restore_by_key_group = true;
};

// A partial batch with its pending reply (the source's credit).
struct partial_input {
  std::vector<char> bytes;
  caf::response_promise reply;
};

struct reducer_state {
  reducer_config config;
  std::unique_ptr<ops::reducer_state> groups;
  std::unique_ptr<protocol::barrier_alignment<partial_input>> alignment;
  caf::actor io;
  caf::actor writer;                 // its checkpoint_writer
  store::slot_range restore_slots;   // what it reads of each checkpoint it restores
  bool snapshotted = false;          // the next snapshot need not image all (one was taken, or
                                     // the restored ones go on)
  bool stopping = false;             // failed or told to exit: it ends once its writer has
  static inline const char* name = "sluice.reducer";
};

caf::behavior reducer_actor(caf::stateful_actor<reducer_state>* self, reducer_config config);

}  // namespace sluice::worker

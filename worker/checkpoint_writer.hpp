// The checkpoint writer: the reducer's own I/O thread. At each aligned barrier the reducer takes,
// from its state as of the barrier, the changed sink rows and a snapshot, hands them here and goes
// on merging; the writer stores the sink intent (which groups it is about to write), upserts the
// rows into the sink, stores the snapshot, and then acks the checkpoint to the coordinator. Its
// store calls block, so it runs detached (a thread of its own) and nothing else waits on it.
// Requests are served in the order they come, so the sink sees the checkpoints' rows in order.
//
// Only its reducer talks to it, in the same process: checkpoint_output never crosses a process,
// which is why it travels as a plain (move-only) struct rather than as Cap'n Proto bytes.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/row_batch.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

// What one reducer writes for one checkpoint.
struct checkpoint_output {
  checkpoint_output(uint64_t id, row_batch sink_rows) : checkpoint(id), changes(std::move(sink_rows)) {}
  uint64_t checkpoint;
  row_batch changes;                        // sink rows: puts and deletes
  std::vector<std::vector<char>> intent;    // SinkIntent messages of their groups (none: no rows)
  std::optional<row_batch> late;            // rows for the late-row table, if any came
  std::vector<store::snapshot_chunk> snapshot;  // PartialBatch messages of its groups, by slot
  uint64_t late_rows = 0;                   // so far, for the ack
  int64_t watermark = 0;                    // as of the checkpoint, for the ack
};

struct checkpoint_writer_config {
  store::api* db = nullptr;  // outlives the actor system
  std::string job;           // the checkpoint location: where snapshots are kept
  store::fence fence;
  uint32_t part = 0;         // the reducer's index (a joiner's follows the reducers')
  store::slot_range slots;   // of its key groups: the snapshot replaces what they held
  caf::actor coordinator;
};

struct checkpoint_writer_state {
  checkpoint_writer_config config;
  static inline const char* name = "sluice.checkpoint_writer";
};

caf::behavior checkpoint_writer(caf::stateful_actor<checkpoint_writer_state>* self,
                                checkpoint_writer_config config);

}  // namespace sluice::worker

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<sluice::worker::checkpoint_output>)

// The joiner actor of a job with a join (ops::job_plan::join): it owns the join state of some key
// groups, between the sources of both sides and the reducers. It restores its state from the
// checkpoint it is given (the snapshot slots of its key groups), then merges the join batches
// of every source, aligning their barriers (protocol::barrier_alignment). The joined rows each
// batch adds or retracts go through the job's partial aggregator to the reducers, as a source's
// rows would; a source's batch is acknowledged (its credit) once the reducers have taken what it
// gave. At each aligned barrier its checkpoint writer stores a snapshot of the join state, and the
// barrier goes on to every reducer.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <vector>

#include "operators/join.hpp"
#include "operators/partial_aggregator.hpp"
#include "protocol/barrier_alignment.hpp"
#include "runtime/store/api.hpp"
#include "worker/reducer_actor.hpp"

namespace sluice::worker {

struct joiner_config {
  std::shared_ptr<const ops::job_plan> plan;
  store::api* db = nullptr;  // outlives the actor system
  store::fence fence;
  uint32_t index = 0;     // this joiner's number; its key groups are ops::reducer_of's for it
  uint32_t part = 0;      // its number among a checkpoint's snapshots (after the reducers')
  uint32_t sources = 0;   // inputs to align: one per channel of both sides
  std::vector<caf::actor> reducers;
  caf::actor coordinator;
  std::vector<bool> owns;   // per key group
  store::slot_range slots;  // where its snapshots go: its key groups', after the reducers'
  // The checkpoint to start from, as a reducer's (reducer_config); an older Sluice's parts are
  // the reducers', then as many joiners'.
  uint64_t restore_checkpoint = 0;
  uint64_t restore_first = 0;
  uint32_t restore_parts = 0;
  bool restore_by_key_group = true;
};

struct joiner_state {
  joiner_config config;
  std::unique_ptr<ops::join_state> join;
  std::unique_ptr<ops::partial_aggregator> partial;  // the joined rows, for the reducers
  std::unique_ptr<protocol::barrier_alignment<partial_input>> alignment;
  std::vector<uint32_t> owner;  // key group -> reducer
  caf::actor io;
  caf::actor writer;
  store::slot_range restore_slots;  // what it reads of each checkpoint it restores
  bool snapshotted = false;
  bool stopping = false;
  static inline const char* name = "sluice.joiner";
};

caf::behavior joiner_actor(caf::stateful_actor<joiner_state>* self, joiner_config config);

}  // namespace sluice::worker

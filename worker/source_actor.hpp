// The source actor: one per channel of a job's source table. It reads record batches from the
// channel through its store I/O actor, runs them through the job's partial aggregator, and sends
// the deltas to the reducers that own their key groups; when to read and when to wait for credit
// is protocol::source_flow's. A barrier from the coordinator is handled between two batches:
// forwarded to every reducer, and the channel offset reported.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/join.hpp"
#include "operators/partial_aggregator.hpp"
#include "protocol/source_flow.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

struct source_config {
  std::shared_ptr<const ops::job_plan> plan;
  store::api* db = nullptr;  // outlives the actor system
  uint64_t epoch = 0;        // of the assignment this source belongs to
  // The job's input channel (ops::job_plan::channels(): with a join, the right side's channels
  // follow the left's).
  uint32_t channel = 0;
  uint64_t offset = 0;  // where to start reading
  // Where to stop reading (a job run until drained): reaching it is reported to the
  // coordinator once. UINT64_MAX: never.
  uint64_t end_offset = UINT64_MAX;
  // The reducers' watermark at the checkpoint the source starts from: windows it closed are
  // final, whatever this source's own watermark says.
  int64_t watermark = std::numeric_limits<int64_t>::min();
  // Where its rows go: the reducers, or with a join the joiners.
  std::vector<caf::actor> reducers;
  std::vector<uint32_t> owner;  // key group -> index into reducers
  caf::actor coordinator;
  uint32_t max_in_flight = 4;
};

struct source_state {
  source_config config;
  std::unique_ptr<ops::partial_aggregator> partial;  // without a join
  std::unique_ptr<ops::join_router> router;          // with one
  std::shared_ptr<const table_schema> table;         // the table it reads
  uint32_t table_channel = 0;                        // and which of its channels
  std::unique_ptr<protocol::source_flow> flow;
  caf::actor io;
  // The batch that came back from the store, until the flow says to process it.
  std::optional<store::change_batch> batch;
  static inline const char* name = "sluice.source";
};

caf::behavior source_actor(caf::stateful_actor<source_state>* self, source_config config);

}  // namespace sluice::worker

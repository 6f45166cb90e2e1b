// The source actor: one per channel of a job's source table. It pulls record batches from the
// channel, runs them through the job's partial aggregator, and sends the deltas to the reducers
// that own their key groups, with at most `max_in_flight` unacknowledged batches per reducer (a
// slow reducer stops the pulling instead of growing a mailbox). A barrier from the coordinator
// is handled between two batches: forwarded to every reducer, and the channel offset reported.
// A channel found empty is looked at again after 10 ms, then after twice as long each time it
// is still empty, up to 160 ms: an idle job costs next to nothing, a new row waits at most that.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/partial_aggregator.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

struct source_config {
  std::shared_ptr<const ops::job_plan> plan;
  store::api* db = nullptr;  // outlives the actor system
  uint64_t epoch = 0;        // of the assignment this source belongs to
  uint32_t channel = 0;
  uint64_t offset = 0;  // where to start reading
  // Where to stop reading (a job run until drained): reaching it is reported to the
  // coordinator once. UINT64_MAX: never.
  uint64_t end_offset = UINT64_MAX;
  std::vector<caf::actor> reducers;
  std::vector<uint32_t> owner;  // key group -> index into reducers
  caf::actor coordinator;
  uint32_t max_in_flight = 4;
};

struct source_state {
  source_config config;
  std::unique_ptr<ops::partial_aggregator> partial;
  std::vector<uint32_t> in_flight;  // per reducer
  bool waiting_for_credit = false;
  bool drained = false;
  std::chrono::milliseconds idle_wait{0};  // before the next look at a channel found empty
  static inline const char* name = "sluice.source";
};

caf::behavior source_actor(caf::stateful_actor<source_state>* self, source_config config);

}  // namespace sluice::worker

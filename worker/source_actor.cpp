#include "worker/source_actor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "messaging/atoms.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;

// How long an idle source waits before looking at its channel again: the first time, and at most.
constexpr auto first_idle_wait = std::chrono::milliseconds(10);
constexpr auto max_idle_wait = std::chrono::milliseconds(160);
// A reducer that does not acknowledge a batch within this long is taken as lost.
constexpr auto partial_timeout = std::chrono::seconds(30);

bool has_credit(const source_state& state) {
  for (uint32_t n : state.in_flight)
    if (n >= state.config.max_in_flight) return false;
  return true;
}

void fail(caf::stateful_actor<source_state>* self, const std::string& what) {
  self->send(self->state.config.coordinator, fail_atom::value, self->state.config.epoch,
             fmt::format("source of channel {}: {}", self->state.config.channel, what));
  self->quit();
}

void pull(caf::stateful_actor<source_state>* self) {
  auto& state = self->state;
  auto& config = state.config;
  if (!has_credit(state)) {
    state.waiting_for_credit = true;
    return;
  }
  if (config.offset >= config.end_offset) {
    if (!state.drained)
      self->send(config.coordinator, drained_atom::value, config.epoch, config.channel);
    state.drained = true;
    return;
  }
  auto batch = config.db->read_channel(
      *config.plan->source.table, config.channel, config.offset,
      std::min<uint64_t>(config.plan->source.max_records, config.end_offset - config.offset));
  if (!batch.ok()) return fail(self, std::string(batch.status().message()));
  if (batch->empty()) {
    state.idle_wait = std::clamp(state.idle_wait * 2, first_idle_wait, max_idle_wait);
    self->delayed_send(self, state.idle_wait, pull_atom::value);
    return;
  }
  state.idle_wait = std::chrono::milliseconds(0);
  state.partial->on_batch(*batch);
  config.offset = batch->end_offset();
  auto messages = state.partial->flush(config.owner, static_cast<uint32_t>(config.reducers.size()),
                                       0, config.channel);
  for (uint32_t r = 0; r < messages.size(); ++r) {
    if (messages[r].empty()) continue;
    ++state.in_flight[r];
    self->request(config.reducers[r], partial_timeout, partial_atom::value, config.channel,
                  std::move(messages[r]))
        .then(
            [self, r](ok_atom) {
              --self->state.in_flight[r];
              if (self->state.waiting_for_credit && has_credit(self->state)) {
                self->state.waiting_for_credit = false;
                self->send(self, pull_atom::value);
              }
            },
            [self](const caf::error& error) { fail(self, self->system().render(error)); });
  }
  self->send(self, pull_atom::value);
}

}  // namespace

caf::behavior source_actor(caf::stateful_actor<source_state>* self, source_config config) {
  self->state.config = std::move(config);
  self->state.partial = std::make_unique<ops::partial_aggregator>(self->state.config.plan);
  self->state.in_flight.assign(self->state.config.reducers.size(), 0);
  self->send(self, pull_atom::value);
  return {
      [self](pull_atom) { pull(self); },
      [self](barrier_atom, uint64_t checkpoint) {
        // Every batch read so far has been flushed: the barrier follows its partials on every
        // link, and the offset marks where the next checkpoint's records begin.
        auto& config = self->state.config;
        // The watermark: the largest event time seen, less the allowed lateness; unknown
        // (lowest) before any record or without a lateness.
        int64_t watermark = std::numeric_limits<int64_t>::min();
        const auto& lateness = config.plan->options.lateness;
        int64_t seen = self->state.partial->max_event_time();
        if (lateness && seen != std::numeric_limits<int64_t>::min())
          watermark = seen - absl::ToInt64Microseconds(*lateness);
        for (const auto& reducer : config.reducers)
          self->send(reducer, barrier_atom::value, checkpoint, config.channel, watermark);
        self->send(config.coordinator, offset_atom::value, config.epoch, checkpoint,
                   config.channel, config.offset);
      },
  };
}

}  // namespace sluice::worker

#include "worker/source_actor.hpp"

#include <fmt/format.h>

#include <limits>

#include "messaging/atoms.hpp"
#include "worker/store_io.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<source_state>*;
using flow_command = protocol::source_flow::command;

// A reducer that does not acknowledge a batch within this long is taken as lost.
constexpr auto partial_timeout = std::chrono::seconds(30);

void fail(self_ptr self, const std::string& what) {
  self->send(self->state.config.coordinator, fail_atom::value, self->state.config.epoch,
             fmt::format("source of channel {}: {}", self->state.config.channel, what));
  self->quit();
}

void carry_out(self_ptr self, const std::vector<flow_command>& commands);

void read(self_ptr self, uint64_t from, uint64_t max) {
  auto table = self->state.table;
  uint32_t channel = self->state.table_channel;
  ask_store(
      self, self->state.io,
      [table, channel, from, max](store::api& db) {
        return db.read_channel(*table, channel, from, max);
      },
      [self](absl::StatusOr<store::change_batch> batch) {
        if (!batch.ok()) return fail(self, std::string(batch.status().message()));
        uint64_t records = batch->size(), end = batch->end_offset();
        self->state.batch = *std::move(batch);
        std::vector<flow_command> commands;
        self->state.flow->on_read(records, end, commands);
        carry_out(self, commands);
      });
}

void process(self_ptr self) {
  auto& state = self->state;
  auto& config = state.config;
  auto added = state.router ? state.router->on_batch(*state.batch) : state.partial->on_batch(*state.batch);
  state.batch.reset();
  if (!added.ok()) return fail(self, std::string(added.message()));
  const auto downstream = static_cast<uint32_t>(config.reducers.size());
  auto messages = state.router ? state.router->flush(config.owner, downstream, config.epoch, config.channel)
                               : state.partial->flush(config.owner, downstream, 0, config.channel);
  for (uint32_t r = 0; r < messages.size(); ++r) {
    if (messages[r].empty()) continue;
    state.flow->sent(r);
    self->request(config.reducers[r], partial_timeout, partial_atom::value, config.channel,
                  std::move(messages[r]))
        .then(
            [self, r](ok_atom) {
              std::vector<flow_command> commands;
              self->state.flow->on_ack(r, commands);
              carry_out(self, commands);
            },
            [self](const caf::error& error) { fail(self, self->system().render(error)); });
  }
}

void carry_out(self_ptr self, const std::vector<flow_command>& commands) {
  auto& config = self->state.config;
  for (const auto& command : commands) {
    switch (command.what) {
      case flow_command::read:
        if (command.after.count() == 0) read(self, command.from, command.max);
        else self->delayed_send(self, command.after, pull_atom::value, command.from, command.max);
        break;
      case flow_command::process: process(self); break;
      case flow_command::drained:
        self->send(config.coordinator, drained_atom::value, config.epoch, config.channel);
        break;
      case flow_command::idle:
        self->send(config.coordinator, idle_atom::value, config.epoch, config.channel,
                   self->state.flow->processed());
        break;
    }
  }
}

}  // namespace

caf::behavior source_actor(self_ptr self, source_config config) {
  auto& state = self->state;
  state.config = std::move(config);
  const auto& plan = *state.config.plan;
  const uint32_t left_channels = plan.source.table->channels();
  uint64_t max_records = plan.source.max_records;
  if (plan.join) {
    const bool right = state.config.channel >= left_channels;
    if (right) max_records = plan.join->right.max_records;
    state.router = std::make_unique<ops::join_router>(
        state.config.plan, right ? ops::join_side::right : ops::join_side::left);
    state.table = right ? plan.join->right.table : plan.source.table;
    state.table_channel = right ? state.config.channel - left_channels : state.config.channel;
  } else {
    state.partial = std::make_unique<ops::partial_aggregator>(state.config.plan);
    state.partial->set_watermark_floor(state.config.watermark);
    state.table = plan.source.table;
    state.table_channel = state.config.channel;
  }
  state.flow = std::make_unique<protocol::source_flow>(
      state.config.offset, state.config.end_offset,
      max_records,
      static_cast<uint32_t>(state.config.reducers.size()), state.config.max_in_flight);
  state.io = spawn_store_io(self, state.config.db);
  // A reducer whose worker is gone (killed, or taken for dead after a second without
  // heartbeats) never answers the partials sent to it: fail now rather than at their timeout.
  for (const auto& reducer : state.config.reducers) self->monitor(reducer);
  self->set_down_handler([self](const caf::down_msg& down) {
    fail(self, fmt::format("a reducer is gone: {}", self->system().render(down.reason)));
  });
  std::vector<flow_command> commands;
  state.flow->start(commands);
  carry_out(self, commands);
  return {
      [self](pull_atom, uint64_t from, uint64_t max) { read(self, from, max); },
      [self](barrier_atom, uint64_t checkpoint) {
        // Every batch processed so far has been flushed: the barrier follows its partials on
        // every link, and the offset marks where the next checkpoint's records begin.
        auto& config = self->state.config;
        int64_t watermark = std::numeric_limits<int64_t>::min();
        if (const auto& lateness = config.plan->options.lateness; lateness && self->state.partial)
          watermark = protocol::source_watermark(absl::ToInt64Microseconds(*lateness),
                                                 self->state.partial->max_event_time(),
                                                 self->state.flow->caught_up(), config.watermark);
        for (const auto& reducer : config.reducers)
          self->send(reducer, barrier_atom::value, checkpoint, config.channel, watermark);
        self->send(config.coordinator, offset_atom::value, config.epoch, checkpoint,
                   config.channel, self->state.flow->processed());
      },
  };
}

}  // namespace sluice::worker

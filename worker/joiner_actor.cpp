#include "worker/joiner_actor.hpp"

#include <fmt/format.h>

#include <limits>

#include "messaging/atoms.hpp"
#include "operators/group_table.hpp"
#include "protocol/snapshot_plan.hpp"
#include "runtime/core/status.hpp"
#include "worker/checkpoint_writer.hpp"
#include "worker/store_io.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<joiner_state>*;
using alignment_command = protocol::barrier_alignment<partial_input>::command;

// A reducer that does not acknowledge a batch within this long is taken as lost.
constexpr auto partial_timeout = std::chrono::seconds(30);

void stop(self_ptr self, const caf::error& reason) {
  auto& state = self->state;
  if (!state.writer) return self->quit(reason);
  if (state.stopping) return;
  state.stopping = true;
  self->send_exit(state.writer, reason ? reason : caf::exit_reason::user_shutdown);
}

void fail(self_ptr self, const std::string& what) {
  self->send(self->state.config.coordinator, fail_atom::value, self->state.config.fence.epoch,
             fmt::format("joiner {}: {}", self->state.config.index, what));
  stop(self, caf::error{});
}

// Loads the snapshots of checkpoint `id` (the slots restore_slots), then the next, up to the
// last of restore_checkpoint; the mailbox waits until the state is whole.
void restore(self_ptr self, uint64_t id) {
  const auto& config = self->state.config;
  const auto slots = self->state.restore_slots;
  if (id > config.restore_checkpoint || slots.first == slots.end) {
    self->state.join->finish_restore(
        [&](uint32_t key_group) { return static_cast<bool>(config.owns[key_group]); });
    return;
  }
  ask_store<while_asking::awaited>(
      self, self->state.io,
      [location = config.plan->options.checkpoint_location, id, slots](store::api& db) {
        return db.get_snapshot(location, id, slots);
      },
      [self, id](absl::StatusOr<std::vector<std::string>> chunks) {
        if (!chunks.ok()) return fail(self, std::string(chunks.status().message()));
        for (const auto& chunk : *chunks)
          if (auto status = self->state.join->restore(std::span(chunk.data(), chunk.size()));
              !status.ok())
            return fail(self, std::string(status.message()));
        restore(self, id + 1);
      });
}

// Joins one source batch and sends the joined rows on; the source's reply waits for the reducers'.
absl::Status join_batch(self_ptr self, partial_input& input) {
  auto& state = self->state;
  SLUICE_RETURN_IF_ERROR(state.join->merge(input.bytes, [&](std::string_view row, int64_t weight) {
    for (int64_t n = weight < 0 ? -weight : weight; n > 0; --n)
      SLUICE_RETURN_IF_ERROR(state.partial->add_row(row, weight < 0 ? -1 : +1));
    return absl::OkStatus();
  }));
  auto& config = state.config;
  auto messages = state.partial->flush(state.owner, static_cast<uint32_t>(config.reducers.size()),
                                       config.fence.epoch, config.index);
  auto waiting = std::make_shared<size_t>(0);
  for (const auto& message : messages) *waiting += message.empty() ? 0 : 1;
  if (*waiting == 0) {
    input.reply.deliver(ok_atom::value);
    return absl::OkStatus();
  }
  for (uint32_t r = 0; r < messages.size(); ++r) {
    if (messages[r].empty()) continue;
    self->request(config.reducers[r], partial_timeout, partial_atom::value, config.index,
                  std::move(messages[r]))
        .then(
            [waiting, reply = input.reply](ok_atom) mutable {
              if (--*waiting == 0) reply.deliver(ok_atom::value);
            },
            [self](const caf::error& error) { fail(self, self->system().render(error)); });
  }
  return absl::OkStatus();
}

// Every source has sent the barrier: the join state as of it goes to the writer, the barrier to
// every reducer (after the joined rows of every batch before it).
void take_checkpoint(self_ptr self, const protocol::aligned& barrier) {
  auto& state = self->state;
  auto output = std::make_shared<checkpoint_output>(barrier.checkpoint, row_batch(state.config.plan->sink));
  output->snapshot = state.join->snapshot(
      state.config.owns,
      protocol::imaged_key_groups(state.config.owns, barrier.checkpoint, !state.snapshotted));
  for (auto& chunk : output->snapshot) chunk.slot += store::joiner_slots;
  state.snapshotted = true;
  output->watermark = std::numeric_limits<int64_t>::min();
  self->send(state.writer, std::move(output));
  for (const auto& reducer : state.config.reducers)
    self->send(reducer, barrier_atom::value, barrier.checkpoint, state.config.index,
               std::numeric_limits<int64_t>::min());
}

void carry_out(self_ptr self, std::vector<alignment_command>& commands) {
  for (auto& command : commands) {
    if (auto* barrier = std::get_if<protocol::aligned>(&command)) {
      take_checkpoint(self, *barrier);
      continue;
    }
    auto& input = std::get<partial_input>(command);
    if (auto status = join_batch(self, input); !status.ok()) {
      input.reply.deliver(caf::make_error(caf::sec::invalid_argument, std::string(status.message())));
      return fail(self, std::string(status.message()));
    }
  }
}

}  // namespace

caf::behavior joiner_actor(self_ptr self, joiner_config config) {
  auto& state = self->state;
  state.config = std::move(config);
  state.join = std::make_unique<ops::join_state>(state.config.plan->join->kind);
  const auto parts = state.config.restore_parts;
  state.snapshotted = protocol::continues_snapshots(parts, state.config.restore_by_key_group);
  // An older Sluice's parts: the reducers', then as many joiners'.
  state.restore_slots =
      state.snapshotted ? state.config.slots : store::slot_range{parts / 2, parts};
  state.partial = std::make_unique<ops::partial_aggregator>(state.config.plan);
  state.alignment =
      std::make_unique<protocol::barrier_alignment<partial_input>>(state.config.sources);
  const auto reducers = static_cast<uint32_t>(state.config.reducers.size());
  state.owner.resize(ops::key_groups);
  for (uint32_t g = 0; g < ops::key_groups; ++g) state.owner[g] = ops::reducer_of(g, reducers);
  state.io = spawn_store_io(self, state.config.db);
  checkpoint_writer_config writing;
  writing.db = state.config.db;
  writing.job = state.config.plan->options.checkpoint_location;
  writing.fence = state.config.fence;
  writing.part = state.config.part;
  writing.slots = state.config.slots;
  writing.coordinator = state.config.coordinator;
  state.writer = spawn_blocking<caf::monitored>(self, checkpoint_writer, std::move(writing));
  self->set_exit_handler([self](const caf::exit_msg& exit) { stop(self, exit.reason); });
  // A reducer whose worker is gone never answers the partials sent to it: fail now rather than
  // at their timeout.
  for (const auto& reducer : state.config.reducers) self->monitor(reducer);
  self->set_down_handler([self](const caf::down_msg& down) {
    if (down.source != self->state.writer.address()) {
      if (!self->state.stopping)
        fail(self, fmt::format("a reducer is gone: {}", self->system().render(down.reason)));
      return;
    }
    if (!self->state.stopping && down.reason)
      self->send(self->state.config.coordinator, fail_atom::value, self->state.config.fence.epoch,
                 fmt::format("joiner {}: its checkpoint writer ended: {}", self->state.config.index,
                             self->system().render(down.reason)));
    self->quit(down.reason);
  });
  if (state.config.restore_parts > 0) restore(self, state.config.restore_first);
  return {
      [self](partial_atom, uint32_t source, std::vector<char>& bytes) -> caf::result<ok_atom> {
        auto& state = self->state;
        if (state.stopping) return caf::make_error(caf::sec::request_receiver_down);
        if (source >= state.config.sources)
          return caf::make_error(caf::sec::invalid_argument, "unknown source");
        auto reply = self->make_response_promise();
        std::vector<alignment_command> commands;
        state.alignment->on_batch(source, partial_input{std::move(bytes), reply}, commands);
        carry_out(self, commands);
        return reply;
      },
      [self](barrier_atom, uint64_t checkpoint, uint32_t source, int64_t watermark) {
        auto& state = self->state;
        if (source >= state.config.sources || state.stopping) return;
        std::vector<alignment_command> commands;
        state.alignment->on_barrier(source, checkpoint, watermark, commands);
        carry_out(self, commands);
      },
  };
}

}  // namespace sluice::worker

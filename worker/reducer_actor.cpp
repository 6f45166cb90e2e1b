#include "worker/reducer_actor.hpp"

#include <fmt/format.h>

#include <limits>

#include "messaging/atoms.hpp"
#include "runtime/core/status.hpp"
#include "protocol/snapshot_plan.hpp"
#include "worker/checkpoint_writer.hpp"
#include "worker/store_io.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<reducer_state>*;
using alignment_command = protocol::barrier_alignment<partial_input>::command;

// Ends the reducer, once its writer has ended.
void stop(self_ptr self, const caf::error& reason) {
  auto& state = self->state;
  if (!state.writer) return self->quit(reason);
  if (state.stopping) return;
  state.stopping = true;
  self->send_exit(state.writer, reason ? reason : caf::exit_reason::user_shutdown);
}

void fail(self_ptr self, const std::string& what) {
  self->send(self->state.config.coordinator, fail_atom::value, self->state.config.fence.epoch,
             fmt::format("reducer {}: {}", self->state.config.index, what));
  stop(self, caf::error{});
}

// The sink intents of checkpoints that have not completed: their rows may be in the sink, so the
// groups they name are written again at the first checkpoint, as the restored state has them.
void rewrite_intents(self_ptr self) {
  ask_store<while_asking::awaited>(
      self, self->state.io,
      [location = self->state.config.plan->options.checkpoint_location](store::api& db) {
        return db.sink_intents(location);
      },
      [self](absl::StatusOr<std::vector<std::string>> chunks) {
        if (!chunks.ok()) return fail(self, std::string(chunks.status().message()));
        const auto& owns = self->state.config.owns;
        for (const auto& chunk : *chunks)
          if (auto status = self->state.groups->rewrite(
                  std::span(chunk.data(), chunk.size()),
                  [&](uint32_t key_group) { return static_cast<bool>(owns[key_group]); });
              !status.ok())
            return fail(self, std::string(status.message()));
      });
}

// Loads the snapshots of checkpoint `id` (the slots restore_slots), then the next one, up to
// the last of restore_checkpoint, then the sink intents: the reducer's mailbox waits until its
// state is whole.
void restore(self_ptr self, uint64_t id) {
  const auto& config = self->state.config;
  const auto slots = self->state.restore_slots;
  if (id > config.restore_checkpoint || slots.first == slots.end) {
    self->state.groups->finish_restore(
        [&](uint32_t key_group) { return static_cast<bool>(config.owns[key_group]); });
    return rewrite_intents(self);
  }
  ask_store<while_asking::awaited>(
      self, self->state.io,
      [location = config.plan->options.checkpoint_location, id, slots](store::api& db) {
        return db.get_snapshot(location, id, slots);
      },
      [self, id](absl::StatusOr<std::vector<std::string>> chunks) {
        if (!chunks.ok()) return fail(self, std::string(chunks.status().message()));
        for (const auto& chunk : *chunks)
          if (auto status = self->state.groups->restore(std::span(chunk.data(), chunk.size()));
              !status.ok())
            return fail(self, std::string(status.message()));
        restore(self, id + 1);
      });
}

// Every source has sent the barrier: the sink rows and the snapshot of the state as of the
// barrier go to the writer, which stores them and acks the checkpoint.
absl::Status take_checkpoint(self_ptr self, const protocol::aligned& barrier) {
  auto& state = self->state;
  if (barrier.watermark != std::numeric_limits<int64_t>::min())
    state.groups->advance_watermark(barrier.watermark);
  SLUICE_ASSIGN_OR_RETURN(auto changes, state.groups->take_changes());
  auto output = std::make_shared<checkpoint_output>(barrier.checkpoint, std::move(changes));
  output->intent = state.groups->take_intent();
  output->snapshot = state.groups->snapshot(
      state.config.owns,
      protocol::imaged_key_groups(state.config.owns, barrier.checkpoint, !state.snapshotted));
  state.snapshotted = true;
  output->late_rows = state.groups->late_rows();
  output->watermark = state.groups->watermark();
  output->late = state.groups->take_late_rows();
  self->send(state.writer, std::move(output));
  return absl::OkStatus();
}

void carry_out(self_ptr self, std::vector<alignment_command>& commands) {
  for (auto& command : commands) {
    if (auto* barrier = std::get_if<protocol::aligned>(&command)) {
      if (auto status = take_checkpoint(self, *barrier); !status.ok())
        return fail(self, std::string(status.message()));
      continue;
    }
    auto& input = std::get<partial_input>(command);
    if (auto status = self->state.groups->merge(input.bytes); !status.ok()) {
      input.reply.deliver(caf::make_error(caf::sec::invalid_argument, std::string(status.message())));
      return fail(self, std::string(status.message()));
    }
    input.reply.deliver(ok_atom::value);
  }
}

}  // namespace

caf::behavior reducer_actor(self_ptr self, reducer_config config) {
  auto& state = self->state;
  state.config = std::move(config);
  state.groups = std::make_unique<ops::reducer_state>(state.config.plan);
  const auto parts = state.config.restore_parts;
  state.snapshotted = protocol::continues_snapshots(parts, state.config.restore_by_key_group);
  state.restore_slots = state.snapshotted ? state.config.slots : store::slot_range{0, parts};
  state.alignment =
      std::make_unique<protocol::barrier_alignment<partial_input>>(state.config.sources);
  state.io = spawn_store_io(self, state.config.db);
  checkpoint_writer_config writing;
  writing.db = state.config.db;
  writing.job = state.config.plan->options.checkpoint_location;
  writing.fence = state.config.fence;
  writing.part = state.config.index;
  writing.slots = state.config.slots;
  writing.coordinator = state.config.coordinator;
  state.writer = spawn_blocking<caf::monitored>(self, checkpoint_writer, std::move(writing));
  // The writer ends with the reducer, and the reducer only after it: whoever waits for the
  // reducer to end knows that nothing of it still uses the store.
  self->set_exit_handler([self](const caf::exit_msg& exit) { stop(self, exit.reason); });
  self->set_down_handler([self](const caf::down_msg& down) {
    if (down.source != self->state.writer.address()) return;
    if (!self->state.stopping && down.reason)
      self->send(self->state.config.coordinator, fail_atom::value, self->state.config.fence.epoch,
                 fmt::format("reducer {}: its checkpoint writer ended: {}", self->state.config.index,
                             self->system().render(down.reason)));
    self->quit(down.reason);
  });
  if (state.config.restore_parts > 0) restore(self, state.config.restore_first);
  else rewrite_intents(self);
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

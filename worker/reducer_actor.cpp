#include "worker/reducer_actor.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/settings.hpp>
#include <fmt/format.h>

#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"
#include "worker/checkpoint_writer.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;

// The writer blocks on the store, so it gets a thread of its own. Under CAF's deterministic test
// scheduler every actor runs on the test's thread, the writer too.
caf::actor spawn_writer(caf::stateful_actor<reducer_state>* self, checkpoint_writer_config config) {
  auto policy = caf::get_or(self->system().config(), "scheduler.policy", caf::atom("stealing"));
  if (policy == caf::atom("testing"))
    return self->spawn<caf::monitored>(checkpoint_writer, std::move(config));
  return self->spawn<caf::detached + caf::monitored>(checkpoint_writer, std::move(config));
}

// Ends the reducer, once its writer has ended.
void stop(caf::stateful_actor<reducer_state>* self, const caf::error& reason) {
  auto& state = self->state;
  if (!state.writer) return self->quit(reason);
  if (state.stopping) return;
  state.stopping = true;
  self->send_exit(state.writer, reason ? reason : caf::exit_reason::user_shutdown);
}

void fail(caf::stateful_actor<reducer_state>* self, const std::string& what) {
  self->send(self->state.config.coordinator, fail_atom::value, self->state.config.fence.epoch,
             fmt::format("reducer {}: {}", self->state.config.index, what));
  stop(self, caf::error{});
}

absl::Status restore(reducer_state& state) {
  const auto& config = state.config;
  if (config.restore_parts == 0) return absl::OkStatus();
  for (uint64_t id = config.restore_first; id <= config.restore_checkpoint; ++id) {
    for (uint32_t part = 0; part < config.restore_parts; ++part) {
      SLUICE_ASSIGN_OR_RETURN(
          auto chunks, config.db->get_snapshot(config.plan->options.checkpoint_location, id, part));
      for (const auto& chunk : chunks)
        SLUICE_RETURN_IF_ERROR(state.groups->restore(std::span(chunk.data(), chunk.size())));
    }
  }
  state.groups->finish_restore(
      [&](uint32_t key_group) { return static_cast<bool>(config.owns[key_group]); });
  return absl::OkStatus();
}

// Every source has sent Barrier(n): the sink rows and the snapshot of the state as of the
// barrier go to the writer, which stores them and acks n; the held-back batches then come in.
absl::Status on_aligned(caf::stateful_actor<reducer_state>* self) {
  auto& state = self->state;
  // The watermark is the least over the sources that have one: a source that has seen no
  // record yet does not hold the others back.
  int64_t watermark = std::numeric_limits<int64_t>::max();
  for (int64_t w : state.watermarks)
    if (w != std::numeric_limits<int64_t>::min()) watermark = std::min(watermark, w);
  if (watermark != std::numeric_limits<int64_t>::max()) state.groups->advance_watermark(watermark);
  SLUICE_ASSIGN_OR_RETURN(auto changes, state.groups->take_changes());
  auto output = std::make_shared<checkpoint_output>(state.aligning, std::move(changes));
  std::vector<bool> imaged(ops::key_groups);
  for (uint32_t g = 0; g < ops::key_groups; ++g)
    imaged[g] = state.config.owns[g] &&
                (!state.snapshotted ||
                 g % ops::snapshot_slices == state.aligning % ops::snapshot_slices);
  state.snapshotted = true;
  output->snapshot = state.groups->snapshot(imaged);
  output->late_rows = state.groups->late_rows();
  self->send(state.writer, std::move(output));
  return absl::OkStatus();
}

void on_barrier(caf::stateful_actor<reducer_state>* self, uint64_t checkpoint, uint32_t source,
                int64_t watermark);

// Lets the held-back inputs in, in the order they came, until a source's next barrier.
void release_held(caf::stateful_actor<reducer_state>* self) {
  auto& state = self->state;
  for (uint32_t source = 0; source < state.held.size(); ++source) {
    auto& queue = state.held[source];
    while (!queue.empty() && !state.barrier_seen[source]) {
      held_batch batch = std::move(queue.front());
      queue.pop_front();
      if (batch.is_barrier) {
        on_barrier(self, batch.checkpoint, source, batch.watermark);
        continue;
      }
      if (auto status = state.groups->merge(batch.bytes); !status.ok())
        return fail(self, std::string(status.message()));
      batch.reply.deliver(ok_atom::value);
    }
  }
}

void on_barrier(caf::stateful_actor<reducer_state>* self, uint64_t checkpoint, uint32_t source,
                int64_t watermark) {
  auto& state = self->state;
  if (checkpoint <= state.aligned) return;  // a repeated or stale barrier
  if (state.barrier_seen[source]) {
    // The source's next barrier, while this one still aligns: it waits its turn.
    held_batch held;
    held.is_barrier = true;
    held.checkpoint = checkpoint;
    held.watermark = watermark;
    state.held[source].push_back(std::move(held));
    return;
  }
  state.aligning = checkpoint;
  state.barrier_seen[source] = true;
  state.watermarks[source] = std::max(state.watermarks[source], watermark);
  if (++state.barriers < state.config.sources) return;
  if (auto status = on_aligned(self); !status.ok()) return fail(self, std::string(status.message()));
  state.aligned = checkpoint;
  state.barriers = 0;
  state.barrier_seen.assign(state.config.sources, false);
  release_held(self);
}

}  // namespace

caf::behavior reducer_actor(caf::stateful_actor<reducer_state>* self, reducer_config config) {
  auto& state = self->state;
  state.config = std::move(config);
  state.groups = std::make_unique<ops::reducer_state>(state.config.plan);
  state.barrier_seen.assign(state.config.sources, false);
  state.watermarks.assign(state.config.sources, std::numeric_limits<int64_t>::min());
  state.held.resize(state.config.sources);
  if (auto status = restore(state); !status.ok()) {
    fail(self, std::string(status.message()));
    return {};
  }
  checkpoint_writer_config writing;
  writing.db = state.config.db;
  writing.job = state.config.plan->options.checkpoint_location;
  writing.fence = state.config.fence;
  writing.part = state.config.index;
  writing.coordinator = state.config.coordinator;
  state.writer = spawn_writer(self, std::move(writing));
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
  return {
      [self](partial_atom, uint32_t source, std::vector<char>& bytes) -> caf::result<ok_atom> {
        auto& state = self->state;
        if (state.stopping) return caf::make_error(caf::sec::request_receiver_down);
        if (source >= state.config.sources)
          return caf::make_error(caf::sec::invalid_argument, "unknown source");
        if (state.barrier_seen[source] || !state.held[source].empty()) {
          auto reply = self->make_response_promise();
          held_batch held;
          held.bytes = std::move(bytes);
          held.reply = reply;
          state.held[source].push_back(std::move(held));
          return reply;
        }
        if (auto status = state.groups->merge(bytes); !status.ok()) {
          fail(self, std::string(status.message()));
          return caf::make_error(caf::sec::invalid_argument, std::string(status.message()));
        }
        return ok_atom::value;
      },
      [self](barrier_atom, uint64_t checkpoint, uint32_t source, int64_t watermark) {
        if (source < self->state.config.sources && !self->state.stopping)
          on_barrier(self, checkpoint, source, watermark);
      },
  };
}

}  // namespace sluice::worker

#include "worker/reducer_actor.hpp"

#include <fmt/format.h>

#include "runtime/core/status.hpp"
#include "runtime/messaging/atoms.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;

void fail(caf::stateful_actor<reducer_state>* self, const std::string& what) {
  self->send(self->state.config.coordinator, fail_atom::value, self->state.config.fence.epoch,
             fmt::format("reducer {}: {}", self->state.config.index, what));
  self->quit();
}

absl::Status restore(reducer_state& state) {
  const auto& config = state.config;
  for (uint32_t part = 0; part < config.restore_parts; ++part) {
    SLUICE_ASSIGN_OR_RETURN(auto chunks, config.db->get_snapshot(config.plan->options.checkpoint_location,
                                                                 config.restore_checkpoint, part));
    for (const auto& chunk : chunks) {
      SLUICE_RETURN_IF_ERROR(state.groups->restore_part(
          std::span(chunk.data(), chunk.size()),
          [&](uint32_t key_group) { return static_cast<bool>(config.owns[key_group]); }));
    }
  }
  return absl::OkStatus();
}

// Every source has sent Barrier(n): make the sink and the snapshot agree with the state as of
// the barrier, then let the held-back batches in.
absl::Status on_aligned(reducer_state& state) {
  const auto& config = state.config;
  // The watermark is the least over the sources that have one: a source that has seen no
  // record yet does not hold the others back.
  int64_t watermark = std::numeric_limits<int64_t>::max();
  for (int64_t w : state.watermarks)
    if (w != std::numeric_limits<int64_t>::min()) watermark = std::min(watermark, w);
  if (watermark != std::numeric_limits<int64_t>::max()) state.groups->advance_watermark(watermark);
  SLUICE_ASSIGN_OR_RETURN(auto changes, state.groups->take_changes());
  // In batches of a few thousand rows: the sink is written at least once and converges, so a
  // large change set need not be one huge atomic write.
  constexpr size_t sink_batch_rows = 4096;
  for (size_t first = 0; first < changes.size(); first += sink_batch_rows) {
    SLUICE_RETURN_IF_ERROR(
        config.db
            ->write(changes.slice(first, std::min(sink_batch_rows, changes.size() - first)),
                    config.fence)
            .status());
  }
  return config.db->put_snapshot(config.plan->options.checkpoint_location, state.aligning,
                                 config.index, state.groups->snapshot(), config.fence);
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
  if (auto status = on_aligned(state); !status.ok()) return fail(self, std::string(status.message()));
  self->send(state.config.coordinator, ack_atom::value, state.config.fence.epoch, checkpoint,
             state.config.index,
             state.groups->late_rows());
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
  return {
      [self](partial_atom, uint32_t source, std::vector<char>& bytes) -> caf::result<ok_atom> {
        auto& state = self->state;
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
        if (source < self->state.config.sources) on_barrier(self, checkpoint, source, watermark);
      },
  };
}

}  // namespace sluice::worker

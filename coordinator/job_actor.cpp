#include "coordinator/job_actor.hpp"

#include <caf/event_based_actor.hpp>
#include <fmt/format.h>

#include <numeric>

#include "runtime/messaging/atoms.hpp"
#include "worker/reducer_actor.hpp"
#include "worker/source_actor.hpp"

namespace sluice::coordinator {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<job_state>*;

std::chrono::milliseconds interval_of(const ops::job_plan& plan) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(plan.options.checkpoint_interval));
}

// Ends the job: every actor stops; monitors see `error` (none: the job ended as asked).
void finish(self_ptr self, const caf::error& error) {
  auto& state = self->state;
  for (auto& source : state.sources) self->send_exit(source, caf::exit_reason::user_shutdown);
  for (auto& reducer : state.reducers) self->send_exit(reducer, caf::exit_reason::user_shutdown);
  self->quit(error);
}

void fail(self_ptr self, const std::string& what) {
  finish(self, caf::make_error(caf::sec::runtime_error, what));
}

bool drained(const job_state& state) {
  for (size_t c = 0; c < state.targets.size(); ++c)
    if (state.offsets[c] < state.targets[c]) return false;
  return true;
}

void start_checkpoint(self_ptr self) {
  auto& state = self->state;
  if (state.pending != 0) return;
  state.pending = state.checkpoint + 1;
  state.pending_since = std::chrono::steady_clock::now();
  state.offsets_in = 0;
  state.acks_in = 0;
  for (auto& source : state.sources) self->send(source, barrier_atom::value, state.pending);
}

void complete_checkpoint(self_ptr self) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  store::checkpoint cp;
  cp.id = state.pending;
  cp.offsets = state.offsets;
  cp.parts = static_cast<uint32_t>(state.reducers.size());
  cp.created_ms = absl::ToUnixMillis(absl::Now());
  cp.fingerprint = plan.fingerprint;
  auto status = state.config.db->complete_checkpoint(plan.options.checkpoint_location, cp,
                                                     *plan.source.table, plan.source.tunnel_id);
  if (!status.ok()) return fail(self, std::string(status.message()));
  state.checkpoint = state.pending;
  state.pending = 0;
  state.last_checkpoint_ms = std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - state.pending_since)
                                 .count();
  ++state.checkpoints;
  state.max_checkpoint_ms = std::max(state.max_checkpoint_ms, state.last_checkpoint_ms);
  state.total_checkpoint_ms += state.last_checkpoint_ms;
  if (state.stopping || (state.config.until_drained && drained(state))) {
    if (state.config.listener) {
      job_summary summary;
      summary.rows = std::accumulate(state.rows.begin(), state.rows.end(), uint64_t{0});
      summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                      state.started)
                            .count();
      summary.checkpoints = state.checkpoints;
      summary.max_checkpoint_ms = state.max_checkpoint_ms;
      summary.mean_checkpoint_ms = state.total_checkpoint_ms / state.checkpoints;
      summary.late = std::accumulate(state.late.begin(), state.late.end(), uint64_t{0});
      self->send(state.config.listener, done_atom::value, summary);
    }
    return finish(self, caf::error{});
  }
}

void spawn_job(self_ptr self) {
  auto& state = self->state;
  const auto& plan = state.config.plan;
  auto* db = state.config.db;
  const auto& table = *plan->source.table;
  const uint32_t channels = table.channels();
  const uint32_t reducers = std::max<uint32_t>(1, state.config.reducers);

  // Resume from the last complete checkpoint, if the job has one.
  store::checkpoint from;
  from.offsets.assign(channels, 0);
  if (auto last = db->last_checkpoint(plan->options.checkpoint_location); last.ok()) {
    if (last->offsets.size() != channels)
      return fail(self, fmt::format("checkpoint {} of {} has {} offsets, but {} has {} channels",
                                    last->id, plan->options.checkpoint_location,
                                    last->offsets.size(), table.name(), channels));
    if (last->fingerprint != plan->fingerprint)
      return fail(self, fmt::format(
          "checkpointLocation '{}' holds checkpoints of another computation ({}); give this job "
          "a new checkpointLocation",
          plan->options.checkpoint_location, last->fingerprint));
    from = *last;
  } else if (!absl::IsNotFound(last.status())) {
    return fail(self, std::string(last.status().message()));
  }
  state.checkpoint = from.id;
  state.offsets = from.offsets;
  state.rows.assign(channels, 0);
  state.late.assign(reducers, 0);
  auto ends = db->end_offsets(table);
  if (!ends.ok()) return fail(self, std::string(ends.status().message()));
  state.targets = *ends;

  // Key groups in contiguous ranges, one per reducer.
  std::vector<uint32_t> owner(ops::key_groups);
  for (uint32_t g = 0; g < ops::key_groups; ++g) owner[g] = g * reducers / ops::key_groups;
  for (uint32_t r = 0; r < reducers; ++r) {
    worker::reducer_config config;
    config.plan = plan;
    config.db = db;
    config.index = r;
    config.sources = channels;
    config.coordinator = self;
    config.restore_checkpoint = from.id;
    config.restore_parts = from.parts;
    config.owns.assign(ops::key_groups, false);
    for (uint32_t g = 0; g < ops::key_groups; ++g) config.owns[g] = owner[g] == r;
    state.reducers.push_back(self->spawn<caf::linked>(worker::reducer_actor, std::move(config)));
  }
  for (uint32_t c = 0; c < channels; ++c) {
    worker::source_config config;
    config.plan = plan;
    config.db = db;
    config.channel = c;
    config.offset = from.offsets[c];
    if (state.config.until_drained) config.end_offset = state.targets[c];
    config.reducers = state.reducers;
    config.owner = owner;
    config.coordinator = self;
    state.sources.push_back(self->spawn<caf::linked>(worker::source_actor, std::move(config)));
  }
}

}  // namespace

caf::behavior job_actor(self_ptr self, job_config config) {
  self->state.config = std::move(config);
  // A source or reducer that dies ends the job; it resumes from the last checkpoint when
  // started again.
  self->set_exit_handler([self](const caf::exit_msg& message) {
    if (message.reason && message.reason != caf::exit_reason::user_shutdown)
      fail(self, fmt::format("an actor of the job failed: {}", self->system().render(message.reason)));
  });
  self->state.started = std::chrono::steady_clock::now();
  spawn_job(self);
  self->delayed_send(self, interval_of(*self->state.config.plan), tick_atom::value);
  return {
      [self](tick_atom) {
        start_checkpoint(self);
        self->delayed_send(self, interval_of(*self->state.config.plan), tick_atom::value);
      },
      [self](offset_atom, uint64_t checkpoint, uint32_t channel, uint64_t offset, uint64_t rows) {
        auto& state = self->state;
        if (checkpoint != state.pending || channel >= state.offsets.size()) return;
        state.offsets[channel] = offset;
        state.rows[channel] = rows;
        ++state.offsets_in;
        if (state.offsets_in == state.sources.size() && state.acks_in == state.reducers.size())
          complete_checkpoint(self);
      },
      [self](ack_atom, uint64_t checkpoint, uint32_t reducer, uint64_t late) {
        auto& state = self->state;
        if (checkpoint != state.pending || reducer >= state.late.size()) return;
        state.late[reducer] = late;
        ++state.acks_in;
        if (state.offsets_in == state.sources.size() && state.acks_in == state.reducers.size())
          complete_checkpoint(self);
      },
      [self](fail_atom, const std::string& what) { fail(self, what); },
      [self](drained_atom, uint32_t) {
        // Every source has read what it had to: checkpoint now rather than at the next tick.
        if (++self->state.drained_sources == self->state.sources.size()) start_checkpoint(self);
      },
      [self](status_atom) -> job_status {
        auto& state = self->state;
        job_status status;
        status.rows = std::accumulate(state.rows.begin(), state.rows.end(), uint64_t{0});
        if (auto ends = state.config.db->end_offsets(*state.config.plan->source.table); ends.ok())
          for (size_t c = 0; c < ends->size(); ++c)
            status.lag += (*ends)[c] - std::min((*ends)[c], state.offsets[c]);
        status.late = std::accumulate(state.late.begin(), state.late.end(), uint64_t{0});
        status.last_checkpoint = state.checkpoint;
        status.last_checkpoint_ms = state.last_checkpoint_ms;
        return status;
      },
      [self](stop_atom) {
        self->state.stopping = true;
        start_checkpoint(self);
      },
  };
}

}  // namespace sluice::coordinator

#include "coordinator/job_actor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "operators/group_table.hpp"
#include "messaging/atoms.hpp"

namespace sluice::coordinator {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<job_state>*;

// How long a worker may take to set up its part of an assignment (it plans the job and may
// wait for the store).
constexpr auto assign_timeout = std::chrono::seconds(30);
// A checkpoint not complete after this long is taken as lost, like a failure.
constexpr auto checkpoint_timeout = std::chrono::seconds(60);
// After an actor of the job failed, the pause before the job is assigned again: 200 ms, doubled
// with every failure since the last complete checkpoint, up to 10 s, so that a lasting error
// (a source table dropped) does not spin.
constexpr auto reassign_pause = std::chrono::milliseconds(200);
constexpr auto max_reassign_pause = std::chrono::seconds(10);
// Workers that register at about the same time (a coordinator started again) are waited for
// this long, so that the job is assigned over all of them at once.
constexpr auto settle_pause = std::chrono::milliseconds(300);

std::chrono::milliseconds interval_of(const ops::job_plan& plan) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(plan.options.checkpoint_interval));
}

uint64_t sum(const std::vector<uint64_t>& values) {
  return std::accumulate(values.begin(), values.end(), uint64_t{0});
}

uint64_t rows_read(const job_state& state) {
  uint64_t rows = 0;
  for (size_t c = 0; c < state.committed.size(); ++c)
    rows += state.committed[c] - std::min(state.committed[c], state.start_offsets[c]);
  return rows;
}

// Stops the actors of the current assignment, on the workers that are still there.
void release_assignment(self_ptr self) {
  auto& state = self->state;
  for (const auto& worker : state.assigned)
    if (std::find(state.members.begin(), state.members.end(), worker) != state.members.end())
      self->send(worker, undeploy_atom::value, state.config.plan->name, state.epoch);
  state.assigned.clear();
  state.reducers.clear();
  state.sources.clear();
  state.pending = 0;
}

// Ends the job: its actors stop; monitors see `error` (none: the job ended as asked).
void finish(self_ptr self, const caf::error& error) {
  release_assignment(self);
  for (auto& reply : self->state.stop_replies) reply.deliver(ok_atom::value);
  for (auto& waiter : self->state.waiters)
    waiter.reply.deliver(caf::make_error(
        caf::sec::runtime_error, fmt::format("job {} has ended", self->state.config.plan->name)));
  self->quit(error);
}

void assign(self_ptr self);

// Something went wrong in the current assignment. A cluster job is assigned anew (at once when
// `now`, else after a pause); in `sluice run` the job ends with the error.
void on_failure(self_ptr self, const std::string& what, bool now) {
  auto& state = self->state;
  if (!state.config.record || state.leaving)
    return finish(self, caf::make_error(caf::sec::runtime_error, what));
  std::cerr << fmt::format("job {}: {}; resuming from checkpoint {}\n", state.config.plan->name,
                           what, state.checkpoint);
  release_assignment(self);
  state.phase = job_phase::waiting;
  if (now) return assign(self);
  auto pause = std::min<std::chrono::milliseconds>(
      reassign_pause * (uint64_t{1} << std::min<uint32_t>(state.failures, 6)), max_reassign_pause);
  ++state.failures;
  self->delayed_send(self, pause, deploy_atom::value, state.epoch);
}

bool drained(const job_state& state) {
  for (size_t c = 0; c < state.targets.size(); ++c)
    if (state.committed[c] < state.targets[c]) return false;
  return true;
}

// Whether `offsets` are at or past `ends` on every channel.
bool reached(const std::vector<uint64_t>& offsets, const std::vector<uint64_t>& ends) {
  if (offsets.size() < ends.size()) return false;
  for (size_t c = 0; c < ends.size(); ++c)
    if (offsets[c] < ends[c]) return false;
  return true;
}

// Every wait for an end the last complete checkpoint has reached is over.
void release_waiters(job_state& state) {
  std::erase_if(state.waiters, [&](job_state::waiter& waiter) {
    if (!reached(state.committed, waiter.ends)) return false;
    waiter.reply.deliver(ok_atom::value);
    return true;
  });
}

// The last complete checkpoint has read every channel to its end, and nothing has come since:
// a checkpoint now would record the same state again.
bool caught_up(const job_state& state) {
  if (state.phase != job_phase::running || state.reassign || state.stopping || state.leaving)
    return false;
  auto ends = state.config.db->end_offsets(*state.config.plan->source.table);
  return ends.ok() && reached(state.committed, *ends);
}

void start_checkpoint(self_ptr self) {
  auto& state = self->state;
  if (state.pending != 0 || state.phase != job_phase::running) return;
  state.pending = state.checkpoint + 1;
  state.pending_since = std::chrono::steady_clock::now();
  state.offsets_in = 0;
  state.acks_in = 0;
  state.offsets = state.committed;
  for (auto& source : state.sources) self->send(source, barrier_atom::value, state.pending);
}

// A cluster job's record says it was stopped: a coordinator started again does not resume it.
absl::Status mark_stopped(job_state& state) {
  if (!state.config.record) return absl::OkStatus();
  state.config.record->stopped = true;
  return state.config.db->put_job(*state.config.record);
}

job_summary summarize(const job_state& state) {
  job_summary summary;
  summary.rows = rows_read(state);
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
  summary.checkpoints = state.checkpoints;
  auto durations = state.checkpoint_ms;
  if (!durations.empty()) {
    std::sort(durations.begin(), durations.end());
    // Nearest rank: the smallest duration that q of them do not exceed.
    auto at = [&](double q) {
      auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(durations.size())));
      return durations[std::clamp<size_t>(rank, 1, durations.size()) - 1];
    };
    summary.max_checkpoint_ms = durations.back();
    summary.mean_checkpoint_ms =
        std::accumulate(durations.begin(), durations.end(), 0.0) / durations.size();
    summary.p50_checkpoint_ms = at(0.5);
    summary.p99_checkpoint_ms = at(0.99);
  }
  summary.late = sum(state.late);
  return summary;
}

void complete_checkpoint(self_ptr self) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  store::checkpoint cp;
  cp.id = state.pending;
  cp.offsets = state.offsets;
  cp.parts = static_cast<uint32_t>(state.reducers.size());
  // The assignment's first snapshots imaged everything; since then each key group is imaged
  // whole once every ops::snapshot_slices checkpoints.
  cp.first_snapshot = std::max(state.first_snapshot,
                               cp.id >= ops::snapshot_slices ? cp.id - ops::snapshot_slices + 1 : 0);
  cp.created_ms = absl::ToUnixMillis(absl::Now());
  cp.fingerprint = plan.fingerprint;
  auto status =
      state.config.db->complete_checkpoint(plan.options.checkpoint_location, cp, *plan.source.table,
                                           plan.source.tunnel_id, {plan.name, state.epoch});
  if (!status.ok()) return on_failure(self, std::string(status.message()), false);
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - state.last_complete).count();
  state.rows_per_second = (sum(state.offsets) - sum(state.committed)) / std::max(seconds, 1e-9);
  state.last_complete = now;
  state.last_complete_unix_ms = cp.created_ms;
  state.committed = state.offsets;
  state.failures = 0;
  state.checkpoint = state.pending;
  state.pending = 0;
  state.last_checkpoint_ms =
      std::chrono::duration<double, std::milli>(now - state.pending_since).count();
  ++state.checkpoints;
  state.checkpoint_ms.push_back(state.last_checkpoint_ms);
  release_waiters(state);
  if (state.leaving && !state.stopping) return finish(self, caf::error{});
  if (state.stopping || (state.config.until_drained && drained(state))) {
    if (auto recorded = mark_stopped(state); !recorded.ok())
      std::cerr << fmt::format("job {}: {}\n", plan.name, std::string(recorded.message()));
    if (state.config.listener)
      self->send(state.config.listener, done_atom::value, summarize(state));
    return finish(self, caf::error{});
  }
  if (state.reassign) assign(self);
}

// The assignment's sources, once every worker has its reducer.
void assign_sources(self_ptr self) {
  auto& state = self->state;
  const uint64_t epoch = state.epoch;
  const auto& name = state.config.plan->name;
  state.replies = 0;
  for (uint32_t w = 0; w < state.assigned.size(); ++w) {
    std::vector<uint64_t> channels, offsets, ends;
    for (uint32_t c = 0; c < state.channel_worker.size(); ++c) {
      if (state.channel_worker[c] != w) continue;
      channels.push_back(c);
      offsets.push_back(state.committed[c]);
      ends.push_back(state.config.until_drained ? state.targets[c] : UINT64_MAX);
    }
    self->request(state.assigned[w], assign_timeout, sources_atom::value, name, epoch,
                  state.reducers, channels, offsets, ends)
        .then(
            [self, epoch, channels](const std::vector<caf::actor>& sources) {
              auto& state = self->state;
              if (epoch != state.epoch || state.phase != job_phase::assigning) return;
              for (size_t i = 0; i < channels.size() && i < sources.size(); ++i)
                state.sources[channels[i]] = sources[i];
              if (++state.replies < state.assigned.size()) return;
              state.phase = job_phase::running;
              // A stop or a join that came while assigning is served by the next checkpoint.
              if (state.stopping || state.reassign) start_checkpoint(self);
            },
            [self, epoch](const caf::error& error) {
              if (epoch == self->state.epoch && self->state.phase == job_phase::assigning)
                on_failure(self, "assigning sources: " + self->system().render(error), false);
            });
  }
}

// Assigns the job anew over the workers there are, from its last complete checkpoint.
void assign(self_ptr self) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  release_assignment(self);
  state.reassign = false;
  if (state.members.empty()) {
    state.phase = job_phase::waiting;
    return;
  }
  state.phase = job_phase::assigning;
  ++state.epoch;
  if (state.config.record) {
    // From here on, writes of older assignments are refused by the store.
    state.config.record->epoch = state.epoch;
    if (auto status = state.config.db->put_job(*state.config.record); !status.ok())
      return on_failure(self, std::string(status.message()), false);
  }
  auto from = resume_point(plan, *state.config.db);
  if (!from.ok())
    return finish(self,
                  caf::make_error(caf::sec::runtime_error, std::string(from.status().message())));
  if (state.assignments++ == 0) state.start_offsets = from->offsets;
  state.checkpoint = from->id;
  state.first_snapshot = from->id + 1;
  state.committed = from->offsets;
  // A wait that came while the job had no assignment may be over already: no checkpoint is
  // taken while nothing comes.
  release_waiters(state);
  const uint32_t channels = plan.source.table->channels();
  const uint32_t workers = static_cast<uint32_t>(state.members.size());
  state.assigned = state.members;
  state.reducers.assign(workers, caf::actor{});
  state.sources.assign(channels, caf::actor{});
  state.late.assign(workers, 0);
  state.channel_worker.resize(channels);
  for (uint32_t c = 0; c < channels; ++c) state.channel_worker[c] = c % workers;
  state.replies = 0;
  state.drained_sources = 0;
  const uint64_t epoch = state.epoch;
  for (uint32_t r = 0; r < workers; ++r) {
    self->request(state.assigned[r], assign_timeout, reducer_atom::value, plan.name, epoch,
                  state.config.script, r, workers, channels, from->id, from->first_snapshot,
                  from->parts)
        .then(
            [self, epoch, r](const caf::actor& reducer) {
              auto& state = self->state;
              if (epoch != state.epoch || state.phase != job_phase::assigning) return;
              state.reducers[r] = reducer;
              if (++state.replies == state.assigned.size()) assign_sources(self);
            },
            [self, epoch](const caf::error& error) {
              if (epoch == self->state.epoch && self->state.phase == job_phase::assigning)
                on_failure(self, "assigning reducers: " + self->system().render(error), false);
            });
  }
}

job_status status_of(const job_state& state) {
  job_status status;
  switch (state.phase) {
    case job_phase::waiting:
      status.state = "waiting for workers";
      break;
    case job_phase::assigning:
      status.state = "assigning";
      break;
    case job_phase::running:
      status.state = state.stopping ? "stopping" : "running";
      break;
  }
  status.epoch = state.epoch;
  const uint32_t workers = static_cast<uint32_t>(state.assigned.size());
  for (uint32_t w = 0; w < workers; ++w) {
    job_share share;
    share.worker = state.assigned[w];
    for (uint32_t c = 0; c < state.channel_worker.size(); ++c)
      if (state.channel_worker[c] == w) share.channels.push_back(c);
    while (share.first_group < ops::key_groups && ops::reducer_of(share.first_group, workers) < w)
      ++share.first_group;
    share.end_group = share.first_group;
    while (share.end_group < ops::key_groups && ops::reducer_of(share.end_group, workers) == w)
      ++share.end_group;
    status.shares.push_back(std::move(share));
  }
  status.rows = rows_read(state);
  status.rows_per_second = state.rows_per_second;
  if (auto ends = state.config.db->end_offsets(*state.config.plan->source.table); ends.ok())
    for (size_t c = 0; c < ends->size() && c < state.committed.size(); ++c)
      status.lag.push_back((*ends)[c] - std::min((*ends)[c], state.committed[c]));
  status.late = sum(state.late);
  status.last_checkpoint = state.checkpoint;
  status.last_checkpoint_ms = state.last_checkpoint_ms;
  status.last_checkpoint_unix_ms = state.last_complete_unix_ms;
  status.reassignments = state.assignments ? state.assignments - 1 : 0;
  return status;
}

}  // namespace

absl::StatusOr<store::checkpoint> resume_point(const ops::job_plan& plan, const store::api& db) {
  const uint32_t channels = plan.source.table->channels();
  store::checkpoint from;
  from.offsets.assign(channels, 0);
  auto last = db.last_checkpoint(plan.options.checkpoint_location);
  if (absl::IsNotFound(last.status())) return from;
  if (!last.ok()) return last.status();
  if (last->offsets.size() != channels)
    return absl::FailedPreconditionError(
        fmt::format("checkpoint {} of {} has {} offsets, but {} has {} channels", last->id,
                    plan.options.checkpoint_location, last->offsets.size(),
                    plan.source.table->name(), channels));
  if (last->fingerprint != plan.fingerprint)
    return absl::FailedPreconditionError(fmt::format(
        "checkpointLocation '{}' holds checkpoints of another computation ({}); give this job "
        "a new checkpointLocation",
        plan.options.checkpoint_location, last->fingerprint));
  return *last;
}

caf::behavior job_actor(self_ptr self, job_config config) {
  auto& state = self->state;
  state.config = std::move(config);
  state.members = state.config.workers;
  if (state.config.record) state.epoch = state.config.record->epoch;
  state.started = state.last_complete = std::chrono::steady_clock::now();
  if (state.config.until_drained) {
    auto ends = state.config.db->end_offsets(*state.config.plan->source.table);
    if (!ends.ok()) {
      self->quit(caf::make_error(caf::sec::runtime_error, std::string(ends.status().message())));
      return {};
    }
    state.targets = *ends;
  }
  assign(self);
  self->delayed_send(self, interval_of(*state.config.plan), tick_atom::value);
  return {
      [self](tick_atom) {
        auto& state = self->state;
        if (state.pending != 0 &&
            std::chrono::steady_clock::now() - state.pending_since > checkpoint_timeout)
          on_failure(self, fmt::format("checkpoint {} did not complete in time", state.pending),
                     true);
        if (!caught_up(state)) start_checkpoint(self);
        self->delayed_send(self, interval_of(*state.config.plan), tick_atom::value);
      },
      [self](deploy_atom, uint64_t epoch) {
        if (epoch == self->state.epoch && self->state.phase == job_phase::waiting) assign(self);
      },
      [self](workers_atom, const std::vector<caf::actor>& workers) {
        auto& state = self->state;
        state.members = workers;
        for (const auto& worker : state.assigned)
          if (std::find(workers.begin(), workers.end(), worker) == workers.end())
            return on_failure(self, "a worker was lost", true);
        if (state.phase == job_phase::waiting) {
          self->delayed_send(self, settle_pause, deploy_atom::value, state.epoch);
          return;
        }
        // A worker joined: it gets its share from the next checkpoint on, taken now.
        if (workers.size() != state.assigned.size()) {
          state.reassign = true;
          start_checkpoint(self);
        }
      },
      [self](offset_atom, uint64_t epoch, uint64_t checkpoint, uint32_t channel, uint64_t offset) {
        auto& state = self->state;
        if (epoch != state.epoch || checkpoint != state.pending || channel >= state.offsets.size())
          return;
        state.offsets[channel] = offset;
        ++state.offsets_in;
        if (state.offsets_in == state.sources.size() && state.acks_in == state.reducers.size())
          complete_checkpoint(self);
      },
      [self](ack_atom, uint64_t epoch, uint64_t checkpoint, uint32_t reducer, uint64_t late) {
        auto& state = self->state;
        if (epoch != state.epoch || checkpoint != state.pending || reducer >= state.late.size())
          return;
        state.late[reducer] = late;
        ++state.acks_in;
        if (state.offsets_in == state.sources.size() && state.acks_in == state.reducers.size())
          complete_checkpoint(self);
      },
      [self](fail_atom, uint64_t epoch, const std::string& what) {
        if (epoch == self->state.epoch && self->state.phase != job_phase::waiting)
          on_failure(self, what, false);
      },
      [self](drained_atom, uint64_t epoch, uint32_t) {
        // Every source has read what it had to: checkpoint now rather than at the next tick.
        auto& state = self->state;
        if (epoch == state.epoch && ++state.drained_sources == state.sources.size())
          start_checkpoint(self);
      },
      [self](status_atom) { return status_of(self->state); },
      [self](wait_atom) -> caf::result<ok_atom> {
        auto ends = self->state.config.db->end_offsets(*self->state.config.plan->source.table);
        if (!ends.ok())
          return caf::make_error(caf::sec::runtime_error, std::string(ends.status().message()));
        if (reached(self->state.committed, *ends)) return ok_atom::value;
        auto reply = self->make_response_promise();
        self->state.waiters.push_back({*ends, reply});
        return reply;
      },
      [self](shutdown_atom) {
        auto& state = self->state;
        state.leaving = true;
        if (state.phase != job_phase::running) return finish(self, caf::error{});
        start_checkpoint(self);
      },
      [self](stop_atom) -> caf::result<ok_atom> {
        auto& state = self->state;
        state.stopping = true;
        if (state.phase == job_phase::waiting) {
          if (auto recorded = mark_stopped(state); !recorded.ok())
            return caf::make_error(caf::sec::runtime_error, std::string(recorded.message()));
          finish(self, caf::error{});
          return ok_atom::value;
        }
        // Answered once the final checkpoint is complete.
        auto reply = self->make_response_promise();
        state.stop_replies.push_back(reply);
        start_checkpoint(self);
        return reply;
      },
  };
}

}  // namespace sluice::coordinator

#include "coordinator/job_actor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "operators/group_table.hpp"
#include "messaging/atoms.hpp"
#include "protocol/snapshot_plan.hpp"
#include "runtime/core/status.hpp"
#include "worker/store_io.hpp"

namespace sluice::coordinator {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<job_state>*;
using worker::ask_store;
using worker::while_asking;

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
  state.joiners.clear();
  state.sources.clear();
  state.round.drop();
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
void assign_from(self_ptr self, const store::checkpoint& from);
void assign_if_all_back(self_ptr self);

// Something went wrong in the current assignment. A cluster job is assigned anew (at once when
// `now`, else after a pause); in `sluice run` the job ends with the error.
void on_failure(self_ptr self, const std::string& what, bool now) {
  auto& state = self->state;
  ++state.failures_total;
  if (state.round.pending() != 0) ++state.checkpoints_failed;
  state.last_failure = what;
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

// Whether some wait is for ends that every source has read and found nothing after: a
// checkpoint now ends it.
bool waiter_read(const job_state& state) {
  return std::any_of(state.waiters.begin(), state.waiters.end(),
                     [&](const job_state::waiter& w) { return reached(state.idle_at, w.ends); });
}

// Every wait for an end the last complete checkpoint has reached is over.
void release_waiters(job_state& state) {
  std::erase_if(state.waiters, [&](job_state::waiter& waiter) {
    if (!reached(state.committed, waiter.ends)) return false;
    waiter.reply.deliver(ok_atom::value);
    return true;
  });
}

void start_checkpoint(self_ptr self) {
  auto& state = self->state;
  if (state.phase != job_phase::running ||
      !state.round.begin(state.checkpoint, state.committed,
                         static_cast<uint32_t>(state.reducers.size() + state.joiners.size()),
                         std::chrono::steady_clock::now()))
    return;
  state.round_bytes = 0;
  for (auto& source : state.sources) self->send(source, barrier_atom::value, state.round.pending());
}

// A checkpoint, unless the last complete one has read every channel to its end and nothing has
// come since: one now would record the same state again.
void checkpoint_unless_caught_up(self_ptr self) {
  auto& state = self->state;
  if (state.phase != job_phase::running || state.round.pending() != 0) return;
  if (state.reassign || state.stopping || state.leaving) return start_checkpoint(self);
  ask_store(
      self, state.io,
      [plan = state.config.plan](store::api& db) { return input_end_offsets(*plan, db); },
      [self](absl::StatusOr<std::vector<uint64_t>> ends) {
        if (!ends.ok() || !reached(self->state.committed, *ends)) start_checkpoint(self);
      });
}

// A cluster job's record says it was stopped: a coordinator started again does not resume it.
// Then `then(status)`.
template <typename Then>
void mark_stopped(self_ptr self, Then then) {
  auto& state = self->state;
  if (!state.config.record) return then(absl::OkStatus());
  state.config.record->stopped = true;
  ask_store(
      self, state.io, [record = *state.config.record](store::api& db) { return db.put_job(record); },
      [then](absl::StatusOr<std::monostate> done) mutable { then(done.status()); });
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

// The bucket of checkpoint_buckets a duration counts in.
size_t bucket_of(double seconds) {
  size_t bucket = 0;
  while (bucket < std::size(checkpoint_buckets) && seconds > checkpoint_buckets[bucket]) ++bucket;
  return bucket;
}

// The checkpoint of the round is stored: it is complete.
void on_complete(self_ptr self) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - state.last_complete).count();
  state.rows_per_second =
      (sum(state.round.offsets()) - sum(state.committed)) / std::max(seconds, 1e-9);
  state.last_complete = now;
  state.last_complete_unix_ms = absl::ToUnixMillis(absl::Now());
  state.committed = state.round.offsets();
  state.late = state.round.late_rows();
  state.failures = 0;
  state.checkpoint = state.round.pending();
  state.last_checkpoint_ms = state.round.recorded(now).count();
  ++state.checkpoints;
  state.checkpoint_ms.push_back(state.last_checkpoint_ms);
  state.checkpoint_seconds += state.last_checkpoint_ms / 1000;
  ++state.checkpoint_counts[bucket_of(state.last_checkpoint_ms / 1000)];
  state.history.push_back(
      {state.checkpoint, state.last_checkpoint_ms, state.round_bytes, state.last_complete_unix_ms});
  if (state.history.size() > history_length) state.history.pop_front();
  release_waiters(state);
  if (state.leaving && !state.stopping) return finish(self, caf::error{});
  if (state.stopping || (state.config.until_drained && drained(state))) {
    return mark_stopped(self, [self, name = plan.name](const absl::Status& recorded) {
      if (!recorded.ok())
        std::cerr << fmt::format("job {}: {}\n", name, std::string(recorded.message()));
      if (self->state.config.listener)
        self->send(self->state.config.listener, done_atom::value, summarize(self->state));
      finish(self, caf::error{});
    });
  }
  if (state.reassign) return assign(self);
  // A checkpoint that took longer than the interval (one waiting for a store that restarted,
  // say) is followed by the next at once, not at the tick after.
  if (std::exchange(state.tick_missed, false)) return checkpoint_unless_caught_up(self);
  // Sources that found their channels empty again may already have read what a wait is for.
  if (waiter_read(state)) start_checkpoint(self);
}

// Every source and reducer has answered the round: its checkpoint goes to the store.
void record_checkpoint(self_ptr self) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  auto cp = state.round.record(state.first_snapshot, plan.fingerprint);
  const uint64_t epoch = state.epoch;
  ask_store(
      self, state.io,
      [cp, location = plan.options.checkpoint_location, plan = state.config.plan,
       fence = store::fence{plan.name, epoch}](store::api& db) {
        std::vector<store::source_tunnel> sources = {{plan->source.table.get(), plan->source.tunnel_id}};
        if (plan->join) sources.push_back({plan->join->right.table.get(), plan->join->right.tunnel_id});
        return db.complete_checkpoint(location, cp, sources, fence);
      },
      [self, epoch, id = cp.id](absl::StatusOr<std::monostate> done) {
        if (epoch != self->state.epoch || id != self->state.round.pending()) return;
        if (!done.ok()) return on_failure(self, std::string(done.status().message()), false);
        on_complete(self);
      });
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
                  state.config.plan->join ? state.joiners : state.reducers, channels, offsets, ends,
                  state.watermark)
        .then(
            [self, epoch, channels](const std::vector<caf::actor>& sources) {
              auto& state = self->state;
              if (epoch != state.epoch || state.phase != job_phase::assigning) return;
              for (size_t i = 0; i < channels.size() && i < sources.size(); ++i)
                state.sources[channels[i]] = sources[i];
              if (++state.replies < state.assigned.size()) return;
              state.phase = job_phase::running;
              // A checkpoint at once: after a restart its snapshots are small (the backlog has
              // not been read yet), and it shows the job going again; a stop or a join that
              // came while assigning is served by it.
              checkpoint_unless_caught_up(self);
            },
            [self, epoch](const caf::error& error) {
              if (epoch == self->state.epoch && self->state.phase == job_phase::assigning)
                on_failure(self, "assigning sources: " + self->system().render(error), false);
            });
  }
}

// A job with a join: the assignment's joiners, once every worker has its reducer; then the
// sources.
void assign_joiners(self_ptr self, const store::checkpoint& from) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  const uint64_t epoch = state.epoch;
  state.replies = 0;
  state.joiners.assign(state.assigned.size(), caf::actor{});
  for (uint32_t j = 0; j < state.assigned.size(); ++j) {
    self->request(state.assigned[j], assign_timeout, joiner_atom::value, plan.name, epoch, j,
                  plan.channels(), state.reducers, from.id, from.first_snapshot, from.parts,
                  from.by_key_group)
        .then(
            [self, epoch, j](const caf::actor& joiner) {
              auto& state = self->state;
              if (epoch != state.epoch || state.phase != job_phase::assigning) return;
              state.joiners[j] = joiner;
              if (++state.replies == state.assigned.size()) assign_sources(self);
            },
            [self, epoch](const caf::error& error) {
              if (epoch == self->state.epoch && self->state.phase == job_phase::assigning)
                on_failure(self, "assigning joiners: " + self->system().render(error), false);
            });
  }
}

// How many workers the checkpoint the job resumes from was taken over (a coordinator started
// again has its workers register anew).
void learn_workers_before(self_ptr self) {
  ask_store(
      self, self->state.io,
      [plan = self->state.config.plan](store::api& db) { return resume_point(*plan, db); },
      [self](absl::StatusOr<store::checkpoint> from) {
        auto& state = self->state;
        if (!from.ok() || state.workers_before != 0) return;
        state.workers_before = state.config.plan->join ? from->parts / 2 : from->parts;
        if (state.phase == job_phase::waiting) assign_if_all_back(self);
      });
}

// A waiting job: assigned at once when as many workers as before are there, else after the
// settle pause, so that workers registering at about the same time are all in it.
void assign_if_all_back(self_ptr self) {
  auto& state = self->state;
  if (state.workers_before != 0 && state.members.size() >= state.workers_before)
    return assign(self);
  if (!state.members.empty())
    self->delayed_send(self, settle_pause, deploy_atom::value, state.epoch);
}

// Assigns the job anew over the workers there are, from its last complete checkpoint.
void assign(self_ptr self) {
  auto& state = self->state;
  release_assignment(self);
  state.reassign = state.tick_missed = false;
  if (state.members.empty()) {
    state.phase = job_phase::waiting;
    if (state.workers_before == 0) learn_workers_before(self);
    return;
  }
  state.phase = job_phase::assigning;
  ++state.epoch;
  if (state.config.record) state.config.record->epoch = state.epoch;
  // From the job record's new epoch on, writes of older assignments are refused by the store.
  // The job's other messages wait until the store has answered.
  ask_store<while_asking::awaited>(
      self, state.io,
      [record = state.config.record, plan = state.config.plan](
          store::api& db) -> absl::StatusOr<store::checkpoint> {
        if (record) SLUICE_RETURN_IF_ERROR(db.put_job(*record));
        return resume_point(*plan, db);
      },
      [self](absl::StatusOr<store::checkpoint> from) {
        if (absl::IsFailedPrecondition(from.status()))
          return finish(self, caf::make_error(caf::sec::runtime_error,
                                              std::string(from.status().message())));
        if (!from.ok()) return on_failure(self, std::string(from.status().message()), false);
        assign_from(self, *from);
      });
}

// The assignment, from checkpoint `from`: a reducer on every worker, then the sources.
void assign_from(self_ptr self, const store::checkpoint& from) {
  auto& state = self->state;
  const auto& plan = *state.config.plan;
  if (state.assignments++ == 0) state.start_offsets = from.offsets;
  state.checkpoint = from.id;
  const uint32_t workers = static_cast<uint32_t>(state.members.size());
  state.workers_before = workers;
  state.first_snapshot = protocol::continues_snapshots(from.parts, from.by_key_group)
                             ? from.first_snapshot
                             : from.id + 1;
  state.committed = from.offsets;
  state.watermark = from.watermark;
  state.idle_at.assign(from.offsets.size(), 0);
  // A wait that came while the job had no assignment may be over already: no checkpoint is
  // taken while nothing comes.
  release_waiters(state);
  const uint32_t channels = plan.channels();
  state.assigned = state.members;
  state.reducers.assign(workers, caf::actor{});
  state.sources.assign(channels, caf::actor{});
  state.late.assign(workers, 0);
  state.channel_worker.resize(channels);
  for (uint32_t c = 0; c < channels; ++c) state.channel_worker[c] = c % workers;
  state.replies = 0;
  state.drained_sources = 0;
  const uint64_t epoch = state.epoch;
  // With a join, a reducer's inputs are the joiners, and a checkpoint's snapshots are the
  // reducers' then as many joiners' (a count an older Sluice's parts are read by).
  const uint32_t inputs = plan.join ? workers : channels;
  const uint32_t reducer_parts = plan.join ? from.parts / 2 : from.parts;
  for (uint32_t r = 0; r < workers; ++r) {
    self->request(state.assigned[r], assign_timeout, reducer_atom::value, plan.name, epoch,
                  state.config.script, r, workers, inputs, from.id, from.first_snapshot,
                  reducer_parts, from.by_key_group)
        .then(
            [self, epoch, r, from](const caf::actor& reducer) {
              auto& state = self->state;
              if (epoch != state.epoch || state.phase != job_phase::assigning) return;
              state.reducers[r] = reducer;
              if (++state.replies < state.assigned.size()) return;
              if (state.config.plan->join) assign_joiners(self, from);
              else assign_sources(self);
            },
            [self, epoch](const caf::error& error) {
              if (epoch == self->state.epoch && self->state.phase == job_phase::assigning)
                on_failure(self, "assigning reducers: " + self->system().render(error), false);
            });
  }
}

// The job's progress; its lag needs the channels' end offsets.
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
  const auto& plan = *state.config.plan;
  status.inputs.push_back(plan.source.table->name());
  if (plan.join) status.inputs.push_back(plan.join->right.table->name());
  status.sink = plan.sink->name();
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
  status.late = sum(state.late);
  status.last_checkpoint = state.checkpoint;
  status.last_checkpoint_ms = state.last_checkpoint_ms;
  status.last_checkpoint_unix_ms = state.last_complete_unix_ms;
  status.reassignments = state.assignments ? state.assignments - 1 : 0;
  status.checkpoints = state.checkpoint_ms.size();
  status.checkpoint_counts = state.checkpoint_counts;
  status.checkpoint_seconds = state.checkpoint_seconds;
  status.failures = state.failures_total;
  status.last_failure = state.last_failure;
  status.checkpoints_failed = state.checkpoints_failed;
  status.last_checkpoint_bytes = state.history.empty() ? 0 : state.history.back().bytes;
  status.history.assign(state.history.begin(), state.history.end());
  status.sink_rows = state.sink_rows;
  status.store_writes = state.store_writes;
  status.store_write_seconds = state.store_write_seconds;
  status.store_write_counts = state.store_write_counts;
  return status;
}

}  // namespace

absl::StatusOr<std::vector<uint64_t>> input_end_offsets(const ops::job_plan& plan,
                                                        const store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto ends, db.end_offsets(*plan.source.table));
  if (plan.join) {
    SLUICE_ASSIGN_OR_RETURN(auto right, db.end_offsets(*plan.join->right.table));
    ends.insert(ends.end(), right.begin(), right.end());
  }
  return ends;
}

absl::StatusOr<store::checkpoint> resume_point(const ops::job_plan& plan, const store::api& db) {
  const uint32_t channels = plan.channels();
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
  state.io = worker::spawn_store_io(self, state.config.db);
  auto end_offsets = [plan = state.config.plan](store::api& db) {
    return input_end_offsets(*plan, db);
  };
  if (state.config.until_drained) {
    // The job reads up to the ends the channels have now.
    ask_store<while_asking::awaited>(
        self, state.io, end_offsets, [self](absl::StatusOr<std::vector<uint64_t>> ends) {
          if (!ends.ok())
            return self->quit(
                caf::make_error(caf::sec::runtime_error, std::string(ends.status().message())));
          self->state.targets = *std::move(ends);
          assign(self);
        });
  } else {
    assign(self);
  }
  self->delayed_send(self, interval_of(*state.config.plan), tick_atom::value);
  return {
      [self](tick_atom) {
        auto& state = self->state;
        if (state.round.overdue(std::chrono::steady_clock::now(), checkpoint_timeout))
          on_failure(self,
                     fmt::format("checkpoint {} did not complete in time", state.round.pending()),
                     true);
        if (state.round.pending() != 0) state.tick_missed = true;
        checkpoint_unless_caught_up(self);
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
        if (state.phase == job_phase::waiting) return assign_if_all_back(self);
        // A worker joined: it gets its share from the next checkpoint on, taken now.
        if (workers.size() != state.assigned.size()) {
          state.reassign = true;
          start_checkpoint(self);
        }
      },
      [self](offset_atom, uint64_t epoch, uint64_t checkpoint, uint32_t channel, uint64_t offset) {
        if (epoch == self->state.epoch && self->state.round.on_offset(checkpoint, channel, offset))
          record_checkpoint(self);
      },
      [self](ack_atom, uint64_t epoch, uint64_t checkpoint, uint32_t reducer, uint64_t late,
             int64_t watermark, uint64_t sink_rows, uint64_t snapshot_bytes, double write_seconds) {
        auto& state = self->state;
        if (epoch != state.epoch) return;
        state.sink_rows += sink_rows;
        ++state.store_writes;
        state.store_write_seconds += write_seconds;
        ++state.store_write_counts[bucket_of(write_seconds)];
        if (checkpoint == state.round.pending()) state.round_bytes += snapshot_bytes;
        if (state.round.on_ack(checkpoint, reducer, late, watermark)) record_checkpoint(self);
      },
      [self](fail_atom, uint64_t epoch, const std::string& what) {
        if (epoch == self->state.epoch && self->state.phase != job_phase::waiting)
          on_failure(self, what, false);
      },
      [self](idle_atom, uint64_t epoch, uint32_t channel, uint64_t offset) {
        auto& state = self->state;
        if (epoch != state.epoch || channel >= state.idle_at.size()) return;
        state.idle_at[channel] = offset;
        if (waiter_read(state)) start_checkpoint(self);
      },
      [self](drained_atom, uint64_t epoch, uint32_t) {
        // Every source has read what it had to: checkpoint now rather than at the next tick.
        auto& state = self->state;
        if (epoch == state.epoch && ++state.drained_sources == state.sources.size())
          start_checkpoint(self);
      },
      [self, end_offsets](status_atom) -> caf::result<job_status> {
        auto reply = self->make_response_promise<job_status>();
        ask_store(self, self->state.io, end_offsets,
                  [self, reply](absl::StatusOr<std::vector<uint64_t>> ends) mutable {
                    auto status = status_of(self->state);
                    const auto& committed = self->state.committed;
                    if (ends.ok())
                      for (size_t c = 0; c < ends->size() && c < committed.size(); ++c)
                        status.lag.push_back((*ends)[c] - std::min((*ends)[c], committed[c]));
                    reply.deliver(std::move(status));
                  });
        return reply;
      },
      [self, end_offsets](wait_atom) -> caf::result<ok_atom> {
        auto reply = self->make_response_promise<ok_atom>();
        ask_store(self, self->state.io, end_offsets,
                  [self, reply](absl::StatusOr<std::vector<uint64_t>> ends) mutable {
                    if (!ends.ok())
                      reply.deliver(caf::make_error(caf::sec::runtime_error,
                                                    std::string(ends.status().message())));
                    else if (reached(self->state.committed, *ends))
                      reply.deliver(ok_atom::value);
                    else {
                      self->state.waiters.push_back({*std::move(ends), reply});
                      if (waiter_read(self->state)) start_checkpoint(self);
                    }
                  });
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
        // Answered once the final checkpoint is complete (at once when the job has no workers).
        auto reply = self->make_response_promise<ok_atom>();
        state.stop_replies.push_back(reply);
        if (state.phase != job_phase::waiting) {
          start_checkpoint(self);
          return reply;
        }
        mark_stopped(self, [self](const absl::Status& recorded) {
          if (!recorded.ok()) {
            auto replies = std::move(self->state.stop_replies);
            for (auto& reply : replies)
              reply.deliver(caf::make_error(caf::sec::runtime_error, std::string(recorded.message())));
          }
          finish(self, caf::error{});
        });
        return reply;
      },
  };
}

}  // namespace sluice::coordinator

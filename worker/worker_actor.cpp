#include "worker/worker_actor.hpp"

#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include "operators/group_table.hpp"
#include "operators/script.hpp"
#include "protocol/snapshot_plan.hpp"
#include "messaging/atoms.hpp"
#include "remote/address.hpp"
#include "remote/gate.hpp"
#include "worker/joiner_actor.hpp"
#include "worker/reducer_actor.hpp"
#include "worker/source_actor.hpp"
#include "worker/store_io.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<worker_state>*;

void stop(self_ptr self, deployment& job) {
  for (auto& actor : job.actors) self->send_exit(actor, caf::exit_reason::user_shutdown);
  job.actors.clear();
}

// Stops the actors of `job` up to `epoch` (every job when `job` is empty).
void undeploy(self_ptr self, const std::string& job, uint64_t epoch) {
  auto& jobs = self->state.jobs;
  for (auto it = jobs.begin(); it != jobs.end();) {
    if ((job.empty() || it->first == job) && it->second.epoch <= epoch) {
      stop(self, it->second);
      it = jobs.erase(it);
    } else {
      ++it;
    }
  }
}

void watch(self_ptr self, const caf::actor& spawned) {
  self->monitor(spawned);
  self->state.running.insert(spawned.address());
}

caf::error refused(std::string what) {
  return caf::make_error(caf::sec::runtime_error, std::move(what));
}

// Connects to the peers not connected yet (CAF then routes messages to their actors over the
// direct connection). A peer that cannot be reached stays reachable through the coordinator.
// Connecting blocks, so it runs on the I/O actor too.
void connect_peers(self_ptr self, const std::vector<std::string>& addresses) {
  for (const auto& peer : addresses) {
    if (peer == self->state.address || self->state.peers.count(peer)) continue;
    auto at = remote::parse_address(peer);
    if (!at.ok()) continue;
    ask_store(
        self, self->state.io,
        [system = &self->system(), at = *at](store::api&) -> absl::Status {
          return remote::connect_node(*system, at);
        },
        [self, peer](absl::StatusOr<std::monostate> connected) {
          if (connected.ok()) self->state.peers.insert(peer);
        });
  }
}

// Plans `job` from its script (the store's catalog has its tables) and starts its reducer.
// The worker's other messages wait until the plan is made.
void deploy_reducer(self_ptr self, reducer_config config, std::string script, uint32_t reducers,
                    caf::typed_response_promise<caf::actor> reply) {
  auto job = config.fence.job;
  ask_store<while_asking::awaited>(
      self, self->state.io,
      [script = std::move(script), job = std::move(job)](store::api& db) {
        return ops::plan_from_script(script, job, db);
      },
      [self, config = std::move(config), reducers, reply](
          absl::StatusOr<std::shared_ptr<const ops::job_plan>> plan) mutable {
        if (!plan.ok()) {
          reply.deliver(refused(std::string(plan.status().message())));
          return;
        }
        config.plan = *plan;
        config.db = self->state.db;
        config.owns.assign(ops::key_groups, false);
        for (uint32_t g = 0; g < ops::key_groups; ++g)
          config.owns[g] = ops::reducer_of(g, reducers) == config.index;
        config.slots = protocol::owned_slots(config.owns, 0);
        auto& deployed = self->state.jobs[config.fence.job];
        deployed.epoch = config.fence.epoch;
        deployed.plan = *plan;
        auto reducer = self->spawn(reducer_actor, std::move(config));
        watch(self, reducer);
        deployed.actors.push_back(reducer);
        reply.deliver(reducer);
      });
}

}  // namespace

caf::behavior worker_actor(self_ptr self, store::api* db, std::string address) {
  self->state.db = db;
  self->state.address = std::move(address);
  self->state.io = spawn_store_io(self, db);
  self->set_exit_handler([self](const caf::exit_msg&) {
    undeploy(self, std::string(), UINT64_MAX);
    self->state.stopping = true;
    if (self->state.running.empty()) self->quit();
  });
  self->set_down_handler([self](const caf::down_msg& down) {
    self->state.running.erase(down.source);
    if (self->state.stopping && self->state.running.empty()) self->quit();
  });
  return {
      [self](reducer_atom, const std::string& job, uint64_t epoch, const std::string& script,
             uint32_t index, uint32_t reducers, uint32_t sources, uint64_t restore_checkpoint,
             uint64_t restore_first, uint32_t restore_parts,
             bool restore_by_key_group) -> caf::result<caf::actor> {
        auto& jobs = self->state.jobs;
        if (auto it = jobs.find(job); it != jobs.end()) {
          if (it->second.epoch > epoch)
            return refused(fmt::format("job {}: assignment {} is older than {}", job, epoch,
                                       it->second.epoch));
          undeploy(self, job, epoch);
        }
        reducer_config config;
        config.fence = {job, epoch};
        config.index = index;
        config.sources = sources;
        config.coordinator = caf::actor_cast<caf::actor>(self->current_sender());
        config.restore_checkpoint = restore_checkpoint;
        config.restore_first = restore_first;
        config.restore_parts = restore_parts;
        config.restore_by_key_group = restore_by_key_group;
        auto reply = self->make_response_promise<caf::actor>();
        deploy_reducer(self, std::move(config), script, reducers, reply);
        return reply;
      },
      [self](joiner_atom, const std::string& job, uint64_t epoch, uint32_t index,
             uint32_t sources, const std::vector<caf::actor>& reducers, uint64_t restore_checkpoint,
             uint64_t restore_first, uint32_t restore_parts,
             bool restore_by_key_group) -> caf::result<caf::actor> {
        auto it = self->state.jobs.find(job);
        if (it == self->state.jobs.end() || it->second.epoch != epoch)
          return refused(fmt::format("job {}: assignment {} has no reducer here", job, epoch));
        if (!it->second.plan->join) return refused(fmt::format("job {} has no join", job));
        joiner_config config;
        config.plan = it->second.plan;
        config.db = self->state.db;
        config.fence = {job, epoch};
        config.index = index;
        const auto joiners = static_cast<uint32_t>(reducers.size());
        config.part = joiners + index;
        config.sources = sources;
        config.reducers = reducers;
        config.coordinator = caf::actor_cast<caf::actor>(self->current_sender());
        config.restore_checkpoint = restore_checkpoint;
        config.restore_first = restore_first;
        config.restore_parts = restore_parts;
        config.restore_by_key_group = restore_by_key_group;
        config.owns.assign(ops::key_groups, false);
        for (uint32_t g = 0; g < ops::key_groups; ++g)
          config.owns[g] = ops::reducer_of(g, joiners) == index;
        config.slots = protocol::owned_slots(config.owns, store::joiner_slots);
        auto joiner = self->spawn(joiner_actor, std::move(config));
        watch(self, joiner);
        it->second.actors.push_back(joiner);
        return joiner;
      },
      [self](sources_atom, const std::string& job, uint64_t epoch,
             const std::vector<caf::actor>& reducers, const std::vector<uint64_t>& channels,
             const std::vector<uint64_t>& offsets, const std::vector<uint64_t>& end_offsets,
             int64_t watermark) -> caf::result<std::vector<caf::actor>> {
        auto it = self->state.jobs.find(job);
        if (it == self->state.jobs.end() || it->second.epoch != epoch)
          return refused(fmt::format("job {}: assignment {} has no reducer here", job, epoch));
        if (offsets.size() != channels.size() || end_offsets.size() != channels.size())
          return refused(fmt::format("job {}: {} channels but {} offsets and {} end offsets", job,
                                     channels.size(), offsets.size(), end_offsets.size()));
        std::vector<uint32_t> owner(ops::key_groups);
        for (uint32_t g = 0; g < ops::key_groups; ++g)
          owner[g] = ops::reducer_of(g, static_cast<uint32_t>(reducers.size()));
        std::vector<caf::actor> sources;
        for (size_t i = 0; i < channels.size(); ++i) {
          source_config config;
          config.plan = it->second.plan;
          config.db = self->state.db;
          config.epoch = epoch;
          config.channel = static_cast<uint32_t>(channels[i]);
          config.offset = offsets[i];
          config.end_offset = end_offsets[i];
          config.watermark = watermark;
          config.reducers = reducers;
          config.owner = owner;
          config.coordinator = caf::actor_cast<caf::actor>(self->current_sender());
          sources.push_back(self->spawn(source_actor, std::move(config)));
          watch(self, sources.back());
        }
        it->second.actors.insert(it->second.actors.end(), sources.begin(), sources.end());
        return sources;
      },
      [self](undeploy_atom, const std::string& job, uint64_t epoch) { undeploy(self, job, epoch); },
      [self](workers_atom, const std::vector<std::string>& addresses) {
        connect_peers(self, addresses);
      },
  };
}

}  // namespace sluice::worker

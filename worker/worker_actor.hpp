// The worker actor: one per `sluice worker` process (and one per worker thread of `sluice run`).
// It hosts what the jobs' coordinators assign to it: per job, one reducer for a range of key
// groups and one source per assigned channel. It plans each job itself from the job's script
// (ops::plan_from_script), so it needs nothing but the store.
//
// Every assignment has an epoch. A newer assignment of a job replaces an older one (whose
// actors are stopped first), an older one is refused, and an undeploy stops the actors of the
// epochs up to the one it names. In a cluster it also connects to the other workers it is told
// of, so that its sources reach their reducers directly rather than through the coordinator.
// An exit message (its process stopping) stops every actor it hosts; the worker actor ends once
// they all have, so that its process can close what they use.
// Its messages are listed in messaging/atoms.hpp.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

struct deployment {
  uint64_t epoch = 0;
  std::shared_ptr<const ops::job_plan> plan;
  std::vector<caf::actor> actors;  // its reducer and sources
};

struct worker_state {
  store::api* db = nullptr;  // outlives the actor system
  caf::actor io;             // its store I/O actor: plans, and connections to peers
  std::string address;       // HOST:PORT where its peers reach it; empty in `sluice run`
  std::set<std::string> peers;  // connected to directly
  std::map<std::string, deployment, std::less<>> jobs;
  std::set<caf::actor_addr> running;  // every source and reducer spawned here and not yet down
  bool stopping = false;              // its process stops: it ends once `running` is empty
  static inline const char* name = "sluice.worker";
};

caf::behavior worker_actor(caf::stateful_actor<worker_state>* self, store::api* db,
                           std::string address);

}  // namespace sluice::worker

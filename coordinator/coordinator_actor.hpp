// The coordinator actor: the heart of `sluice coordinator`. It keeps the cluster's membership
// (workers register and are monitored; a lost one is seen by its down message), runs submitted
// scripts (catalog statements against the store, jobs recorded in the store and started), and
// runs one job actor per job, telling each when the workers change. Started again, it resumes
// every job recorded in the store and not stopped. Its messages are listed in
// messaging/atoms.hpp.
#pragma once

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <string>
#include <vector>

#include "cdc/follower_set.hpp"
#include "runtime/store/api.hpp"

namespace sluice::coordinator {

struct coordinator_config {
  store::api* db = nullptr;   // outlives the actor system
  std::string store_address;  // HOST:PORT, as workers reach the store
  // Follows the mysql-cdc tables of the jobs' scripts (none: such a script is refused).
  cdc::follower_set* followers = nullptr;
};

struct member {
  caf::actor worker;
  std::string name;
  std::string address;  // HOST:PORT where other workers reach it
  uint64_t session = 0;  // which of its registrations
};

struct coordinator_state {
  coordinator_config config;
  caf::actor io;                // its store I/O actor
  std::vector<member> members;  // in the order they registered
  std::map<std::string, caf::actor, std::less<>> jobs;  // running, by name
  bool shutting_down = false;  // it ends once every job has left
  static inline const char* name = "sluice.coordinator";
};

caf::behavior coordinator_actor(caf::stateful_actor<coordinator_state>* self,
                                coordinator_config config);

}  // namespace sluice::coordinator

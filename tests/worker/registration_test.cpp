// A worker's registration with the coordinator actor, on CAF 0.17's deterministic scheduler: a
// registration sent again (its answer was late or lost) changes nothing; one of a new session (the
// worker lost the coordinator and stopped what it ran) is taken as the worker gone and back.
#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/coordinator_actor.hpp"
#include "messaging/atoms.hpp"
#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice {
namespace {

using namespace sluice::msg;

struct worker_log {
  int registered = 0;    // answers to its registrations
  int member_lists = 0;  // times the coordinator told the members (it does when they change)
  std::string listing;   // the coordinator's `sluice jobs` listing
};

// Stands in for a worker: registers when told to, and records what the coordinator says.
caf::behavior worker_probe(caf::event_based_actor* self, caf::actor coordinator, worker_log* log) {
  return {
      [=](register_atom, uint64_t session) {
        self->request(coordinator, caf::infinite, register_atom::value,
                      caf::actor_cast<caf::actor>(self), std::string("w1"),
                      std::string("127.0.0.1:7402"), session)
            .then([log](ok_atom) { ++log->registered; });
      },
      [=](jobs_atom) {
        self->request(coordinator, caf::infinite, jobs_atom::value)
            .then([log](const std::string& listing) { log->listing = listing; });
      },
      [log](workers_atom, const std::vector<std::string>&) { ++log->member_lists; },
  };
}

TEST_CASE("registration: sent again it changes nothing, and a new session is the worker gone and back") {
  testing::temp_dir dir;
  auto db = store::store::open({.dir = dir.path / "data"}).value();
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  coordinator::coordinator_config config;
  config.db = db.get();
  config.store_address = "127.0.0.1:7400";
  auto coordinator = sys.spawn(coordinator::coordinator_actor, config);
  worker_log log;
  auto worker = sys.spawn(worker_probe, coordinator, &log);
  auto registers = [&](uint64_t session) {
    caf::anon_send(worker, register_atom::value, session);
    sched.run();
  };

  registers(0);
  CHECK(log.registered == 1);
  CHECK(log.member_lists == 1);
  registers(0);
  CHECK(log.registered == 2);
  CHECK(log.member_lists == 1);
  registers(1);
  CHECK(log.registered == 3);
  CHECK(log.member_lists == 2);  // the jobs saw it leave, then everyone its return

  caf::anon_send(worker, jobs_atom::value);
  sched.run();
  CHECK(nlohmann::json::parse(log.listing)["workers"] == nlohmann::json::array({"w1"}));

  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
  sched.run();
}

}  // namespace
}  // namespace sluice

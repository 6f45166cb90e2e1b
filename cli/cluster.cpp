#include "cli/cluster.hpp"

#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "remote/address.hpp"
#include "remote/configure.hpp"
#include "remote/gate.hpp"

namespace sluice::cli {

std::atomic<bool> stop_requested{false};

void install_stop_signals() {
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });
}

void configure_actors(caf::actor_system_config& config, uint32_t threads) {
  config.set("scheduler.max-threads", std::max<uint32_t>(1, threads));
  // A source sends itself its next pull: without a bound, CAF would keep running it as long as
  // its mailbox is not empty, and a checkpoint barrier would wait behind a whole backlog.
  config.set("scheduler.max-throughput", 16);
  // An idle scheduler thread polls its queue for about 0.2 ms, then sleeps until work is put in
  // its queue, waking every 50 ms to look for work to steal. CAF's defaults (25 ms of polls 50 us
  // apart, then a wake-up every 10 ms) keep both threads of an idle process busy.
  config.set("work-stealing.moderate-poll-attempts", size_t{4});
  config.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds(50)});
  config.set("logger.verbosity", caf::atom("quiet"));
}

void configure_cluster(caf::actor_system_config& config, uint32_t threads,
                       const remote::credentials& credentials) {
  configure_actors(config, threads);
  remote::configure(config, credentials);
}

absl::StatusOr<caf::actor> connect_coordinator(caf::actor_system& system,
                                               const std::string& address,
                                               std::chrono::milliseconds patience,
                                               const std::atomic<bool>* stop) {
  auto where = remote::parse_address(address);
  if (!where.ok()) return where.status();
  auto deadline = std::chrono::steady_clock::now() + patience;
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    auto coordinator = remote::connect(system, *where);
    if (coordinator.ok() || absl::IsPermissionDenied(coordinator.status())) return coordinator;
    if (std::chrono::steady_clock::now() + pause > deadline || (stop && *stop))
      return absl::UnavailableError(fmt::format("cannot reach the coordinator at {}: {}", address,
                                                std::string(coordinator.status().message())));
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));  // a restarted one is found soon
  }
}

namespace {

// Waits until `actor` has ended, or `timeout` has passed: false then.
bool await_exit(caf::scoped_actor& self, const caf::actor& actor, std::chrono::milliseconds timeout) {
  self->monitor(actor);
  bool ended = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto now = std::chrono::steady_clock::now(); !ended && now < deadline;
       now = std::chrono::steady_clock::now())
    self->receive([&](const caf::down_msg& down) { ended = down.source == actor.address(); },
                  caf::after(deadline - now) >> [] {});
  return ended;
}

}  // namespace

void await_exit_then_close(caf::scoped_actor& self, const caf::actor& actor,
                           remote::store_client& db, std::chrono::milliseconds patience) {
  if (!await_exit(self, actor, patience)) {
    std::cerr << "actors still running; closing the store connection\n";
    db.close();
    await_exit(self, actor, patience);
  }
  db.close();
}

std::string describe(caf::actor_system& system, const caf::error& error) {
  const auto& context = error.context();
  if (context.match_elements<std::string>()) return context.get_as<std::string>(0);
  return system.render(error);
}

}  // namespace sluice::cli

// `sluice worker`: a worker process of a cluster. It registers with the coordinator, learns the
// store's address from it, and runs the sources and reducers the coordinator assigns to it.
// When the coordinator goes away it stops them and registers again once the coordinator is
// back; it ends on SIGINT or SIGTERM.
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include <iostream>
#include <thread>

#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"
#include "remote/address.hpp"
#include "remote/gate.hpp"
#include "remote/secret.hpp"
#include "remote/store_client.hpp"
#include "worker/worker_actor.hpp"

namespace sluice::cli {
namespace {

struct worker_options {
  std::string coordinator = default_coordinator_address;
  std::string listen = default_worker_address;
  std::string name;
  credential_files credentials;
  uint32_t threads = 2;
};

// How long a registration may take before it is sent again. The coordinator answers at once,
// but a request lost with a connection that closed meanwhile is never answered (a coordinator
// stopped for a while has both the connection that timed out and the new one). Sent again with
// the same session, it is not taken for a new registration; a worker that comes back late gets
// no share until the next reassignment, which images the whole state.
constexpr auto register_timeout = std::chrono::milliseconds(300);
// The pause after a refused registration.
constexpr auto register_pause = std::chrono::milliseconds(500);
// How long a stopping worker waits for its actors to end.
constexpr auto shutdown_patience = std::chrono::seconds(10);

absl::Status work(const worker_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto listen, remote::parse_address(options.listen));
  SLUICE_ASSIGN_OR_RETURN(auto credentials, read_credentials(options.credentials));
  SLUICE_RETURN_IF_ERROR(remote::check_exposure(listen, credentials.secret, "--listen"));
  install_stop_signals();
  caf::actor_system_config config;
  configure_cluster(config, options.threads, credentials);
  caf::actor_system system{config};
  // Other workers connect here, so that their sources reach this worker's reducers directly.
  SLUICE_ASSIGN_OR_RETURN(auto listening, remote::listener::open(system, caf::actor(), listen));
  const uint16_t port = listening->port();
  const std::string name =
      options.name.empty() ? fmt::format("{}:{}", listen.host, port) : options.name;
  std::unique_ptr<remote::store_client> db;
  caf::actor worker;
  caf::scoped_actor self{system};
  uint64_t session = 0;  // counts the registrations after losing the coordinator
  bool unanswered = false;
  // After a registration step that failed: at once when it went unanswered (said once per
  // session), after a pause otherwise (refused, or no usable answer).
  auto before_trying_again = [&](const caf::error& error) {
    if (error != caf::sec::request_timeout) return std::this_thread::sleep_for(register_pause);
    if (!std::exchange(unanswered, true))
      std::cerr << fmt::format("worker {}: no answer from the coordinator at {} within {} ms; "
                               "asking again\n",
                               name, options.coordinator, register_timeout.count());
  };
  while (!stop_requested) {
    auto coordinator = connect_coordinator(system, options.coordinator,
                                           std::chrono::hours(24 * 365), &stop_requested);
    if (!coordinator.ok()) {
      if (stop_requested) break;
      return coordinator.status();
    }
    if (!db) {
      std::string store_address;
      caf::error failed;
      self->request(*coordinator, register_timeout, msg::register_atom::value)
          .receive([&](const std::string& address) { store_address = address; },
                   [&](const caf::error& error) { failed = error; });
      auto store_at = remote::parse_address(store_address);
      if (!store_at.ok()) {
        before_trying_again(failed);
        continue;
      }
      SLUICE_ASSIGN_OR_RETURN(
          db, remote::store_client::connect(system, *store_at, remote::store_client::forever));
      worker = system.spawn(worker::worker_actor, static_cast<store::api*>(db.get()),
                            fmt::format("{}:{}", listen.host, port));
    }
    caf::error failed;
    self->request(*coordinator, register_timeout, msg::register_atom::value, worker, name,
                  fmt::format("{}:{}", listen.host, port), session)
        .receive([&](msg::ok_atom) {}, [&](const caf::error& error) { failed = error; });
    if (failed) {
      before_trying_again(failed);
      continue;
    }
    unanswered = false;
    std::cout << fmt::format("worker {} registered with the coordinator at {}", name,
                             options.coordinator)
              << std::endl;
    self->monitor(*coordinator);
    bool lost = false;
    while (!lost && !stop_requested)
      self->receive([&](const caf::down_msg&) { lost = true; },
                    caf::after(std::chrono::milliseconds(100)) >> [] {});
    // Whatever the coordinator assigned is not this worker's any more.
    self->send(worker, msg::undeploy_atom::value, std::string(), UINT64_MAX);
    ++session;
    if (lost) std::cerr << fmt::format("worker {}: coordinator lost; registering again\n", name);
  }
  // The worker actor stops what it hosts, then itself; the store client closes after them (a
  // store that is away fails the calls that wait for it, so that the process still ends).
  if (worker) {
    self->send_exit(worker, caf::exit_reason::user_shutdown);
    await_exit_then_close(self, worker, *db, shutdown_patience);
  }
  listening.reset();
  return absl::OkStatus();
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<worker_options>();
  auto* command = app.add_subcommand(
      "worker",
      "Run a worker of a cluster: it registers with the coordinator and runs the sources and "
      "reducers assigned to it. Start as many as you like, on any machine, at any time: a "
      "running job gives a new worker its share at the next checkpoint. Two workers on one "
      "machine need different --listen ports.\n"
      "Example: sluice worker --coordinator 10.0.0.1:7401 --listen 10.0.0.2:7402");
  command->add_option("--coordinator", options->coordinator, "the coordinator's address")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  command
      ->add_option("--listen", options->listen,
                   "the address other workers reach this one at (give this machine's address "
                   "for a cluster of several machines; port 0: any free port)")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  add_credential_options(*command, options->credentials);
  command->add_option("--name", options->name, "how `sluice jobs` names it (default: its address)");
  command->add_option("--threads", options->threads, "threads running its actors")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  command->callback([options, &exit_code] { exit_code = report("worker", work(*options)); });
}

}  // namespace sluice::cli

// `sluice coordinator`: the cluster's coordinator process. It reaches the store (waiting for it
// when it is not up yet), resumes the jobs recorded there, and serves workers and clients on
// its address until SIGINT or SIGTERM; then every job takes a final checkpoint (resumed from
// there when a coordinator starts again) and the process exits 0. It also follows the jobs'
// mysql-cdc and PostgreSQL tables (cdc::follower_set), as `sluice run` does its own.
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include <iostream>
#include <thread>

#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "cli/http_api.hpp"
#include "coordinator/coordinator_actor.hpp"
#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"
#include "remote/address.hpp"
#include "remote/gate.hpp"
#include "remote/secret.hpp"
#include "remote/store_client.hpp"

namespace sluice::cli {
namespace {

// How long a stopping coordinator waits for its jobs' final checkpoints.
constexpr auto shutdown_patience = std::chrono::seconds(15);

struct coordinator_options {
  std::string store = default_store_address;
  std::string listen = default_coordinator_address;
  credential_files credentials;
  http_option http;
};

absl::Status serve(const coordinator_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto listen, remote::parse_address(options.listen));
  SLUICE_ASSIGN_OR_RETURN(auto store_at, remote::parse_address(options.store));
  SLUICE_ASSIGN_OR_RETURN(auto credentials, read_credentials(options.credentials));
  SLUICE_RETURN_IF_ERROR(remote::check_exposure(listen, credentials.secret, "--listen"));
  caf::actor_system_config config;
  configure_cluster(config, 2, credentials);
  caf::actor_system system{config};
  SLUICE_ASSIGN_OR_RETURN(
      auto db, remote::store_client::connect(system, store_at, remote::store_client::forever));
  install_stop_signals();
  // The jobs' mysql-cdc and PostgreSQL tables, followed on threads of this process through the
  // store client.
  cdc::follower_set followers(*db, [](std::string_view line) { std::cerr << line << std::endl; });
  coordinator::coordinator_config setup{db.get(), options.store, &followers};
  auto actor = system.spawn(coordinator::coordinator_actor, setup);
  auto listening = remote::listener::open(system, actor, listen);
  if (!listening.ok()) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return listening.status();
  }
  auto jobs = [&system, actor]() -> absl::StatusOr<nlohmann::json> {
    caf::scoped_actor self{system};
    absl::StatusOr<nlohmann::json> listing = absl::UnavailableError("the coordinator did not answer");
    self->request(actor, std::chrono::seconds(15), msg::jobs_atom::value)
        .receive([&](const std::string& text) { listing = nlohmann::json::parse(text); },
                 [&](caf::error& e) { listing = absl::UnavailableError(system.render(e)); });
    return listing;
  };
  auto http = serve_http(options.http, {jobs, db.get()}, credentials.secret);
  if (!http.ok()) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return http.status();
  }
  std::cout << fmt::format("coordinator serving at {}:{}, store at {}", listen.host,
                           (*listening)->port(), options.store)
            << std::endl;
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  listening->reset();
  http->reset();
  followers.stop();
  // Every job takes a final checkpoint and ends, then the coordinator actor; only then does the
  // store client close. A store that is away fails the calls that wait for it, so that the
  // process still ends.
  caf::scoped_actor self{system};
  self->send(actor, msg::shutdown_atom::value);
  await_exit_then_close(self, actor, *db, shutdown_patience);
  return absl::OkStatus();
}

}  // namespace

void add_coordinator_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<coordinator_options>();
  auto* command = app.add_subcommand(
      "coordinator",
      "Run the coordinator of a cluster: workers register with it, `sluice sql --coordinator` "
      "submits jobs to it, `sluice jobs` shows them. It keeps nothing of its own: started again, "
      "it resumes the jobs recorded in the store from their last complete checkpoints.\n"
      "Example: sluice coordinator --store 10.0.0.1:7400 --listen 10.0.0.1:7401");
  command->add_option("--store", options->store, "the store's address")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  command
      ->add_option("--listen", options->listen,
                   "the address to serve on (give this machine's address for other machines)")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  add_credential_options(*command, options->credentials);
  add_http_option(*command, options->http, 7481, "the coordinator");
  command->callback([options, &exit_code] { exit_code = report("coordinator", serve(*options)); });
}

}  // namespace sluice::cli

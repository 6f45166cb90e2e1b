// `sluice store`: serves a data directory to the other processes of a cluster (coordinator,
// workers, the command-line tools with --store) until SIGINT or SIGTERM, then stops serving and
// closes the store cleanly.
#include <fmt/format.h>
#include <signal.h>

#include <iostream>

#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "runtime/core/status.hpp"
#include "remote/configure.hpp"
#include "remote/secret.hpp"
#include "cli/http_api.hpp"
#include "remote/store_server.hpp"

namespace sluice::cli {
namespace {

struct store_options {
  std::string data;
  std::string listen = default_store_address;
  credential_files credentials;
  http_option http;
};

// The jobs the store holds records of: a job not stopped was submitted to a coordinator.
absl::StatusOr<nlohmann::json> job_records(const store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto records, db.jobs());
  nlohmann::json listing = {{"jobs", nlohmann::json::array()}};
  for (const auto& record : records)
    listing["jobs"].push_back({{"name", record.name},
                               {"state", record.stopped ? "stopped" : "submitted"},
                               {"epoch", record.epoch}});
  return listing;
}

absl::Status run_store(const store_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto at, remote::parse_address(options.listen));
  SLUICE_ASSIGN_OR_RETURN(auto credentials, read_credentials(options.credentials));
  SLUICE_RETURN_IF_ERROR(remote::check_exposure(at, credentials.secret, "--listen"));
  // Blocked before any thread starts, so every thread inherits it and sigwait below gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  SLUICE_ASSIGN_OR_RETURN(auto db, open_store(options.data, /*read_only=*/false));
  caf::actor_system_config config;
  configure_actors(config, 2);
  remote::configure(config, credentials);
  caf::actor_system system{config};
  SLUICE_ASSIGN_OR_RETURN(auto server, remote::store_server::start(system, *db, at));
  SLUICE_ASSIGN_OR_RETURN(
      auto http, serve_http(options.http, {[&db] { return job_records(*db); }, db.get()}, credentials.secret));
  std::cout << fmt::format("store {} serving at {}", options.data,
                           server->listening_at().to_string())
            << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  http.reset();
  server.reset();  // not listening, every session ended: nothing uses the store any more
  db.reset();      // flushed and closed
  std::cout << fmt::format("store {} stopped ({})", options.data, strsignal(received)) << std::endl;
  return absl::OkStatus();
}

}  // namespace

void add_store_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<store_options>();
  auto* command = app.add_subcommand(
      "store",
      "Serve a data directory to the processes of a cluster: coordinator, workers, and the "
      "put, scan, tunnel and gen commands given --store HOST:PORT. Runs until SIGINT or "
      "SIGTERM (Ctrl-C), then stops serving and closes the store cleanly.\n"
      "Example: sluice store --data ./sluice-data --listen 127.0.0.1:7400");
  add_data_option(*command, options->data);
  command->add_option("--listen", options->listen, "HOST:PORT to serve on (loopback by default)")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  add_credential_options(*command, options->credentials);
  add_http_option(*command, options->http, 7482, "the store");
  command->callback([options, &exit_code] { exit_code = report("store", run_store(*options)); });
}

}  // namespace sluice::cli

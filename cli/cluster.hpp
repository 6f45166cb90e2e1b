// What the commands of a cluster share: the configuration of an actor system that talks to
// other Sluice processes, the default ports, reaching the coordinator, and the text of errors
// that come back from other processes.
#pragma once

#include <absl/status/statusor.h>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "cli/command.hpp"
#include "remote/store_client.hpp"

namespace sluice::cli {

// Listeners bind 127.0.0.1 unless told otherwise.
inline constexpr const char* default_coordinator_address = "127.0.0.1:7401";
inline constexpr const char* default_worker_address = "127.0.0.1:7402";

// How Sluice's actors run in any process: `threads` scheduler threads, each actor run for a
// bounded number of messages at a time, a quiet logger.
void configure_actors(caf::actor_system_config& config, uint32_t threads);

// configure_actors, and for a process that talks to others: the middleman (with heartbeats, so
// a hung peer is seen), Sluice's message types, the cluster's key and TLS (remote::configure).
void configure_cluster(caf::actor_system_config& config, uint32_t threads,
                       const remote::credentials& credentials);

// The coordinator at HOST:PORT. Waits, retrying with backoff, up to `patience`, or until `stop`
// is set when given; PermissionDenied at once when the coordinator and this process disagree
// on the key.
absl::StatusOr<caf::actor> connect_coordinator(caf::actor_system& system,
                                               const std::string& address,
                                               std::chrono::milliseconds patience,
                                               const std::atomic<bool>* stop = nullptr);

// The message an actor gave with its error, or CAF's rendering of it.
std::string describe(caf::actor_system& system, const caf::error& error);

// Sends `request` to the coordinator at `address` (waiting up to 10 s to reach it, with the
// credentials in `files`) and waits up to `timeout` for its answer: DeadlineExceeded when none
// came, FailedPrecondition with the coordinator's message when it refused.
template <typename Result, typename... Ts>
absl::StatusOr<Result> ask_coordinator(const std::string& address, const credential_files& files,
                                       caf::timespan timeout, Ts&&... request) {
  auto credentials = read_credentials(files);
  if (!credentials.ok()) return credentials.status();
  caf::actor_system_config config;
  configure_cluster(config, 1, *credentials);
  caf::actor_system system{config};
  auto coordinator = connect_coordinator(system, address, std::chrono::seconds(10));
  if (!coordinator.ok()) return coordinator.status();
  caf::scoped_actor self{system};
  absl::StatusOr<Result> result = absl::UnknownError("no answer");
  self->request(*coordinator, timeout, std::forward<Ts>(request)...)
      .receive([&](const Result& answer) { result = answer; },
               [&](const caf::error& error) {
                 result = error == caf::sec::request_timeout
                              ? absl::DeadlineExceededError("no answer in time")
                              : absl::FailedPreconditionError(describe(system, error));
               });
  return result;
}

// The end of a stopping process: waits up to `patience` for `actor` (asked to end already) to
// end; if it has not, closes `db`, which fails the calls its actors wait in for a store that is
// away, and waits as long again. Then closes `db`: nothing uses it any more.
void await_exit_then_close(caf::scoped_actor& self, const caf::actor& actor,
                           remote::store_client& db, std::chrono::milliseconds patience);

// Set by SIGINT and SIGTERM once install_stop_signals has run.
extern std::atomic<bool> stop_requested;
void install_stop_signals();

}  // namespace sluice::cli

// `sluice store` over the network: an actor published on HOST:PORT that gives clients
// (store_client) access to a store::store. Each client connection gets its own session actors,
// each on a thread of its own (RocksDB calls block), so clients never wait for one another.
// Every request is answered: with the store's result or with the absl::Status it returned.
#pragma once

#include <absl/status/statusor.h>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>

#include "remote/address.hpp"
#include "remote/gate.hpp"
#include "runtime/store/store.hpp"

namespace sluice::remote {

class store_server {
 public:
  // Serves `db` on `at` (port 0: a free port) through a remote::listener. `system` is configured with
  // remote::configure; it and `db` outlive the server.
  static absl::StatusOr<std::unique_ptr<store_server>> start(caf::actor_system& system,
                                                             store::store& db, const address& at);
  // Stops listening, ends every session and waits for them: `db` may close after.
  ~store_server();
  store_server(const store_server&) = delete;
  store_server& operator=(const store_server&) = delete;

  // Where it listens, with the port actually bound.
  const address& listening_at() const { return at_; }

 private:
  store_server(caf::actor_system& system, caf::actor server, std::unique_ptr<listener> listening,
               address at)
      : system_(system), server_(std::move(server)), listener_(std::move(listening)),
        at_(std::move(at)) {}

  caf::actor_system& system_;
  caf::actor server_;
  std::unique_ptr<listener> listener_;
  address at_;
};

}  // namespace sluice::remote

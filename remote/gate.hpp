// Where every role listens and whence it connects to another. Without a key or TLS, these are
// CAF's own publish, open and remote_actor. With either (given to remote::configure), a listener
// accepts each connection itself and, within 5 s, runs the handshake of remote/handshake.hpp
// (with a key), then the TLS handshake (with TLS, remote/tls.hpp); only a peer that passed both
// is handed to CAF's BASP broker. A peer without the key, with a wrong one, replaying an old
// exchange, without a certificate the cluster's authority signed, or saying nothing never
// reaches an actor, nor CAF's decoder.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <memory>

#include "remote/address.hpp"

namespace sluice::remote {

class listener {
 public:
  // Serves `whom` at `at` (port 0: a free one). A null `whom` serves no actor: peers connect to
  // reach the actors they are told of (a worker's listener, for the other workers).
  static absl::StatusOr<std::unique_ptr<listener>> open(caf::actor_system& system, caf::actor whom,
                                                        const address& at);
  // Stops accepting; connections already made stay.
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  uint16_t port() const { return port_; }

 private:
  struct gate;
  listener(caf::actor_system& system, caf::actor whom, uint16_t port);

  caf::actor_system& system_;
  caf::actor whom_;
  uint16_t port_;
  std::unique_ptr<gate> gate_;  // with a key or TLS only
};

// The actor served at `at`. Unavailable when it cannot be reached; PermissionDenied when the
// peer refuses this process's key, asks for one this process was not given, or has none, or
// when either end refuses the other's TLS certificate.
absl::StatusOr<caf::actor> connect(caf::actor_system& system, const address& at);

// Connects to the process listening at `at` without asking for an actor, so that messages to its
// actors take the direct way. Errors as connect's.
absl::Status connect_node(caf::actor_system& system, const address& at);

}  // namespace sluice::remote

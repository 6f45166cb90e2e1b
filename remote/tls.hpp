// TLS between Sluice processes (--tls-cert, --tls-key, --tls-ca), through CAF's OpenSSL module:
// each end shows a certificate signed by the cluster's authority and refuses a peer that shows
// none or another. remote/gate.cpp runs the TLS handshake on a connection before CAF sees it,
// then hands CAF a connection that reads and writes through the session, so BASP's bytes,
// every row among them, cross the network encrypted.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/scribe.hpp>

#include <memory>
#include <string>

namespace caf::openssl {
class session;
}

namespace sluice::remote {

// PEM files: this process's certificate chain and private key, and the certificate of the
// authority that signed every process's certificate.
struct tls_files {
  std::string certificate;
  std::string key;
  std::string authority;

  bool empty() const { return certificate.empty() && key.empty() && authority.empty(); }
};

// InvalidArgument naming the option and file at fault: not all three given, a file that cannot
// be read or parsed, a key readable by others or not matching the certificate, a certificate the
// authority did not sign.
absl::Status check_tls_files(const tls_files& files);

// Loads CAF's OpenSSL module with `files` into `config` (after the io middleman).
void configure_tls(caf::actor_system_config& config, const tls_files& files);

// Whether configure_tls loaded the module.
bool uses_tls(const caf::actor_system& system);

// The TLS session of one connection, from its handshake until CAF takes the connection over.
class tls_connection {
 public:
  // Starts the handshake on `fd` (a connected TCP socket, which stays its owner's until
  // hand_over), as the end that accepted the connection or the end that made it.
  static absl::StatusOr<tls_connection> start(caf::actor_system& system, int fd, bool accepted);
  tls_connection(tls_connection&&) noexcept;
  tls_connection& operator=(tls_connection&&) noexcept;
  ~tls_connection();

  // Takes the handshake as far as the bytes received allow: true when it is done and the
  // accepting end has taken the connecting end's certificate, false when it waits for the peer.
  // PermissionDenied when either end refused the other.
  absl::StatusOr<bool> advance();

  // A CAF connection that owns `fd` (the one given to start, released by its owner) and reads
  // and writes through the session; this object is empty after.
  caf::io::scribe_ptr hand_over(caf::actor_system& system, int fd) &&;

 private:
  tls_connection(int fd, bool accepted, std::unique_ptr<caf::openssl::session> session);
  static absl::Status failed();

  int fd_;  // not owned
  bool accepted_;
  bool shaken_ = false;
  std::unique_ptr<caf::openssl::session> session_;
};

}  // namespace sluice::remote

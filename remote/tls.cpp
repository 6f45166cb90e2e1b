#include "remote/tls.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/session.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <utility>

#include "remote/secret.hpp"
#include "runtime/core/status.hpp"

namespace sluice::remote {
namespace {

namespace network = caf::io::network;

constexpr char admitted_byte = 'S';

std::string openssl_errors() {
  std::string text;
  while (auto error = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(error, line, sizeof line);
    text += text.empty() ? line : fmt::format("; {}", line);
  }
  return text;
}

absl::Status refused(std::string_view option, const std::string& path, std::string_view what) {
  auto why = openssl_errors();
  return absl::InvalidArgumentError(fmt::format("{} {}: {}{}", option, path, what,
                                                why.empty() ? "" : fmt::format(" ({})", why)));
}

// CAF's stream policy over a TLS session: what BASP writes is encrypted before it leaves.
// OpenSSL reads the thread's error queue to tell a read that must wait from one that failed, and
// CAF's session leaves there the errors of connections that ended: each call starts from an
// empty queue, or a connection that ended would end the next one the thread serves.
class session_policy {
 public:
  explicit session_policy(std::unique_ptr<caf::openssl::session> session)
      : session_(std::move(session)) {}

  network::rw_state read_some(size_t& result, network::native_socket fd, void* buf, size_t len) {
    ERR_clear_error();
    return session_->read_some(result, fd, buf, len);
  }
  network::rw_state write_some(size_t& result, network::native_socket fd, const void* buf,
                               size_t len) {
    ERR_clear_error();
    return session_->write_some(result, fd, buf, len);
  }
  bool must_read_more(network::native_socket fd, size_t threshold) {
    return session_->must_read_more(fd, threshold);
  }

 private:
  std::unique_ptr<caf::openssl::session> session_;
};

// CAF's connection over a socket whose TLS handshake is done.
class tls_scribe : public caf::io::scribe {
 public:
  tls_scribe(network::default_multiplexer& backend, int fd,
             std::unique_ptr<caf::openssl::session> session)
      : scribe(network::conn_hdl_from_socket(fd)), stream_(backend, fd, std::move(session)) {}

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_) {
      launched_ = true;
      stream_.start(this);
    }
  }
  void ack_writes(bool enable) override { stream_.ack_writes(enable); }
  std::vector<char>& wr_buf() override { return stream_.wr_buf(); }
  std::vector<char>& rd_buf() override { return stream_.rd_buf(); }
  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }
  void flush() override { stream_.flush(this); }
  std::string addr() const override {
    auto address = network::remote_addr_of_fd(stream_.fd());
    return address ? *address : std::string();
  }
  uint16_t port() const override {
    auto port = network::remote_port_of_fd(stream_.fd());
    return port ? *port : 0;
  }
  void add_to_loop() override { stream_.activate(this); }
  void remove_from_loop() override { stream_.passivate(); }

 private:
  bool launched_ = false;
  network::stream_impl<session_policy> stream_;
};

}  // namespace

absl::Status check_tls_files(const tls_files& files) {
  if (files.empty()) return absl::OkStatus();
  if (files.certificate.empty() || files.key.empty() || files.authority.empty())
    return absl::InvalidArgumentError(
        "--tls-cert, --tls-key and --tls-ca go together: this process's certificate, its "
        "private key, and the authority that signed the certificates of every process");
  SLUICE_RETURN_IF_ERROR(check_owner_only(files.key, "--tls-key"));
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_method()),
                                                            SSL_CTX_free);
  if (SSL_CTX_use_certificate_chain_file(context.get(), files.certificate.c_str()) != 1)
    return refused("--tls-cert", files.certificate, "not a readable PEM certificate");
  if (SSL_CTX_use_PrivateKey_file(context.get(), files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return refused("--tls-key", files.key, "not a readable PEM private key");
  if (SSL_CTX_check_private_key(context.get()) != 1)
    return refused("--tls-key", files.key, fmt::format("not the key of {}", files.certificate));
  if (SSL_CTX_load_verify_locations(context.get(), files.authority.c_str(), nullptr) != 1)
    return refused("--tls-ca", files.authority, "not a readable PEM certificate");
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> verify(X509_STORE_CTX_new(),
                                                                         X509_STORE_CTX_free);
  X509_STORE_CTX_init(verify.get(), SSL_CTX_get_cert_store(context.get()),
                      SSL_CTX_get0_certificate(context.get()), nullptr);
  if (X509_verify_cert(verify.get()) != 1)
    return absl::InvalidArgumentError(fmt::format(
        "--tls-cert {} was not signed by --tls-ca {}: {}", files.certificate, files.authority,
        X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify.get()))));
  return absl::OkStatus();
}

void configure_tls(caf::actor_system_config& config, const tls_files& files) {
  if (files.empty()) return;
  config.openssl_certificate = files.certificate;
  config.openssl_key = files.key;
  config.openssl_cafile = files.authority;
  config.load<caf::openssl::manager>();
}

bool uses_tls(const caf::actor_system& system) { return system.has_openssl_manager(); }

tls_connection::tls_connection(int fd, bool accepted,
                               std::unique_ptr<caf::openssl::session> session)
    : fd_(fd), accepted_(accepted), session_(std::move(session)) {}

tls_connection::tls_connection(tls_connection&&) noexcept = default;
tls_connection& tls_connection::operator=(tls_connection&&) noexcept = default;
tls_connection::~tls_connection() = default;

absl::StatusOr<tls_connection> tls_connection::start(caf::actor_system& system, int fd,
                                                     bool accepted) {
  network::nonblocking(fd, true);
  ERR_clear_error();
  std::unique_ptr<caf::openssl::session> session;
  try {
    session = caf::openssl::make_session(system, fd, accepted);
  } catch (const std::exception& error) {
    return absl::InvalidArgumentError(fmt::format("TLS: {}", error.what()));
  }
  if (!session) return failed();
  return tls_connection(fd, accepted, std::move(session));
}

absl::StatusOr<bool> tls_connection::advance() {
  ERR_clear_error();
  size_t moved = 0;
  if (!shaken_) {
    // A read of nothing runs the handshake's next step: CAF's session reports `indeterminate`
    // once the handshake is done, `success` while it waits for the peer.
    switch (session_->read_some(moved, fd_, nullptr, 0)) {
      case network::rw_state::indeterminate:
        shaken_ = true;
        break;
      case network::rw_state::success:
        return false;
      case network::rw_state::failure:
        return failed();
    }
  }
  // In TLS 1.3 the connecting end is done before the accepting end has checked its certificate:
  // the accepting end says it took it with one byte, so that a refusal is told as one.
  char admitted = admitted_byte;
  auto state = accepted_ ? session_->write_some(moved, fd_, &admitted, 1)
                         : session_->read_some(moved, fd_, &admitted, 1);
  if (state == network::rw_state::failure) return failed();
  if (moved == 0) return false;
  if (admitted != admitted_byte)
    return absl::PermissionDeniedError(
        "TLS handshake failed: the peer is not a Sluice process (check its address)");
  return true;
}

absl::Status tls_connection::failed() {
  auto why = openssl_errors();
  return absl::PermissionDeniedError(fmt::format(
      "TLS handshake failed: {} (check --tls-cert, --tls-key and --tls-ca at both ends)",
      why.empty() ? "the peer closed the connection" : why));
}

caf::io::scribe_ptr tls_connection::hand_over(caf::actor_system& system, int fd) && {
  auto& backend = static_cast<network::default_multiplexer&>(system.middleman().backend());
  return caf::make_counted<tls_scribe>(backend, fd, std::move(session_));
}

}  // namespace sluice::remote

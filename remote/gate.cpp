#include "remote/gate.hpp"

#include <boost/asio.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "remote/configure.hpp"
#include "remote/handshake.hpp"
#include "remote/tls.hpp"

namespace sluice::remote {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto handshake_patience = 5s;

caf::actor basp_broker(caf::actor_system& system) {
  return system.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
}

// A CAF connection over `socket`'s file descriptor (through `tls` when given). The socket
// releases the descriptor rather than closing a duplicate: that would leave the descriptor in
// Asio's epoll set, which would then report its events to a socket that is gone.
caf::io::scribe_ptr hand_over(caf::actor_system& system, tcp::socket& socket,
                              std::optional<tls_connection>& tls) {
  boost::system::error_code ec;
  int fd = socket.release(ec);
  if (ec) return nullptr;
  if (tls) return std::move(*tls).hand_over(system, fd);
  return system.middleman().backend().new_scribe(fd);
}

// Runs `tls`'s handshake, waiting on `socket` for the peer's bytes between steps, then calls
// `done` with how it went.
void shake_hands(tcp::socket& socket, tls_connection& tls,
                 std::function<void(absl::Status)> done) {
  auto finished = tls.advance();
  if (!finished.ok()) return done(finished.status());
  if (*finished) return done(absl::OkStatus());
  socket.async_wait(tcp::socket::wait_read,
                    [&socket, &tls, done = std::move(done)](boost::system::error_code ec) mutable {
                      if (ec)
                        done(absl::UnavailableError(fmt::format("TLS handshake: {}", ec.message())));
                      else
                        shake_hands(socket, tls, std::move(done));
                    });
}

// One accepted connection until it has proven the key (if the listener has one) and finished
// the TLS handshake (if it uses TLS), and is handed to CAF, or has not.
class admission : public std::enable_shared_from_this<admission> {
 public:
  admission(caf::actor_system& system, tcp::socket socket, const std::string& key,
            std::function<void(caf::io::scribe_ptr)> admit)
      : system_(system), socket_(std::move(socket)), timer_(socket_.get_executor()),
        key_(key), handshake_(key), proof_(handshake::proof_size, '\0'),
        admit_(std::move(admit)) {}

  void start() {
    auto self = shared_from_this();
    timer_.expires_after(handshake_patience);
    timer_.async_wait([self](boost::system::error_code ec) {
      boost::system::error_code ignored;
      if (!ec) self->socket_.close(ignored);
    });
    if (key_.empty()) return start_tls();
    asio::async_write(socket_, asio::buffer(handshake_.hello()),
                      [self](boost::system::error_code ec, size_t) {
                        if (!ec) self->read_proof();
                      });
  }

 private:
  void read_proof() {
    auto self = shared_from_this();
    asio::async_read(socket_, asio::buffer(proof_), [self](boost::system::error_code ec, size_t) {
      if (ec || !self->handshake_.accept(self->proof_)) return self->refuse();
      asio::async_write(self->socket_, asio::buffer(self->handshake_.answer()),
                        [self](boost::system::error_code ec, size_t) {
                          if (!ec) self->start_tls();
                        });
    });
  }

  void start_tls() {
    if (!uses_tls(system_)) return admit();
    auto started = tls_connection::start(system_, socket_.native_handle(), /*accepted=*/true);
    if (!started.ok()) return refuse();
    tls_ = std::move(*started);
    shake_hands(socket_, *tls_, [self = shared_from_this()](absl::Status status) {
      if (status.ok())
        self->admit();
      else
        self->refuse();
    });
  }

  void admit() {
    timer_.cancel();
    if (auto connection = hand_over(system_, socket_, tls_))
      admit_(std::move(connection));
    else
      refuse();
  }

  void refuse() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  caf::actor_system& system_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string key_;
  handshake::listener handshake_;
  std::string proof_;
  std::optional<tls_connection> tls_;
  std::function<void(caf::io::scribe_ptr)> admit_;
};

absl::StatusOr<tcp::endpoint> resolve(asio::io_context& io, const address& at) {
  boost::system::error_code ec;
  auto found = tcp::resolver(io).resolve(at.host, std::to_string(at.port), ec);
  if (ec || found.empty())
    return absl::UnavailableError(fmt::format("cannot resolve {}: {}", at.to_string(), ec.message()));
  return found.begin()->endpoint();
}

// Connects to `at` and runs `exchange` on the socket, all within the handshake's patience.
template <class Exchange>
absl::Status within_patience(asio::io_context& io, tcp::socket& socket, const address& at,
                             Exchange exchange) {
  auto endpoint = resolve(io, at);
  if (!endpoint.ok()) return endpoint.status();
  absl::Status status = absl::DeadlineExceededError(
      fmt::format("{} did not finish a handshake within {} s", at.to_string(),
                  std::chrono::seconds(handshake_patience).count()));
  socket.async_connect(*endpoint, [&](boost::system::error_code ec) {
    if (ec)
      status = absl::UnavailableError(fmt::format("cannot connect to {}: {}", at.to_string(),
                                                  ec.message()));
    else
      exchange(status);
  });
  io.run_for(handshake_patience);
  return status;
}

// Whether the process at `at` opens with a handshake: it asks for a key.
bool asks_for_key(const address& at) {
  asio::io_context io;
  tcp::socket socket(io);
  std::string first(handshake::magic.size(), '\0');
  bool hello = false;
  auto status = within_patience(io, socket, at, [&](absl::Status& result) {
    asio::async_read(socket, asio::buffer(first), [&](boost::system::error_code ec, size_t) {
      hello = !ec && handshake::is_hello(first);
      result = absl::OkStatus();
    });
  });
  return status.ok() && hello;
}

absl::Status refused_without_key(const address& at) {
  return absl::PermissionDeniedError(fmt::format(
      "{} lets in only processes that hold the cluster's key: give --secret-file",
      at.to_string()));
}

// Connects to the listener at `at` through its gate (proving this process's key if it has one,
// then the TLS handshake if it uses TLS) and hands the connection to CAF: the actor the listener
// serves (null if none).
absl::StatusOr<caf::actor> connect_through_gate(caf::actor_system& system, const address& at,
                                                const std::string& key) {
  asio::io_context io;
  tcp::socket socket(io);
  handshake::connector handshake(key);
  std::string hello(handshake::hello_size, '\0'), answer(handshake::answer_size, '\0');
  std::optional<tls_connection> tls;
  // After the key, if any: the TLS handshake, if this process uses TLS.
  auto from_peer = [&](const absl::Status& status) {
    return status.ok() ? status
                       : absl::Status(status.code(), fmt::format("{}: {}", at.to_string(),
                                                                 std::string(status.message())));
  };
  auto start_tls = [&](absl::Status& result) {
    if (!uses_tls(system)) {
      result = absl::OkStatus();
      return;
    }
    auto started = tls_connection::start(system, socket.native_handle(), /*accepted=*/false);
    if (!started.ok()) {
      result = from_peer(started.status());
      return;
    }
    tls = std::move(*started);
    shake_hands(socket, *tls, [&](absl::Status shaken) { result = from_peer(shaken); });
  };
  auto status = within_patience(io, socket, at, [&](absl::Status& result) {
    if (key.empty()) return start_tls(result);
    asio::async_read(socket, asio::buffer(hello), [&](boost::system::error_code ec, size_t) {
      if (ec || !handshake.respond(hello).ok()) {
        result = absl::PermissionDeniedError(fmt::format(
            "{} does not ask for a key: with --secret-file, this process talks only to peers "
            "that hold it",
            at.to_string()));
        return;
      }
      asio::async_write(socket, asio::buffer(handshake.proof()), [&](boost::system::error_code ec,
                                                                     size_t) {
        if (ec) {
          result = absl::UnavailableError(fmt::format("{} closed the connection: {}",
                                                      at.to_string(), ec.message()));
          return;
        }
        asio::async_read(socket, asio::buffer(answer), [&](boost::system::error_code ec, size_t) {
          if (ec)
            result = absl::PermissionDeniedError(
                fmt::format("{} refused this process's key (--secret-file)", at.to_string()));
          else if (!handshake.verify(answer))
            result = absl::PermissionDeniedError(
                fmt::format("{} does not hold this process's key (--secret-file)", at.to_string()));
          else
            start_tls(result);
        });
      });
    });
  });
  if (!status.ok()) return status;
  auto connection = hand_over(system, socket, tls);
  if (!connection)
    return absl::UnavailableError(fmt::format("cannot connect to {}: the socket was lost",
                                              at.to_string()));
  caf::scoped_actor self{system};
  absl::StatusOr<caf::actor> served = absl::UnavailableError(
      fmt::format("{} did not finish CAF's handshake", at.to_string()));
  self->request(basp_broker(system), std::chrono::seconds(10), caf::connect_atom::value,
                std::move(connection), at.port)
      .receive(
          [&](caf::node_id&, caf::strong_actor_ptr& whom, std::set<std::string>&) {
            served = caf::actor_cast<caf::actor>(whom);
          },
          [&](caf::error& error) {
            served = absl::UnavailableError(
                fmt::format("cannot connect to {}: {}", at.to_string(), system.render(error)));
          });
  return served;
}

}  // namespace

// A listener with a key or TLS: a thread that accepts connections and admits those that pass.
struct listener::gate {
  caf::actor_system* system = nullptr;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::string key;
  std::function<void(caf::io::scribe_ptr)> admit;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<admission>(*system, std::move(socket), key, admit)->start();
      accept();
    });
  }
};

listener::listener(caf::actor_system& system, caf::actor whom, uint16_t port)
    : system_(system), whom_(std::move(whom)), port_(port) {}

absl::StatusOr<std::unique_ptr<listener>> listener::open(caf::actor_system& system,
                                                         caf::actor whom, const address& at) {
  auto cannot = [&](const std::string& why) {
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", at.to_string(), why));
  };
  auto key = secret_of(system);
  if (key.empty() && !uses_tls(system)) {
    auto& mm = system.middleman();
    auto port = whom ? mm.publish(whom, at.port, at.host.c_str(), /*reuse=*/true)
                     : mm.open(at.port, at.host.c_str(), /*reuse=*/true);
    if (!port) return cannot(system.render(port.error()));
    return std::unique_ptr<listener>(new listener(system, std::move(whom), *port));
  }
  auto gate = std::make_unique<listener::gate>();
  auto endpoint = resolve(gate->io, at);
  if (!endpoint.ok()) return endpoint.status();
  boost::system::error_code ec;
  gate->acceptor.open(endpoint->protocol(), ec);
  if (!ec) gate->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) gate->acceptor.bind(*endpoint, ec);
  if (!ec) gate->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return cannot(ec.message());
  auto made = std::unique_ptr<listener>(
      new listener(system, std::move(whom), gate->acceptor.local_endpoint().port()));
  made->gate_ = std::move(gate);
  made->gate_->key = std::move(key);
  made->gate_->system = &system;
  made->gate_->admit = [broker = basp_broker(system), port = made->port_,
                        whom = caf::actor_cast<caf::strong_actor_ptr>(made->whom_)](
                           caf::io::scribe_ptr connection) {
    caf::anon_send(broker, caf::publish_atom::value, std::move(connection), port, whom,
                   std::set<std::string>{});
  };
  made->gate_->accept();
  made->gate_->thread = std::thread([g = made->gate_.get()] { g->io.run(); });
  return made;
}

listener::~listener() {
  if (gate_) {
    gate_->io.stop();
    gate_->thread.join();
    system_.middleman().close(port_);
  } else if (whom_) {
    system_.middleman().unpublish(whom_, port_);
  } else {
    system_.middleman().close(port_);
  }
}

absl::StatusOr<caf::actor> connect(caf::actor_system& system, const address& at) {
  auto key = secret_of(system);
  if (!key.empty() || uses_tls(system)) return connect_through_gate(system, at, key);
  auto served = system.middleman().remote_actor(at.host, at.port);
  if (served) return *served;
  if (asks_for_key(at)) return refused_without_key(at);
  return absl::UnavailableError(
      fmt::format("cannot connect to {}: {}", at.to_string(), system.render(served.error())));
}

absl::Status connect_node(caf::actor_system& system, const address& at) {
  auto key = secret_of(system);
  if (!key.empty() || uses_tls(system)) return connect_through_gate(system, at, key).status();
  if (system.middleman().connect(at.host, at.port)) return absl::OkStatus();
  if (asks_for_key(at)) return refused_without_key(at);
  return absl::UnavailableError(fmt::format("cannot connect to {}", at.to_string()));
}

}  // namespace sluice::remote

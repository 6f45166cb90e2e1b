// A store served with the cluster's key lets in only clients that hold it: real sockets on
// loopback, in one process.
#include "remote/gate.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "remote/handshake.hpp"
#include "tests/remote/remote_fixture.hpp"
#include "tests/support/order_source.hpp"

namespace sluice::remote {
namespace {

const std::string key = "the-cluster-key-0123456789";

// A store served with `key`.
struct keyed_store {
  testing::temp_dir dir;
  std::unique_ptr<store::store> local;
  configured config{{key, {}}};
  caf::actor_system system{config};
  std::unique_ptr<store_server> server;

  keyed_store() {
    auto opened = store::store::open({dir.path / "data"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    local = std::move(*opened);
    std::vector<store::catalog_op> ops = {testing::order_source(2)};
    REQUIRE(local->apply_catalog(ops).ok());
    auto started = store_server::start(system, *local, {"127.0.0.1", 0});
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    server = std::move(*started);
  }
  const address& at() const { return server->listening_at(); }
};

// A client process's actor system, with `secret` (empty: none).
struct client_side {
  configured config;
  caf::actor_system system{config};
  explicit client_side(const std::string& secret) : config({secret, {}}) {}
  absl::StatusOr<std::unique_ptr<store_client>> connect(const address& at) {
    return store_client::connect(system, at, std::chrono::seconds(5));
  }
};

// A plain TCP connection, for peers that do not follow the protocol. Reads give up after 10 s.
struct raw_peer {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  explicit raw_peer(const address& at) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(at.port);
    ::inet_pton(AF_INET, at.host.c_str(), &to.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    timeval patience{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  }
  ~raw_peer() { ::close(fd); }
  std::string read(size_t size) {
    std::string out(size, '\0');
    size_t got = 0;
    while (got < size) {
      ssize_t n = ::recv(fd, out.data() + got, size - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
  }
  void write(const std::string& bytes) { ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Whether the other end closed the connection (rather than a read timing out).
  bool closed() {
    char byte;
    return ::recv(fd, &byte, 1, 0) == 0;
  }
};

size_t rows_in(store::store& db) {
  auto table = db.find_table("OrderSource");
  REQUIRE(table.ok());
  size_t rows = 0;
  REQUIRE(db.scan(**table, [&](std::span<const value>) {
                ++rows;
                return absl::OkStatus();
              }).ok());
  return rows;
}

}  // namespace

TEST_CASE("a client with the key is served") {
  keyed_store store;
  client_side client(key);
  auto db = client.connect(store.at());
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  auto table = (*db)->find_table("OrderSource");
  REQUIRE_MESSAGE(table.ok(), table.status().ToString());
  CHECK((*table)->name() == "OrderSource");
}

TEST_CASE("a client without the key, or with a wrong one, is refused at once") {
  keyed_store store;
  for (std::string secret : {std::string(), std::string("a-wrong-key-0123456789")}) {
    CAPTURE(secret);
    client_side client(secret);
    auto started = std::chrono::steady_clock::now();
    auto db = client.connect(store.at());
    CHECK(absl::IsPermissionDenied(db.status()));
    CHECK(std::string(db.status().message()).find("--secret-file") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  }
}

TEST_CASE("a client with a key refuses a store that does not ask for one") {
  remote_fixture open_store;
  client_side client(key);
  auto db = client.connect(open_store.server->listening_at());
  CHECK(absl::IsPermissionDenied(db.status()));
}

TEST_CASE("a replayed proof, garbage and a truncated proof get no answer and change nothing") {
  keyed_store store;
  std::string recorded;
  {
    raw_peer peer(store.at());
    handshake::connector honest(key);
    REQUIRE(honest.respond(peer.read(handshake::hello_size)).ok());
    recorded = honest.proof();
    peer.write(recorded);
    CHECK(honest.verify(peer.read(handshake::answer_size)));
  }
  {
    raw_peer replay(store.at());
    CHECK(replay.read(handshake::hello_size).size() == handshake::hello_size);
    replay.write(recorded);
    CHECK(replay.read(handshake::answer_size).empty());
  }
  {
    raw_peer garbage(store.at());
    garbage.read(handshake::hello_size);
    garbage.write(std::string(4096, '\x7f'));
    CHECK(garbage.read(handshake::answer_size).empty());
  }
  {
    raw_peer truncated(store.at());
    handshake::connector honest(key);
    REQUIRE(honest.respond(truncated.read(handshake::hello_size)).ok());
    truncated.write(honest.proof().substr(0, handshake::proof_size / 2));
    ::shutdown(truncated.fd, SHUT_WR);
    CHECK(truncated.closed());
  }
  CHECK(rows_in(*store.local) == 0);
  client_side client(key);
  CHECK(client.connect(store.at()).ok());
}

TEST_CASE("a peer that connects and never speaks is closed, and others are served meanwhile") {
  keyed_store store;
  raw_peer silent(store.at());
  client_side client(key);
  CHECK(client.connect(store.at()).ok());
  auto started = std::chrono::steady_clock::now();
  silent.read(handshake::hello_size);
  CHECK(silent.closed());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(8));
}

TEST_CASE("a store without a key survives garbage, a truncated frame and a silent client") {
  remote_fixture open_store;
  const address& at = open_store.server->listening_at();
  raw_peer silent(at);
  {
    raw_peer garbage(at);
    garbage.write(std::string(4096, '\x7f'));
  }
  // A header announcing a payload of some MiB, and only part of it. (One announcing 4 GiB stalls
  // CAF's connection handling: a store that others can reach has a key, and its gate lets no
  // such peer through to CAF.)
  raw_peer truncated(at);
  std::string frame(64, '\x01');
  frame[0] = '\0';
  truncated.write(frame);
  client_side client("");
  auto db = client.connect(at);
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  CHECK((*db)->find_table("OrderSource").status().code() == absl::StatusCode::kNotFound);
}

}  // namespace sluice::remote

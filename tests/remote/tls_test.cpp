// With TLS, a store lets in only clients showing a certificate of the cluster's authority, and
// what crosses the wire between them cannot be read: real sockets on loopback, in one process,
// with a relay in between that records every byte.
#include "remote/tls.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/remote/remote_fixture.hpp"
#include "tests/support/certificates.hpp"
#include "tests/support/recording_relay.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::remote {
namespace {

const std::string key = "the-cluster-key-0123456789";
// A value no part of the protocol would carry by chance.
const std::string secret_item = "order-of-a-customer-who-trusts-us";

// The cluster's authority and one that is not.
struct authorities {
  testing::temp_dir dir;
  testing::certificate_authority cluster{dir.path, "cluster-ca"};
  testing::certificate_authority stranger{dir.path, "stranger-ca"};
};

struct served_store {
  testing::temp_dir dir;
  std::unique_ptr<store::store> local;
  configured config;
  caf::actor_system system{config};
  std::unique_ptr<store_server> server;

  explicit served_store(const credentials& given) : config(given) {
    auto opened = store::store::open({dir.path / "data"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    local = std::move(*opened);
    std::vector<store::catalog_op> ops = {
        store::create_table_op{"Items", {{"item", column_type::string}}, {"item"}, 2}};
    REQUIRE(local->apply_catalog(ops).ok());
    auto started = store_server::start(system, *local, {"127.0.0.1", 0});
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    server = std::move(*started);
  }
  const address& at() const { return server->listening_at(); }

  size_t items() {
    size_t rows = 0;
    REQUIRE(local->scan(**local->find_table("Items"), [&](std::span<const value>) {
                  ++rows;
                  return absl::OkStatus();
                }).ok());
    return rows;
  }
};

struct client_side {
  configured config;
  caf::actor_system system{config};
  explicit client_side(const credentials& given) : config(given) {}
  absl::StatusOr<std::unique_ptr<store_client>> connect(const address& at,
                                                        std::chrono::seconds patience) {
    return store_client::connect(system, at, patience);
  }
};

// Writes `secret_item` through `client` and reads it back.
void write_and_read(store_client& client) {
  auto items = client.find_table("Items");
  REQUIRE_MESSAGE(items.ok(), items.status().ToString());
  row_batch batch(*items);
  batch.set(batch.add_row(change_op::put), 0, secret_item);
  auto written = client.write(batch);
  REQUIRE_MESSAGE(written.ok(), written.status().ToString());
  std::vector<std::string> stored;
  REQUIRE(client.scan(**items, [&](std::span<const value> row) {
                  stored.push_back(std::get<std::string>(row[0]));
                  return absl::OkStatus();
                }).ok());
  CHECK(stored == std::vector<std::string>{secret_item});
}

}  // namespace

TEST_CASE("with TLS the rows a client writes and reads cross the wire encrypted") {
  authorities ca;
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    credentials server_side{key, tls ? ca.cluster.sign("store") : tls_files{}};
    credentials client_credentials{key, tls ? ca.cluster.sign("client") : tls_files{}};
    served_store store(server_side);
    testing::recording_relay relay(store.at());
    client_side client(client_credentials);
    auto db = client.connect(relay.at(), std::chrono::seconds(10));
    REQUIRE_MESSAGE(db.ok(), db.status().ToString());
    write_and_read(**db);
    auto wire = relay.recorded();
    CHECK(wire.size() > 1000);
    // Without TLS the relay reads the row: the check below can fail.
    CHECK((wire.find(secret_item) != std::string::npos) == !tls);
    CHECK((wire.find("Items") != std::string::npos) == !tls);
  }
}

TEST_CASE("a client without a certificate of the cluster's authority is refused and writes nothing") {
  authorities ca;
  served_store store({"", ca.cluster.sign("store")});
  SUBCASE("a certificate another authority signed") {
    client_side client({"", ca.stranger.sign("intruder")});
    auto started = std::chrono::steady_clock::now();
    auto db = client.connect(store.at(), std::chrono::seconds(10));
    CHECK(absl::IsPermissionDenied(db.status()));
    CHECK_MESSAGE(std::string(db.status().message()).find("--tls-ca") != std::string::npos,
                  db.status());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  }
  SUBCASE("the cluster's authority but a store signed by another") {
    auto intruder_files = ca.cluster.sign("client");
    served_store impostor({"", ca.stranger.sign("impostor")});
    client_side client({"", intruder_files});
    auto db = client.connect(impostor.at(), std::chrono::seconds(10));
    CHECK(absl::IsPermissionDenied(db.status()));
  }
  SUBCASE("no TLS at all") {
    client_side client({});
    auto db = client.connect(store.at(), std::chrono::seconds(1));
    CHECK_FALSE(db.ok());
  }
  CHECK(store.items() == 0);
}

TEST_CASE("a store with a key and TLS wants both") {
  authorities ca;
  auto store_files = ca.cluster.sign("store");
  served_store store({key, store_files});
  auto client_files = ca.cluster.sign("client");
  SUBCASE("both") {
    client_side client({key, client_files});
    auto db = client.connect(store.at(), std::chrono::seconds(10));
    REQUIRE_MESSAGE(db.ok(), db.status().ToString());
    write_and_read(**db);
  }
  SUBCASE("the certificate without the key") {
    client_side client({"", client_files});
    CHECK_FALSE(client.connect(store.at(), std::chrono::seconds(1)).ok());
    CHECK(store.items() == 0);
  }
  SUBCASE("the key without the certificate") {
    client_side client({key, {}});
    CHECK_FALSE(client.connect(store.at(), std::chrono::seconds(1)).ok());
    CHECK(store.items() == 0);
  }
}

TEST_CASE("TLS files are checked before a process starts, naming the option at fault") {
  authorities ca;
  auto files = ca.cluster.sign("node");
  auto other = ca.stranger.sign("other");
  CHECK(check_tls_files(files).ok());
  CHECK(check_tls_files({}).ok());
  auto fails_with = [](const tls_files& given, const std::string& words) {
    auto status = check_tls_files(given);
    CAPTURE(status);
    CHECK(absl::IsInvalidArgument(status));
    CHECK(std::string(status.message()).find(words) != std::string::npos);
  };
  fails_with({files.certificate, files.key, ""}, "go together");
  fails_with({files.certificate, other.key, files.authority}, "--tls-key");
  fails_with({other.certificate, other.key, files.authority}, "was not signed by --tls-ca");
  fails_with({ca.dir.path / "missing.pem", files.key, files.authority}, "--tls-cert");
  fails_with({files.certificate, files.key, files.key}, "--tls-ca");
  std::filesystem::permissions(files.key, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  fails_with(files, "chmod 600");
}

// A connection that ends leaves OpenSSL errors behind on the thread that served it; they must
// not be taken for the next connection's.
TEST_CASE("clients leaving do not disturb a client that stays") {
  authorities ca;
  served_store store({"", ca.cluster.sign("store")});
  auto files = ca.cluster.sign("client");
  client_side staying({"", files});
  auto kept = staying.connect(store.at(), std::chrono::seconds(10));
  REQUIRE_MESSAGE(kept.ok(), kept.status().ToString());
  for (int i = 0; i < 3; ++i) {
    {
      client_side leaving({"", files});
      auto db = leaving.connect(store.at(), std::chrono::seconds(10));
      REQUIRE_MESSAGE(db.ok(), db.status().ToString());
      CHECK((*db)->find_table("Items").ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto again = (*kept)->find_table("Items");
    CHECK_MESSAGE(again.ok(), again.status().ToString());
  }
}

}  // namespace sluice::remote

// A store served in this process on a free port of 127.0.0.1, and a client of it in an actor
// system of its own, as a remote process would have: the answers of `client` can be compared
// with those of `local`, the same store used directly.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <doctest/doctest.h>

#include <memory>

#include "remote/configure.hpp"
#include "remote/store_client.hpp"
#include "remote/store_server.hpp"
#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::remote {

// A process's CAF settings, with the key and TLS files in `given` (none by default).
struct configured : caf::actor_system_config {
  explicit configured(const credentials& given = {}) { configure(*this, given); }
};

struct remote_fixture {
  testing::temp_dir dir;
  std::unique_ptr<store::store> local;
  configured server_config;
  caf::actor_system server_system{server_config};
  std::unique_ptr<store_server> server;
  configured client_config;
  caf::actor_system client_system{client_config};
  std::unique_ptr<store_client> client;

  remote_fixture() {
    open_and_serve({"127.0.0.1", 0});
    auto connected = store_client::connect(client_system, server->listening_at(),
                                           std::chrono::seconds(10));
    REQUIRE_MESSAGE(connected.ok(), connected.status().ToString());
    client = std::move(*connected);
  }
  // Stops serving and closes the store.
  void stop_serving() {
    server.reset();
    local.reset();
  }
  void open_and_serve(const address& at) {
    auto opened = store::store::open({dir.path / "data"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    local = std::move(*opened);
    auto started = store_server::start(server_system, *local, at);
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    server = std::move(*started);
  }
};

}  // namespace sluice::remote

// A client of a store that goes away waits for it: calls made while it is down are answered
// once it serves again, as if nothing had happened.
#include <doctest/doctest.h>

#include <thread>

#include "tests/remote/remote_fixture.hpp"

namespace sluice::remote {
namespace {

TEST_CASE_FIXTURE(remote_fixture, "a call made while the store is down is answered when it is back") {
  std::vector<store::catalog_op> ops = {
      store::create_table_op{"Items", {{"item", column_type::string}}, {"item"}, 2}};
  REQUIRE(client->apply_catalog(ops).ok());
  auto items = *client->find_table("Items");
  const address at = server->listening_at();
  stop_serving();
  std::thread restart([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    open_and_serve(at);
  });
  row_batch batch(items);
  batch.set(batch.add_row(change_op::put), 0, std::string("apple"));
  auto written = client->write(batch);
  restart.join();
  REQUIRE_MESSAGE(written.ok(), written.status().ToString());
  CHECK(written->changed == 1);
  std::vector<std::string> stored;
  REQUIRE(client->scan(*items, [&](std::span<const value> row) {
                  stored.push_back(std::get<std::string>(row[0]));
                  return absl::OkStatus();
                }).ok());
  CHECK(stored == std::vector<std::string>{"apple"});
}

TEST_CASE("connecting to an address where no store answers fails naming it") {
  configured config;
  caf::actor_system system{config};
  auto connected =
      store_client::connect(system, {"127.0.0.1", 1}, std::chrono::milliseconds(300));
  CHECK(absl::IsUnavailable(connected.status()));
  CHECK(connected.status().message().find("127.0.0.1:1") != absl::string_view::npos);
}

}  // namespace
}  // namespace sluice::remote

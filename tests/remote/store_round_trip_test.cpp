// Every method of store::api through `sluice store`'s server gives what the store gives when
// used directly: results, and errors with their code and message.
#include <doctest/doctest.h>

#include "runtime/core/wire_value.hpp"
#include "tests/remote/remote_fixture.hpp"
#include "tests/support/order_source.hpp"
#include "tests/support/images.hpp"

namespace sluice::remote {
namespace {

struct round_trip_fixture : remote_fixture {
  std::shared_ptr<const table_schema> orders;

  round_trip_fixture() {
    std::vector<store::catalog_op> ops = {testing::order_source(4),
                                          store::create_tunnel_op{"OrderSource", "t1"}};
    auto lines = client->apply_catalog(ops);
    REQUIRE_MESSAGE(lines.ok(), lines.status().ToString());
    CHECK(lines->size() == 2);
    orders = *client->find_table("OrderSource");
  }
  row_batch orders_batch(size_t first, size_t count) const {
    row_batch batch(orders);
    for (size_t i = first; i < first + count; ++i) {
      size_t row = batch.add_row(change_op::put);
      batch.set(row, 0, "user_" + std::to_string(i % 97));
      batch.set(row, 1, "order_" + std::to_string(i));
      batch.set(row, 2, 10.0 + i);
      batch.set(row, 3, static_cast<int64_t>(i));
    }
    return batch;
  }
  static std::vector<std::vector<value>> rows_of(const store::api& db, const table_schema& table) {
    std::vector<std::vector<value>> rows;
    REQUIRE(db.scan(table, [&](std::span<const value> row) {
                  rows.emplace_back(row.begin(), row.end());
                  return absl::OkStatus();
                }).ok());
    return rows;
  }
  // (op, before, after) of every record, as text.
  static std::vector<std::string> records_of(const store::change_batch& batch) {
    std::vector<std::string> out;
    batch.for_each([&](uint64_t offset, wire::ChangeRecord::Reader record) {
      std::string text = std::to_string(offset) + " " + std::to_string(int(record.getOp()));
      for (const auto& image : {record.getBefore(), record.getAfter()})
        for (const auto& cell : testing::image_of(image)) text += " " + std::string(kind_name(cell));
      out.push_back(text);
    });
    return out;
  }
};

void check_same_error(const absl::Status& remote, const absl::Status& local) {
  CHECK(!local.ok());
  CHECK(remote.code() == local.code());
  CHECK(remote.message() == local.message());
}

TEST_CASE_FIXTURE(round_trip_fixture, "find_table gives the server's schema, with its table id") {
  auto here = local->find_table("OrderSource");
  REQUIRE(here.ok());
  CHECK(orders->id() == (*here)->id());
  CHECK(orders->name() == (*here)->name());
  CHECK(orders->describe() == (*here)->describe());
}

TEST_CASE_FIXTURE(round_trip_fixture, "writes, channel reads, tunnels and scans match the local store") {
  // Puts, an update of some columns, a delete, NULL: every kind of cell and op travels.
  for (size_t first = 0; first < 10000; first += 2500)
    REQUIRE(client->write(orders_batch(first, 2500)).ok());
  row_batch changes(orders);
  size_t row = changes.add_row(change_op::update);
  changes.set(row, 0, std::string("user_1"));
  changes.set(row, 1, std::string("order_1"));
  changes.set(row, 2, value{});
  row = changes.add_row(change_op::delete_);
  changes.set(row, 0, std::string("user_2"));
  changes.set(row, 1, std::string("order_2"));
  auto written = client->write(changes);
  REQUIRE(written.ok());
  CHECK(written->changed == 2);
  CHECK(written->unchanged == 0);

  CHECK(*client->end_offsets(*orders) == *local->end_offsets(*orders));
  for (uint32_t channel = 0; channel < orders->channels(); ++channel) {
    auto there = client->read_channel(*orders, channel, 5, 1000);
    auto here = local->read_channel(*orders, channel, 5, 1000);
    REQUIRE(there.ok());
    REQUIRE(here.ok());
    CHECK(there->first_offset() == here->first_offset());
    CHECK(there->end_offset() == here->end_offset());
    CHECK(records_of(*there) == records_of(*here));
  }
  auto scanned = rows_of(*client, *orders);  // more rows than a page
  CHECK(scanned.size() == 9999);
  CHECK(scanned == rows_of(*local, *orders));

  auto tunnels = client->tunnels(*orders);
  REQUIRE(tunnels.ok());
  REQUIRE(tunnels->size() == 2);
  auto t1 = client->find_tunnel(*orders, "t1");
  REQUIRE(t1.ok());
  CHECK(t1->id == local->find_tunnel(*orders, "t1")->id);
  CHECK(client->find_tunnel(*orders, t1->id)->name == "t1");
}

TEST_CASE_FIXTURE(round_trip_fixture, "checkpoints, snapshots and jobs round trip") {
  store::job_record job{"per_user", "CREATE STREAM ...", false, 3, 1700000000000};
  REQUIRE(client->put_job(job).ok());
  auto jobs = client->jobs();
  REQUIRE(jobs.ok());
  REQUIRE(jobs->size() == 1);
  CHECK((*jobs)[0].script == job.script);
  CHECK((*jobs)[0].epoch == 3);

  std::vector<store::snapshot_chunk> slots = {{4, {'a', '\0', 'b'}}, {5, {'c'}}};
  REQUIRE(client->put_snapshot("per_user", 1, {4, 6}, slots, {"per_user", 3}).ok());
  auto back = client->get_snapshot("per_user", 1, {4, 6});
  REQUIRE(back.ok());
  CHECK(*back == std::vector<std::string>{std::string("a\0b", 3), "c"});
  CHECK(*client->get_snapshot("per_user", 1, {5, 9}) == std::vector<std::string>{"c"});
  check_same_error(client->put_snapshot("per_user", 1, {0, 4}, slots, {"per_user", 3}),
                   local->put_snapshot("per_user", 1, {0, 4}, slots, {"per_user", 3}));

  std::vector<std::vector<char>> chunks = {{'a', '\0', 'b'}, {'c'}};

  REQUIRE(client->put_sink_intent("per_user", 1, 0, chunks, {"per_user", 3}).ok());
  CHECK(*client->sink_intents("per_user") == std::vector<std::string>{std::string("a\0b", 3), "c"});
  CHECK(absl::IsFailedPrecondition(client->put_sink_intent("per_user", 1, 0, chunks, {"per_user", 2})));

  auto ends = *local->end_offsets(*orders);
  store::checkpoint cp{1, ends, 1, 1700000000000, "fingerprint"};
  auto t1 = *local->find_tunnel(*orders, "t1");
  const std::vector<store::source_tunnel> sources = {{orders.get(), t1.id}};
  REQUIRE(client->complete_checkpoint("per_user", cp, sources, {"per_user", 3}).ok());
  auto last = client->last_checkpoint("per_user");
  REQUIRE(last.ok());
  CHECK(last->id == 1);
  CHECK(last->fingerprint == "fingerprint");
  CHECK(last->offsets == ends);
  CHECK(client->sink_intents("per_user")->empty());

  CHECK(client->start_time_of("per_user", 1700000000000000).value() == 1700000000000000);
  CHECK(client->start_time_of("per_user", 1800000000000000).value() == 1700000000000000);
  CHECK(local->start_time_of("per_user", 1900000000000000).value() == 1700000000000000);
}

TEST_CASE_FIXTURE(round_trip_fixture, "errors travel with their code and message") {
  check_same_error(client->find_table("orders").status(), local->find_table("orders").status());
  check_same_error(client->last_checkpoint("nobody").status(),
                   local->last_checkpoint("nobody").status());
  check_same_error(client->get_snapshot("nobody", 1, {0, 1}).status(),
                   local->get_snapshot("nobody", 1, {0, 1}).status());
  check_same_error(client->read_channel(*orders, 9, 0, 10).status(),
                   local->read_channel(*orders, 9, 0, 10).status());
  check_same_error(client->find_tunnel(*orders, "t9").status(),
                   local->find_tunnel(*orders, "t9").status());

  // A failing catalog change names the op that failed.
  std::vector<store::catalog_op> ops = {store::drop_tunnel_op{"OrderSource", "t1"},
                                        testing::order_source(4)};
  size_t remote_failed = 99, local_failed = 99;
  check_same_error(client->apply_catalog(ops, &remote_failed).status(),
                   local->apply_catalog(ops, &local_failed).status());
  CHECK(remote_failed == 1);
  CHECK(local_failed == 1);

  // A fenced write is refused.
  REQUIRE(client->put_job({"per_user", "", false, 5, 0}).ok());
  auto fenced = client->write(orders_batch(0, 10), {"per_user", 4});
  CHECK(absl::IsFailedPrecondition(fenced.status()));
  check_same_error(fenced.status(), local->write(orders_batch(0, 10), {"per_user", 4}).status());
  CHECK(rows_of(*client, *orders).empty());

  // A schema whose table was dropped and created again is refused by id.
  std::vector<store::catalog_op> recreate = {store::drop_table_op{"OrderSource"},
                                             testing::order_source(4)};
  REQUIRE(client->apply_catalog(recreate).ok());
  check_same_error(client->end_offsets(*orders).status(), local->end_offsets(*orders).status());
  check_same_error(client->read_channel(*orders, 0, 0, 10).status(),
                   local->read_channel(*orders, 0, 0, 10).status());
  check_same_error(client->write(orders_batch(0, 1)).status(),
                   local->write(orders_batch(0, 1)).status());
  // So is one whose table is gone.
  std::vector<store::catalog_op> drop = {store::drop_table_op{"OrderSource"}};
  REQUIRE(client->apply_catalog(drop).ok());
  check_same_error(client->read_channel(*orders, 0, 0, 10).status(),
                   local->read_channel(*orders, 0, 0, 10).status());
  check_same_error(client->tunnels(*orders).status(), local->tunnels(*orders).status());
}

}  // namespace
}  // namespace sluice::remote

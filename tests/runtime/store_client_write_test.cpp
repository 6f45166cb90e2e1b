// Numbered client writes: a write retried by a remote client (its answer was lost) is applied
// once, even when it arrives again after later writes, and across reopening the store.
#include <doctest/doctest.h>

#include <numeric>

#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::store {
namespace {

struct client_write_fixture {
  testing::temp_dir dir;
  std::unique_ptr<store> db;
  std::shared_ptr<const table_schema> prices;

  client_write_fixture() {
    reopen();
    std::vector<catalog_op> ops = {create_table_op{
        "Prices", {{"item", column_type::string}, {"price", column_type::double_}}, {"item"}, 4}};
    REQUIRE(db->apply_catalog(ops).ok());
    prices = *db->find_table("Prices");
  }
  void reopen() {
    db.reset();
    auto opened = store::open({dir.path / "data"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    db = std::move(*opened);
    if (prices) prices = *db->find_table("Prices");
  }
  row_batch put(const std::string& item, double price) const {
    row_batch batch(prices);
    size_t row = batch.add_row(change_op::put);
    batch.set(row, 0, item);
    batch.set(row, 1, price);
    return batch;
  }
  write_result write(const row_batch& batch, client_write id) {
    auto written = db->write(batch, {}, id);
    REQUIRE_MESSAGE(written.ok(), written.status().ToString());
    return *written;
  }
  std::map<std::string, double> rows() const {
    std::map<std::string, double> out;
    REQUIRE(db->scan(*prices, [&](std::span<const value> row) {
                  out[std::get<std::string>(row[0])] = std::get<double>(row[1]);
                  return absl::OkStatus();
                }).ok());
    return out;
  }
  uint64_t records() const {
    auto ends = *db->end_offsets(*prices);
    return std::accumulate(ends.begin(), ends.end(), uint64_t{0});
  }
};

TEST_CASE_FIXTURE(client_write_fixture, "a retried client write is applied once and answers as the first time") {
  auto first = write(put("apple", 1.5), {"client-a", 1, 1});
  CHECK(first.changed == 1);
  auto retried = write(put("apple", 1.5), {"client-a", 1, 1});
  CHECK(retried.changed == 1);  // the recorded answer, not "unchanged"
  CHECK(retried.unchanged == 0);
  CHECK(records() == 1);
  // Another client's write with the same number is its own.
  CHECK(write(put("apple", 2.5), {"client-b", 1, 1}).changed == 1);
  CHECK(rows() == std::map<std::string, double>{{"apple", 2.5}});
}

TEST_CASE_FIXTURE(client_write_fixture, "a retry arriving after a later write of the same client does not undo it") {
  write(put("apple", 1.0), {"client-a", 1, 1});  // still unanswered when 2 is sent
  write(put("apple", 2.0), {"client-a", 2, 1});
  write(put("apple", 1.0), {"client-a", 1, 1});  // the retry of 1
  CHECK(rows() == std::map<std::string, double>{{"apple", 2.0}});
  // 1 and 2 answered: a stale copy of 1 still changes nothing.
  write(put("pear", 3.0), {"client-a", 3, 3});
  write(put("apple", 1.0), {"client-a", 1, 1});
  CHECK(rows() == std::map<std::string, double>{{"apple", 2.0}, {"pear", 3.0}});
  CHECK(records() == 3);
}

TEST_CASE_FIXTURE(client_write_fixture, "a write that changed nothing is not applied again when retried") {
  write(put("apple", 1.0), {"client-a", 1, 1});
  CHECK(write(put("apple", 1.0), {"client-a", 2, 2}).unchanged == 1);  // equal to the stored row
  CHECK(db->write(put("apple", 5.0)).ok());                            // someone else's write
  CHECK(write(put("apple", 1.0), {"client-a", 2, 2}).unchanged == 1);  // the retry of 2
  CHECK(rows() == std::map<std::string, double>{{"apple", 5.0}});
}

TEST_CASE_FIXTURE(client_write_fixture, "what a client wrote is remembered across reopening") {
  write(put("apple", 1.0), {"client-a", 7, 7});
  reopen();
  CHECK(write(put("apple", 1.0), {"client-a", 7, 7}).changed == 1);
  CHECK(records() == 1);
}

}  // namespace
}  // namespace sluice::store

// The store: atomic batches, before- and after-images, dense ordered channels, tunnels, scans,
// snapshots and the catalog, all across reopening.
#include "runtime/store/store.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <cstring>

#include <map>
#include <set>

#include "runtime/core/hash.hpp"
#include "runtime/core/wire_value.hpp"
#include "tests/support/order_source.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/images.hpp"

namespace sluice::store {
namespace {

using testing::order_source;
using testing::temp_dir;

struct fixture {
  temp_dir dir;
  std::unique_ptr<store> db;
  std::shared_ptr<const table_schema> orders;

  fixture() {
    reopen();
    std::vector<catalog_op> ops = {order_source()};
    REQUIRE(db->apply_catalog(ops).ok());
    orders = *db->find_table("OrderSource");
  }
  void reopen() {
    db.reset();
    auto opened = store::open({dir.path / "data"});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    db = std::move(*opened);
    if (orders) orders = *db->find_table("OrderSource");
  }
  void add(row_batch& batch, change_op op, std::string user, std::string order,
           std::optional<double> price, std::optional<int64_t> ts) {
    size_t row = batch.add_row(op);
    batch.set(row, 0, std::move(user));
    batch.set(row, 1, std::move(order));
    if (price) batch.set(row, 2, *price);
    if (ts) batch.set(row, 3, *ts);
  }
  std::vector<std::vector<value>> scan() {
    std::vector<std::vector<value>> rows;
    REQUIRE(db->scan(*orders, [&](std::span<const value> row) {
                  rows.emplace_back(row.begin(), row.end());
                  return absl::OkStatus();
                }).ok());
    return rows;
  }
  // Every record of every channel, checked to be dense from offset 0.
  struct record {
    uint32_t channel;
    wire::Op op;
    std::optional<std::vector<value>> before, after;
  };
  std::vector<record> all_records() {
    std::vector<record> out;
    auto ends = *db->end_offsets(*orders);
    for (uint32_t c = 0; c < orders->channels(); ++c) {
      uint64_t next = 0;
      while (next < ends[c]) {
        auto batch = db->read_channel(*orders, c, next, 7);
        REQUIRE(batch.ok());
        REQUIRE(batch->first_offset() == next);
        batch->for_each([&](uint64_t offset, wire::ChangeRecord::Reader r) {
          CHECK(offset == next++);
          record rec{c, r.getOp(), std::nullopt, std::nullopt};
          if (r.hasBefore()) rec.before = testing::image_of(r.getBefore());
          if (r.hasAfter()) rec.after = testing::image_of(r.getAfter());
          out.push_back(std::move(rec));
        });
      }
      CHECK(next == ends[c]);
    }
    return out;
  }
};

TEST_CASE("a batch with one bad row is rejected whole and changes nothing") {
  fixture f;
  row_batch batch(f.orders);
  f.add(batch, change_op::put, "u1", "o1", 10.5, 1000);
  f.add(batch, change_op::put, "u2", "o2", 11.5, 1000);
  size_t bad = batch.add_row(change_op::put);
  batch.set(bad, 0, std::string("u3"));
  batch.set(bad, 1, std::string("o3"));
  batch.set(bad, 2, std::string("cheap"));
  auto result = f.db->write(batch);
  REQUIRE(absl::IsInvalidArgument(result.status()));
  CHECK(std::string(result.status().message()) ==
        "row 3, column 'price': expected DOUBLE, got string");
  CHECK(f.scan().empty());
  CHECK(f.db->end_offsets(*f.orders).value() == std::vector<uint64_t>(8, 0));

  row_batch no_key(f.orders);
  size_t row = no_key.add_row(change_op::put);
  no_key.set(row, 0, std::string("u1"));
  auto missing = f.db->write(no_key);
  CHECK(std::string(missing.status().message()) ==
        "row 1: key column 'OrderId' of OrderSource is missing");
}

TEST_CASE("a mirror's rows and source position are written together and survive reopening") {
  fixture f;
  CHECK(absl::IsNotFound(f.db->source_position_of("mirror").status()));
  row_batch batch(f.orders);
  f.add(batch, change_op::put, "u1", "o1", 10.5, 1000);
  REQUIRE(f.db->write_at(batch, {"mirror", "binlog.000001:120"})->changed == 1);
  // A position moves without rows, and a refused batch moves nothing.
  REQUIRE(f.db->write_at(row_batch(f.orders), {"mirror", "binlog.000001:300"}).ok());
  row_batch bad(f.orders);
  f.add(bad, change_op::put, "u2", "o2", std::nullopt, 1000);
  bad.set(0, 2, std::string("cheap"));
  CHECK(absl::IsInvalidArgument(f.db->write_at(bad, {"mirror", "binlog.000002:4"}).status()));
  f.reopen();
  CHECK(f.db->source_position_of("mirror").value() == "binlog.000001:300");
  CHECK(f.scan().size() == 1);
  CHECK(absl::IsNotFound(f.db->source_position_of("other").status()));
}

TEST_CASE("a job's start time is the first one recorded, across reopening") {
  fixture f;
  CHECK(f.db->start_time_of("job1", 1700000000000001).value() == 1700000000000001);
  CHECK(f.db->start_time_of("job1", 1700000000999999).value() == 1700000000000001);
  CHECK(f.db->start_time_of("job2", -5).value() == -5);
  f.reopen();
  CHECK(f.db->start_time_of("job1", 1).value() == 1700000000000001);
  CHECK(f.db->start_time_of("job2", 1).value() == -5);
}

TEST_CASE("records carry before- and after-images of put, update and delete") {
  fixture f;
  row_batch first(f.orders);
  f.add(first, change_op::put, "u1", "o1", 10.0, 1000);
  f.add(first, change_op::put, "u1", "o2", 20.0, 2000);
  REQUIRE(f.db->write(first)->changed == 2);

  row_batch second(f.orders);
  f.add(second, change_op::put, "u1", "o1", 15.0, 1500);        // overwrite
  f.add(second, change_op::update, "u1", "o2", 25.0, std::nullopt);  // price only
  f.add(second, change_op::update, "u1", "o2", std::nullopt, 2500);  // sees the update above
  f.add(second, change_op::delete_, "u1", "o1", std::nullopt, std::nullopt);
  f.add(second, change_op::delete_, "u9", "o9", std::nullopt, std::nullopt);  // absent: no-op
  f.add(second, change_op::update, "u3", "o3", 5.0, std::nullopt);  // creates the row
  auto result = f.db->write(second);
  REQUIRE(result.ok());
  CHECK(result->changed == 5);
  CHECK(result->unchanged == 1);

  row_batch same(f.orders);
  f.add(same, change_op::put, "u1", "o2", 25.0, 2500);  // equals the stored row
  CHECK(f.db->write(same)->unchanged == 1);

  // All rows of user u1 are in one channel, in the order they were written.
  auto records = f.all_records();
  std::vector<fixture::record> u1;
  for (auto& r : records)
    if (r.after ? std::get<std::string>((*r.after)[0]) == "u1"
                : std::get<std::string>((*r.before)[0]) == "u1")
      u1.push_back(r);
  REQUIRE(u1.size() == 6);
  using row = std::vector<value>;
  auto null = value{};
  CHECK(u1[0].op == wire::Op::PUT);
  CHECK(!u1[0].before);
  CHECK(*u1[0].after == row{"u1", "o1", 10.0, int64_t{1000}});
  CHECK(*u1[2].before == row{"u1", "o1", 10.0, int64_t{1000}});
  CHECK(*u1[2].after == row{"u1", "o1", 15.0, int64_t{1500}});
  CHECK(u1[3].op == wire::Op::UPDATE);
  CHECK(*u1[3].after == row{"u1", "o2", 25.0, int64_t{2000}});
  CHECK(*u1[4].before == row{"u1", "o2", 25.0, int64_t{2000}});
  CHECK(*u1[4].after == row{"u1", "o2", 25.0, int64_t{2500}});
  CHECK(u1[5].op == wire::Op::DELETE);
  CHECK(*u1[5].before == row{"u1", "o1", 15.0, int64_t{1500}});
  CHECK(!u1[5].after);

  CHECK(f.scan() == std::vector<row>{{"u1", "o2", 25.0, int64_t{2500}},
                                     {"u3", "o3", 5.0, null}});
}

TEST_CASE("channels are dense, ordered per key, and split by the first key column") {
  fixture f;
  std::map<std::string, std::vector<double>> written;  // order id -> prices in write order
  for (int round = 0; round < 5; ++round) {
    row_batch batch(f.orders);
    for (int i = 0; i < 300; ++i) {
      std::string user = "user_" + std::to_string(i % 40);
      std::string order = "o" + std::to_string(i);
      double price = round * 1000 + i;
      f.add(batch, change_op::put, user, order, price, i);
      written[order].push_back(price);
    }
    REQUIRE(f.db->write(batch).ok());
  }
  f.reopen();
  std::map<std::string, std::vector<double>> seen;
  std::set<uint32_t> used;
  for (auto& r : f.all_records()) {
    const auto& after = *r.after;
    CHECK(r.channel == stable_hash(after[0]) % 8);
    used.insert(r.channel);
    seen[std::get<std::string>(after[1])].push_back(std::get<double>(after[2]));
  }
  CHECK(seen == written);
  CHECK(used.size() == 8);

  // A read from the middle of a segment, bounded in size.
  auto ends = *f.db->end_offsets(*f.orders);
  auto part = f.db->read_channel(*f.orders, 3, 5, 100);
  REQUIRE(part.ok());
  CHECK(part->first_offset() == 5);
  CHECK(part->end_offset() == std::min<uint64_t>(105, ends[3]));
  auto at_end = f.db->read_channel(*f.orders, 3, ends[3], 100);
  CHECK(at_end->empty());
  CHECK(absl::IsOutOfRange(f.db->read_channel(*f.orders, 3, ends[3] + 1, 100).status()));
}

TEST_CASE("a record batch travels as its frame and reads back the same, a bad frame is refused") {
  fixture f;
  row_batch batch(f.orders);
  for (int i = 0; i < 50; ++i)
    f.add(batch, change_op::put, "u" + std::to_string(i), "o", i * 1.5, i);
  REQUIRE(f.db->write(batch).ok());
  REQUIRE(f.db->write(batch).ok());  // unchanged: no new records
  auto read = f.db->read_channel(*f.orders, 0, 1, 1000);
  REQUIRE(read.ok());
  std::vector<std::vector<value>> a, b;
  read->for_each([&](uint64_t, wire::ChangeRecord::Reader r) { a.push_back(testing::image_of(r.getAfter())); });
  auto size = read->size();
  auto frame = std::move(*read).release_frame();
  auto back = change_batch::from_frame(frame);
  REQUIRE(back.ok());
  back->for_each([&](uint64_t, wire::ChangeRecord::Reader r) { b.push_back(testing::image_of(r.getAfter())); });
  CHECK(a == b);
  CHECK(back->first_offset() == 1);
  CHECK(back->size() == size);

  auto word_at = [&](const frame_bytes& bytes, size_t i) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + i * 8, 8);
    return v;
  };
  auto with_word = [&](frame_bytes bytes, size_t i, uint64_t v) {
    std::memcpy(bytes.data() + i * 8, &v, 8);
    return bytes;
  };
  // A frame that claims records it does not carry, more segments than it has room for, a
  // segment longer than the frame, a truncated frame, or garbage: refused, never a crash.
  CHECK(absl::IsInvalidArgument(
      change_batch::from_frame(with_word(frame, 2, word_at(frame, 2) + 10)).status()));
  CHECK(absl::IsInvalidArgument(change_batch::from_frame(with_word(frame, 3, 1u << 30)).status()));
  CHECK(absl::IsInvalidArgument(
      change_batch::from_frame(with_word(frame, frame.size() / 8 - 1, 1u << 30)).status()));
  CHECK(absl::IsInvalidArgument(
      change_batch::from_frame(frame_bytes(frame.begin(), frame.end() - 8)).status()));
  CHECK(absl::IsInvalidArgument(change_batch::from_frame(frame_bytes(3, 'x')).status()));
  frame_bytes garbage = frame;
  for (size_t i = 32; i + 8 < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 7);
  CHECK(absl::IsInvalidArgument(change_batch::from_frame(std::move(garbage)).status()));
}

TEST_CASE("a directory whose change records are of another format is refused, not misread") {
  fixture f;
  f.db.reset();
  // Rewrites the directory's format mark (none: a directory of the first format).
  auto mark = [&](const char* version) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"rows", {}}, {"log", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open({}, (f.dir.path / "data").string(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    if (version) REQUIRE(db->Put({}, handles[0], "F", version).ok());
    else REQUIRE(db->Delete({}, handles[0], "F").ok());
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  };
  for (const char* version : {static_cast<const char*>(nullptr), "3"}) {
    mark(version);
    for (bool read_only : {false, true}) {
      auto opened = store::open({f.dir.path / "data", false, read_only});
      REQUIRE(absl::IsFailedPrecondition(opened.status()));
      CHECK(opened.status().message().find("another format") != std::string_view::npos);
    }
  }
  mark("2");
  CHECK(store::open({f.dir.path / "data"}).ok());
  // A new directory is marked at once, tables or not.
  temp_dir fresh;
  REQUIRE(store::open({fresh.path / "data"}).ok());
  CHECK(store::open({fresh.path / "data", false, true}).ok());
}

TEST_CASE("tunnels keep committed offsets across reopening") {
  fixture f;
  auto tunnels = *f.db->tunnels(*f.orders);
  REQUIRE(tunnels.size() == 1);
  CHECK(tunnels[0].name == "default");
  CHECK(tunnels[0].start_offsets == std::vector<uint64_t>(8, 0));

  row_batch batch(f.orders);
  for (int i = 0; i < 100; ++i) f.add(batch, change_op::put, "u" + std::to_string(i), "o", 1.0, i);
  REQUIRE(f.db->write(batch).ok());
  std::vector<catalog_op> ops = {create_tunnel_op{"OrderSource", "late", tunnel_type::stream}};
  REQUIRE(f.db->apply_catalog(ops).ok());
  auto ends = *f.db->end_offsets(*f.orders);
  auto late = *f.db->find_tunnel(*f.orders, "late");
  CHECK(late.start_offsets == ends);  // a new stream tunnel sees changes from now on
  REQUIRE(f.db->commit_tunnel(*f.orders, tunnels[0].id, ends).ok());
  std::vector<uint64_t> too_far = ends;
  too_far[2] += 1;
  CHECK(absl::IsInvalidArgument(f.db->commit_tunnel(*f.orders, "default", too_far)));
  f.reopen();
  CHECK(f.db->find_tunnel(*f.orders, tunnels[0].id)->committed_offsets == ends);
  CHECK(f.db->find_tunnel(*f.orders, late.id)->name == "late");
  CHECK(f.db->find_tunnel(*f.orders, "nope").status().message().find("sluice tunnel") !=
        absl::string_view::npos);
}

TEST_CASE("a base snapshot does not see later writes and knows where the stream resumes") {
  fixture f;
  row_batch batch(f.orders);
  for (int i = 0; i < 200; ++i) f.add(batch, change_op::put, "u" + std::to_string(i), "o", 1.0, i);
  REQUIRE(f.db->write(batch).ok());
  auto snapshot = *f.db->snapshot(*f.orders);
  auto ends_then = *f.db->end_offsets(*f.orders);
  row_batch later(f.orders);
  for (int i = 0; i < 200; ++i) f.add(later, change_op::put, "u" + std::to_string(i), "o", 2.0, i);
  f.add(later, change_op::put, "new", "o", 2.0, 1);
  REQUIRE(f.db->write(later).ok());
  CHECK(snapshot->end_offsets() == ends_then);
  size_t rows = 0;
  for (uint32_t c = 0; c < 8; ++c) {
    std::string resume;
    for (;;) {
      auto chunk = snapshot->read(c, resume, 7);
      REQUIRE(chunk.ok());
      for (auto& row : chunk->rows) {
        CHECK(std::get<double>(row[2]) == 1.0);
        CHECK(stable_hash(row[0]) % 8 == c);
        ++rows;
      }
      if (chunk->done) break;
      resume = chunk->resume_key;
    }
  }
  CHECK(rows == 200);
}

TEST_CASE("the catalog: DDL applies whole or not at all, drop removes data, names keep case") {
  fixture f;
  std::vector<catalog_op> bad = {
      create_table_op{"Sink", {{"k", column_type::string}}, {"k"}},
      create_table_op{"OrderSource", {{"k", column_type::string}}, {"k"}}};  // exists
  CHECK(absl::IsAlreadyExists(f.db->apply_catalog(bad).status()));
  CHECK(absl::IsNotFound(f.db->find_table("Sink").status()));
  CHECK(f.db->find_table("ordersource").status().message().find("did you mean 'OrderSource'") !=
        absl::string_view::npos);

  row_batch batch(f.orders);
  f.add(batch, change_op::put, "u", "o", 1.0, 1);
  REQUIRE(f.db->write(batch).ok());
  auto old = f.orders;
  std::vector<catalog_op> recreate = {drop_table_op{"OrderSource"}, order_source(4)};
  REQUIRE(f.db->apply_catalog(recreate).ok());
  f.reopen();
  CHECK(f.orders->channels() == 4);
  CHECK(f.orders->id() != old->id());
  CHECK(f.scan().empty());
  CHECK(absl::IsFailedPrecondition(f.db->write(batch).status()));  // the dropped table
}

TEST_CASE("a data directory is opened by one process at a time") {
  fixture f;
  auto second = store::open({f.dir.path / "data"});
  CHECK(absl::IsFailedPrecondition(second.status()));
}

}  // namespace
}  // namespace sluice::store

// A planned job's operators without actors: records from a real store's channels through
// partial aggregators into a reducer state, checked against sums made here. Covers windows
// finalized at the watermark (lateness), append mode, late rows, and a state restored from the
// snapshots of consecutive checkpoints.
#include <doctest/doctest.h>

#include <capnp/serialize.h>

#include <map>
#include <random>

#include "operators/partial_aggregator.hpp"
#include "operators/planner.hpp"
#include "operators/reducer_state.hpp"
#include "protocol/snapshot_plan.hpp"
#include "tests/support/amplified_message.hpp"
#include "runtime/sql/parser.hpp"
#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::ops {
namespace {

struct fixture {
  testing::temp_dir dir;
  std::unique_ptr<store::store> db;
  std::shared_ptr<const table_schema> orders;

  fixture() {
    db = store::store::open({dir.path / "data"}).value();
    std::vector<store::catalog_op> ops = {
        store::create_table_op{"Orders",
                               {{"user", column_type::string}, {"id", column_type::bigint},
                                {"price", column_type::double_}, {"ts", column_type::bigint}},
                               {"user", "id"},
                               4},
        store::create_table_op{"Sink",
                               {{"begin", column_type::string}, {"n", column_type::bigint},
                                {"total", column_type::double_}},
                               {"begin"},
                               1}};
    REQUIRE(db->apply_catalog(ops).ok());
    orders = db->find_table("Orders").value();
  }
  void put(int64_t id, double price, int64_t ts_ms) {
    row_batch batch(orders);
    size_t row = batch.add_row(change_op::put);
    batch.set(row, 0, std::string("u") + std::to_string(id % 3));
    batch.set(row, 1, id);
    batch.set(row, 2, price);
    batch.set(row, 3, ts_ms);
    REQUIRE(db->write(batch).ok());
  }
  void erase(int64_t id) {
    row_batch batch(orders);
    size_t row = batch.add_row(change_op::delete_);
    batch.set(row, 0, std::string("u") + std::to_string(id % 3));
    batch.set(row, 1, id);
    REQUIRE(db->write(batch).ok());
  }
  std::shared_ptr<const job_plan> plan(const std::string& options,
                                       const std::string& window = "window") {
    auto statements = sql::parse_script(
        "CREATE STREAM j OPTIONS(" + options + ") INSERT INTO Sink SELECT CAST(" + window +
        ".start AS STRING), count(*), sum(price) FROM Orders GROUP BY " + window +
        "(to_timestamp(ts / 1000), '10 seconds')");
    REQUIRE(statements.ok());
    session names(*db, sql_dialect::spark);
    auto planned = plan_job(std::get<sql::create_stream>(statements->front()), names);
    REQUIRE_MESSAGE(planned.ok(), planned.status().ToString());
    return *planned;
  }
  // Reads every channel from `from` to its end through one partial aggregator per channel and
  // merges into `reducer`; returns the new offsets and the sources' watermark.
  std::vector<uint64_t> drain(const std::shared_ptr<const job_plan>& plan, reducer_state& reducer,
                              std::vector<uint64_t> from) {
    auto ends = db->end_offsets(*orders).value();
    std::vector<uint32_t> owner(key_groups, 0);
    int64_t watermark = std::numeric_limits<int64_t>::max();
    for (uint32_t c = 0; c < ends.size(); ++c) {
      partial_aggregator partial(plan);
      auto batch = db->read_channel(*orders, c, from[c], ends[c] - from[c]).value();
      REQUIRE(partial.on_batch(batch).ok());
      for (auto& bytes : partial.flush(owner, 1, 0, c))
        if (!bytes.empty()) REQUIRE(reducer.merge(bytes).ok());
      if (plan->options.lateness && partial.max_event_time() != std::numeric_limits<int64_t>::min())
        watermark = std::min(watermark, partial.max_event_time() -
                                            absl::ToInt64Microseconds(*plan->options.lateness));
    }
    if (watermark != std::numeric_limits<int64_t>::max()) reducer.advance_watermark(watermark);
    return ends;
  }
  std::map<std::string, std::pair<int64_t, double>> sink_rows(const row_batch& changes) {
    std::map<std::string, std::pair<int64_t, double>> out;
    for (size_t r = 0; r < changes.size(); ++r)
      out[std::get<std::string>(changes.get(r, 0))] = {std::get<int64_t>(changes.get(r, 1)),
                                                        std::get<double>(changes.get(r, 2))};
    return out;
  }
};

TEST_CASE("append mode writes each window once when the watermark passes its end") {
  fixture f;
  auto plan = f.plan("lateness='5 seconds', outputMode='append'");
  reducer_state reducer(plan);
  // Event times 0..24 s: windows [0,10) [10,20) [20,30); watermark 24 - 5 = 19 s.
  for (int i = 0; i < 25; ++i) f.put(i, 1.5, 1700000000000 + i * 1000);
  auto offsets = f.drain(plan, reducer, std::vector<uint64_t>(4, 0));
  auto first = f.sink_rows(reducer.take_changes().value());
  CHECK(first == std::map<std::string, std::pair<int64_t, double>>{
                     {"2023-11-14 22:13:20", {10, 15.0}}});  // only [0,10) is final
  CHECK(reducer.size() == 2);                                 // the final window is dropped

  // A late order for the finished window is counted and not applied; later ones finish more.
  f.put(100, 7.0, 1700000003000);
  for (int i = 25; i < 40; ++i) f.put(i, 2.0, 1700000000000 + i * 1000);
  f.drain(plan, reducer, offsets);
  CHECK(reducer.late_rows() == 1);
  auto second = f.sink_rows(reducer.take_changes().value());
  CHECK(second == std::map<std::string, std::pair<int64_t, double>>{
                      {"2023-11-14 22:13:30", {10, 15.0}},
                      {"2023-11-14 22:13:40", {10, 5 * 1.5 + 5 * 2.0}}});

  // A snapshot carries the watermark: a restored reducer still refuses the late window.
  const std::vector<bool> every(key_groups, true);
  auto chunks = reducer.snapshot(every, every, 1);
  CHECK(chunks.size() == key_groups);  // at least one per owned key group
  reducer_state restored(plan);
  for (const auto& chunk : chunks) REQUIRE(restored.restore(chunk.bytes).ok());
  restored.finish_restore([](uint32_t) { return true; });
  CHECK(restored.watermark() == reducer.watermark());
  CHECK(restored.size() == reducer.size());
}

TEST_CASE("update mode writes changed windows every time and drops them once final") {
  fixture f;
  auto plan = f.plan("lateness='0 seconds'");
  reducer_state reducer(plan);
  for (int i = 0; i < 15; ++i) f.put(i, 1.0, 1700000000000 + i * 1000);
  f.drain(plan, reducer, std::vector<uint64_t>(4, 0));
  auto rows = f.sink_rows(reducer.take_changes().value());
  CHECK(rows.size() == 2);  // the open window [10,20) is written too, as it stands
  CHECK(rows["2023-11-14 22:13:30"] == std::pair<int64_t, double>{5, 5.0});
  CHECK(reducer.size() == 1);
}

TEST_CASE("a job without a lateness never drops a window and has no late rows") {
  fixture f;
  auto plan = f.plan("checkpointLocation='x'");
  CHECK(!plan->options.lateness);
  reducer_state reducer(plan);
  for (int i = 0; i < 30; ++i) f.put(i, 1.0, 1700000000000 + i * 1000);
  reducer.advance_watermark(std::numeric_limits<int64_t>::max());
  f.drain(plan, reducer, std::vector<uint64_t>(4, 0));
  CHECK(f.sink_rows(reducer.take_changes().value()).size() == 3);
  CHECK(reducer.size() == 3);
  CHECK(reducer.late_rows() == 0);
}

// Window start (microseconds) -> (rows, count(*), sum(price)) of one full snapshot.
std::map<int64_t, std::tuple<int64_t, int64_t, double>> decode(
    const std::vector<store::snapshot_chunk>& chunks) {
  std::map<int64_t, std::tuple<int64_t, int64_t, double>> out;
  for (const auto& [slot, chunk] : chunks) {
    kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(chunk.data()),
                                          chunk.size() / sizeof(capnp::word));
    capnp::FlatArrayMessageReader reader(words);
    for (auto group : reader.getRoot<wire::PartialBatch>().getGroups()) {
      auto aggregates = group.getAggregates();
      double sum = 0;
      for (double partial : aggregates[1].getDoubleSum()) sum += partial;
      out[group.getWindowStart()] = {group.getRows(), aggregates[0].getCount(), sum};
    }
  }
  return out;
}

TEST_CASE("the snapshots of the last eight checkpoints restore a reducer exactly") {
  fixture f;
  auto plan = f.plan("checkpointLocation='x'");
  reducer_state live(plan);
  std::mt19937 random(7);
  std::map<int64_t, std::pair<double, int64_t>> orders;  // id -> price, event time (ms)
  std::vector<std::vector<store::snapshot_chunk>> snapshots;  // of checkpoints 1, 2, ...
  std::vector<uint64_t> offsets(4, 0);
  for (uint64_t checkpoint = 1; checkpoint <= 24; ++checkpoint) {
    // New orders, orders moved to other windows (which can empty a window), deletes.
    for (int i = 0; i < 20; ++i) {
      int64_t id = random() % 40;
      if (random() % 4 == 0) {
        if (orders.erase(id)) f.erase(id);
        continue;
      }
      double price = static_cast<double>(random() % 400) * 0.25;  // sums are exact doubles
      int64_t ts = 1700000000000 + static_cast<int64_t>(random() % 120) * 1000;
      f.put(id, price, ts);
      orders[id] = {price, ts};
    }
    offsets = f.drain(plan, live, offsets);
    REQUIRE(live.take_changes().ok());
    std::vector<bool> imaged(key_groups);
    for (uint32_t g = 0; g < key_groups; ++g)
      imaged[g] = checkpoint == 1 || g % snapshot_slices == checkpoint % snapshot_slices;
    snapshots.push_back(live.snapshot(std::vector<bool>(key_groups, true), imaged, 2));

    reducer_state restored(plan);
    uint64_t first = checkpoint >= snapshot_slices ? checkpoint - snapshot_slices + 1 : 1;
    for (uint64_t id = first; id <= checkpoint; ++id)
      for (const auto& chunk : snapshots[id - 1]) REQUIRE(restored.restore(chunk.bytes).ok());
    restored.finish_restore([](uint32_t) { return true; });

    std::map<int64_t, std::tuple<int64_t, int64_t, double>> expected;
    for (const auto& [id, order] : orders) {
      auto& [rows, count, sum] = expected[order.second / 10000 * 10000 * 1000];
      ++rows;
      ++count;
      sum += order.first;
    }
    INFO("checkpoint " << checkpoint);
    CHECK(restored.size() == expected.size());
    const std::vector<bool> every(key_groups, true);
    CHECK(decode(restored.snapshot(every, every)) == expected);
  }
}

TEST_CASE("snapshots stored by key group go on over another reducer count and restore any owner") {
  // Two reducers, then three restored from checkpoint 9 by their own slots and going on with its
  // snapshots (no image of everything), each imaging a slice of its key groups per checkpoint.
  // The slots of the last eight checkpoints, taken over both counts, restore the groups of any
  // reducer of one, two or three exactly.
  fixture f;
  auto plan = f.plan("checkpointLocation='x'");
  auto owns_of = [](uint32_t r, uint32_t reducers) {
    std::vector<bool> owns(key_groups);
    for (uint32_t g = 0; g < key_groups; ++g) owns[g] = reducer_of(g, reducers) == r;
    return owns;
  };
  auto restore = [&](reducer_state& state, const std::vector<bool>& owns, uint64_t first,
                     uint64_t last) {
    for (uint64_t id = first; id <= last; ++id) {
      auto chunks = f.db->get_snapshot("x", id, protocol::owned_slots(owns, 0));
      REQUIRE(chunks.ok());
      for (const auto& chunk : *chunks)
        REQUIRE(state.restore(std::span(chunk.data(), chunk.size())).ok());
    }
    state.finish_restore([&](uint32_t g) { return static_cast<bool>(owns[g]); });
  };
  uint32_t reducers = 2;
  std::vector<std::unique_ptr<reducer_state>> live;
  for (uint32_t r = 0; r < reducers; ++r) live.push_back(std::make_unique<reducer_state>(plan));
  std::map<int64_t, std::pair<double, int64_t>> orders;  // id -> price, event time (ms)
  std::vector<uint64_t> offsets(4, 0);
  std::mt19937 random(11);
  for (uint64_t checkpoint = 1; checkpoint <= 14; ++checkpoint) {
    if (checkpoint == 10) {
      reducers = 3;
      live.clear();
      for (uint32_t r = 0; r < reducers; ++r) {
        live.push_back(std::make_unique<reducer_state>(plan));
        restore(*live[r], owns_of(r, reducers), 2, 9);
      }
    }
    for (int i = 0; i < 30; ++i) {
      int64_t id = random() % 60;
      if (random() % 5 == 0) {
        if (orders.erase(id)) f.erase(id);
        continue;
      }
      double price = static_cast<double>(random() % 400) * 0.25;
      int64_t ts = 1700000000000 + static_cast<int64_t>(random() % 300) * 1000;
      f.put(id, price, ts);
      orders[id] = {price, ts};
    }
    std::vector<uint32_t> owner(key_groups);
    for (uint32_t g = 0; g < key_groups; ++g) owner[g] = reducer_of(g, reducers);
    auto ends = f.db->end_offsets(*f.orders).value();
    for (uint32_t c = 0; c < ends.size(); ++c) {
      partial_aggregator partial(plan);
      auto batch = f.db->read_channel(*f.orders, c, offsets[c], ends[c] - offsets[c]);
      REQUIRE(partial.on_batch(batch.value()).ok());
      auto messages = partial.flush(owner, reducers, 0, c);
      for (uint32_t r = 0; r < reducers; ++r)
        if (!messages[r].empty()) REQUIRE(live[r]->merge(messages[r]).ok());
    }
    offsets = ends;
    for (uint32_t r = 0; r < reducers; ++r) {
      REQUIRE(live[r]->take_changes().ok());
      const auto owns = owns_of(r, reducers);
      auto chunks =
          live[r]->snapshot(owns, protocol::imaged_key_groups(owns, checkpoint, checkpoint == 1), 3);
      REQUIRE(f.db->put_snapshot("x", checkpoint, protocol::owned_slots(owns, 0), chunks).ok());
    }
  }
  std::map<int64_t, std::tuple<int64_t, int64_t, double>> expected;  // as decode() gives
  for (const auto& [id, order] : orders) {
    auto& [rows, count, sum] = expected[order.second / 10000 * 10000 * 1000];
    ++rows;
    ++count;
    sum += order.first;
  }
  const std::vector<bool> every(key_groups, true);
  for (uint32_t count : {1u, 2u, 3u}) {
    std::map<int64_t, std::tuple<int64_t, int64_t, double>> restored;
    for (uint32_t r = 0; r < count; ++r) {
      reducer_state state(plan);
      restore(state, owns_of(r, count), 14 - snapshot_slices + 1, 14);
      restored.merge(decode(state.snapshot(every, every)));
    }
    INFO(count << " reducers");
    CHECK(!expected.empty());
    CHECK(restored == expected);
  }
}

// The sink as a reducer's changes leave it: begin -> (count, sum).
struct sink_table {
  std::map<std::string, std::pair<int64_t, double>> rows;
  void write(const row_batch& changes) {
    for (size_t r = 0; r < changes.size(); ++r) {
      const auto& begin = std::get<std::string>(changes.get(r, 0));
      if (changes.op(r) == change_op::delete_) rows.erase(begin);
      else rows[begin] = {std::get<int64_t>(changes.get(r, 1)), std::get<double>(changes.get(r, 2))};
    }
  }
};

TEST_CASE("a restored reducer writes again, from its state, the groups an unfinished checkpoint wrote") {
  // The sink is written before a checkpoint completes. Checkpoint 2 below writes window A's new
  // count and window B, then fails; the reducer is restored from checkpoint 1, and its replay
  // happens to touch neither window (each channel's changes since cancel out in its partial).
  fixture f;
  auto plan = f.plan("checkpointLocation='x'");
  sink_table table;
  auto& sink = table.rows;
  auto write = [&](const row_batch& rows) { table.write(rows); };
  const std::map<std::string, std::pair<int64_t, double>> first = {{"2023-11-14 22:13:20", {3, 6.0}}};
  reducer_state live(plan);
  for (int64_t id = 1; id <= 3; ++id) f.put(id, 2.0, 1700000000000 + id * 1000);
  auto offsets = f.drain(plan, live, std::vector<uint64_t>(4, 0));
  write(live.take_changes().value());
  CHECK(live.take_intent().size() == 1);
  const std::vector<bool> every(key_groups, true);
  auto checkpoint1 = live.snapshot(every, every);
  REQUIRE(sink == first);

  f.erase(3);
  f.put(4, 5.0, 1700000020000);
  f.drain(plan, live, offsets);
  write(live.take_changes().value());
  auto intent = live.take_intent();
  REQUIRE(intent.size() == 1);
  CHECK(live.take_intent().empty());
  CHECK(sink.size() == 2);

  f.put(3, 2.0, 1700000003000);  // the same order again
  f.erase(4);
  auto restore = [&] {
    auto restored = std::make_unique<reducer_state>(plan);
    for (const auto& chunk : checkpoint1) REQUIRE(restored->restore(chunk.bytes).ok());
    restored->finish_restore([](uint32_t) { return true; });
    return restored;
  };
  SUBCASE("with the intent, the sink ends as the state is") {
    auto restored = restore();
    REQUIRE(restored->rewrite(intent.front(), [](uint32_t) { return true; }).ok());
    f.drain(plan, *restored, offsets);
    write(restored->take_changes().value());
    CHECK(sink == first);
  }
  SUBCASE("without it, the replay leaves the failed checkpoint's rows") {
    auto restored = restore();
    f.drain(plan, *restored, offsets);
    CHECK(restored->take_changes().value().empty());
    CHECK(sink.size() == 2);
  }
  SUBCASE("an intent whose groups have another job's keys is refused, marking nothing") {
    capnp::MallocMessageBuilder message;
    message.initRoot<wire::SinkIntent>().initGroups(1)[0].initKey(plan->keys.size() + 1);
    auto words = capnp::messageToFlatArray(message);
    auto chars = words.asChars();
    auto restored = restore();
    CHECK(absl::IsInvalidArgument(
        restored->rewrite({chars.begin(), chars.size()}, [](uint32_t) { return true; })));
    CHECK(restored->take_changes().value().empty());
  }
}

TEST_CASE("a restored reducer deletes a session an unfinished checkpoint wrote and the state has not") {
  fixture f;
  auto plan = f.plan("checkpointLocation='x'", "session_window");
  sink_table sink;
  reducer_state live(plan);
  f.put(1, 2.0, 1700000001000);
  f.put(2, 3.0, 1700000002000);
  auto offsets = f.drain(plan, live, std::vector<uint64_t>(4, 0));
  sink.write(live.take_changes().value());
  live.take_intent();
  const std::vector<bool> every(key_groups, true);
  auto checkpoint1 = live.snapshot(every, every);
  const auto first = sink.rows;
  REQUIRE(first.size() == 1);

  f.put(4, 5.0, 1700000030000);  // a session of its own, written by the checkpoint that fails
  f.drain(plan, live, offsets);
  sink.write(live.take_changes().value());
  auto intent = live.take_intent();
  REQUIRE(intent.size() == 1);
  REQUIRE(sink.rows.size() == 2);

  f.erase(4);
  reducer_state restored(plan);
  for (const auto& chunk : checkpoint1) REQUIRE(restored.restore(chunk.bytes).ok());
  restored.finish_restore([](uint32_t) { return true; });
  REQUIRE(restored.rewrite(intent.front(), [](uint32_t) { return true; }).ok());
  f.drain(plan, restored, offsets);
  sink.write(restored.take_changes().value());
  CHECK(sink.rows == first);
}

TEST_CASE("a partial batch of a few bytes claiming half a billion groups is refused at once") {
  fixture f;
  reducer_state reducer(f.plan("lateness='5 seconds'"));
  // PartialBatch: epoch, channel, watermark in 3 data words; groups, imaged, late in 3 pointers.
  auto hostile = testing::amplified_list_message(3, 3, 0);
  CHECK(absl::IsInvalidArgument(reducer.merge(hostile)));
  CHECK(absl::IsInvalidArgument(reducer.restore(hostile)));
  CHECK(reducer.size() == 0);
}

TEST_CASE("a partial batch whose groups have another job's shape is refused, changing nothing") {
  // Found by tests/fuzz/partial_batch_fuzzer: a group with fewer keys than the job's made the
  // reducer read past its key when it wrote the group's row.
  fixture f;
  auto plan = f.plan("lateness='5 seconds'");
  for (auto [keys, aggregates] : {std::pair{plan->keys.size() + 2, plan->aggregates.size()},
                                  std::pair{plan->keys.size(), plan->aggregates.size() + 1}}) {
    capnp::MallocMessageBuilder message;
    auto group = message.initRoot<wire::PartialBatch>().initGroups(1)[0];
    group.initKey(keys);
    group.setRows(1);
    group.initAggregates(aggregates);
    auto words = capnp::messageToFlatArray(message);
    auto chars = words.asChars();
    reducer_state reducer(plan);
    CHECK(absl::IsInvalidArgument(reducer.merge({chars.begin(), chars.size()})));
    CHECK(absl::IsInvalidArgument(reducer.restore({chars.begin(), chars.size()})));
    CHECK(reducer.size() == 0);
  }
}

}  // namespace
}  // namespace sluice::ops

// The store's records of cluster jobs: job records, fences on writes and snapshots, and the
// rule that a job's checkpoints only move forward (a retried record is a no-op, a late older
// one is refused), and which snapshots and sink intents a checkpoint keeps.
#include <doctest/doctest.h>

#include "runtime/store/record_codec.hpp"
#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::store {
namespace {

struct fixture {
  testing::temp_dir dir;
  std::unique_ptr<store> db = store::open({dir.path / "data"}).value();
  std::shared_ptr<const table_schema> sink;

  fixture() {
    std::vector<catalog_op> ops = {create_table_op{
        "Sink", {{"k", column_type::string}, {"n", column_type::bigint}}, {"k"}, 2}};
    REQUIRE(db->apply_catalog(ops).ok());
    sink = *db->find_table("Sink");
  }
  checkpoint cp(uint64_t id, std::vector<uint64_t> offsets) const {
    checkpoint c;
    c.id = id;
    c.offsets = std::move(offsets);
    c.parts = 1;
    c.fingerprint = "f";
    return c;
  }
  absl::Status write(const std::string& key, int64_t n, const fence& by) {
    row_batch batch(sink);
    size_t row = batch.add_row(change_op::put);
    batch.set(row, 0, key);
    batch.set(row, 1, n);
    return db->write(batch, by).status();
  }
};

TEST_CASE_FIXTURE(fixture, "job records persist and a newer epoch fences writes of older ones") {
  job_record job{"job1", "CREATE STREAM job1 ...", false, 3, 1700000000000};
  REQUIRE(db->put_job(job).ok());
  CHECK(write("a", 1, {"job1", 3}).ok());
  CHECK(write("a", 2, {"job1", 4}).ok());  // a newer epoch than recorded is not refused
  auto fenced = write("a", 9, {"job1", 2});
  CHECK(absl::IsFailedPrecondition(fenced));
  CHECK(fenced.message().find("fenced") != std::string_view::npos);
  std::vector<sluice::store::snapshot_chunk> chunks = {{0, {'x'}}};
  CHECK(absl::IsFailedPrecondition(db->put_snapshot("cp/job1", 1, {0, 1}, chunks, {"job1", 2})));
  CHECK(write("b", 1, {}).ok());  // unfenced writes (tools) go through
  auto jobs = db->jobs();
  REQUIRE(jobs.ok());
  REQUIRE(jobs->size() == 1);
  CHECK((*jobs)[0].script == job.script);
  CHECK((*jobs)[0].epoch == 3);
}

TEST_CASE_FIXTURE(fixture, "a checkpoint recorded again is a no-op and an older one is refused") {
  const std::vector<sluice::store::source_tunnel> sources = {{sink.get(), db->find_tunnel(*sink, "default")->id}};
  REQUIRE(write("a", 1, {}).ok());
  REQUIRE(write("b", 1, {}).ok());
  const auto ends = db->end_offsets(*sink).value();
  const std::vector<uint64_t> start = {0, 0};
  REQUIRE(db->complete_checkpoint("cp", cp(1, start), sources).ok());
  REQUIRE(db->complete_checkpoint("cp", cp(2, ends), sources).ok());
  CHECK(db->complete_checkpoint("cp", cp(2, ends), sources).ok());
  CHECK(absl::IsFailedPrecondition(db->complete_checkpoint("cp", cp(1, start), sources)));
  CHECK(absl::IsFailedPrecondition(db->complete_checkpoint("cp", cp(2, start), sources)));
  CHECK(db->last_checkpoint("cp")->id == 2);
  CHECK(db->last_checkpoint("cp")->offsets == ends);
  CHECK(db->find_tunnel(*sink, "default")->committed_offsets == ends);
}

TEST_CASE_FIXTURE(fixture,
                  "a checkpoint keeps the snapshots from its first_snapshot on and drops the older") {
  const std::vector<sluice::store::source_tunnel> sources = {{sink.get(), db->tunnels(*sink)->front().id}};
  std::vector<uint64_t> start(sink->channels(), 0);
  for (uint64_t id = 1; id <= 4; ++id) {
    std::vector<sluice::store::snapshot_chunk> chunks = {{0, std::vector<char>(8, static_cast<char>(id))}};
    REQUIRE(db->put_snapshot("cp", id, {0, 1}, chunks).ok());
  }
  auto third = cp(3, start);
  third.first_snapshot = 2;
  third.watermark = -1700000000123456;
  REQUIRE(db->complete_checkpoint("cp", third, sources).ok());
  CHECK(absl::IsNotFound(db->get_snapshot("cp", 1, {0, 1}).status()));
  for (uint64_t id = 2; id <= 4; ++id) CHECK(db->get_snapshot("cp", id, {0, 1}).ok());
  auto last = db->last_checkpoint("cp");
  REQUIRE(last.ok());
  CHECK(last->first_snapshot == 2);
  CHECK(last->parts == 1);
  CHECK(last->offsets == start);
  CHECK(last->fingerprint == "f");
  CHECK(last->watermark == -1700000000123456);
  // A checkpoint cannot need snapshots of checkpoints after it.
  auto fourth = cp(4, start);
  fourth.first_snapshot = 5;
  CHECK(absl::IsInvalidArgument(db->complete_checkpoint("cp", fourth, sources)));
}

TEST_CASE_FIXTURE(fixture, "a snapshot is stored by slot: a range gives its slots' chunks, and is replaced whole") {
  auto chunk = [](uint32_t slot, char c) { return snapshot_chunk{slot, std::vector<char>(2, c)}; };
  // Two owners of slots [0, 3) and [3, 5), as a checkpoint over two workers stores them.
  REQUIRE(db->put_snapshot("cp", 7, {0, 3}, std::vector{chunk(0, 'a'), chunk(0, 'b'), chunk(2, 'c')}).ok());
  REQUIRE(db->put_snapshot("cp", 7, {3, 5}, std::vector{chunk(3, 'd'), chunk(4, 'e')}).ok());
  CHECK(*db->get_snapshot("cp", 7, {0, 5}) == std::vector<std::string>{"aa", "bb", "cc", "dd", "ee"});
  // A reader that owns other slots (another worker count) reads just those.
  CHECK(*db->get_snapshot("cp", 7, {2, 4}) == std::vector<std::string>{"cc", "dd"});
  CHECK(absl::IsNotFound(db->get_snapshot("cp", 7, {1, 2}).status()));
  CHECK(absl::IsNotFound(db->get_snapshot("cp", 8, {0, 5}).status()));
  // The checkpoint taken again by one owner of [0, 4): what the range held is gone, the rest stays.
  REQUIRE(db->put_snapshot("cp", 7, {0, 4}, std::vector{chunk(1, 'f')}).ok());
  CHECK(*db->get_snapshot("cp", 7, {0, 5}) == std::vector<std::string>{"ff", "ee"});
  // Chunks outside the range, or out of slot order, are refused and change nothing.
  CHECK(absl::IsInvalidArgument(db->put_snapshot("cp", 7, {0, 4}, std::vector{chunk(4, 'x')})));
  CHECK(absl::IsInvalidArgument(
      db->put_snapshot("cp", 7, {0, 4}, std::vector{chunk(2, 'x'), chunk(1, 'y')})));
  CHECK(*db->get_snapshot("cp", 7, {0, 5}) == std::vector<std::string>{"ff", "ee"});
}

TEST_CASE("a checkpoint record says whether its snapshots are stored by key group") {
  checkpoint cp{9, {3, 4}, 2, 1700000000000, "f"};
  cp.first_snapshot = 5;
  auto back = decode_checkpoint(encode_checkpoint(cp));
  REQUIRE(back.ok());
  CHECK(back->by_key_group);
  CHECK(back->parts == 2);
  cp.by_key_group = false;
  back = decode_checkpoint(encode_checkpoint(cp));
  REQUIRE(back.ok());
  CHECK(!back->by_key_group);
  CHECK(back->parts == 2);
  CHECK(back->first_snapshot == 5);
  CHECK(back->offsets == cp.offsets);
}

TEST_CASE_FIXTURE(fixture, "sink intents are kept per epoch until a checkpoint at or after theirs completes") {
  const std::vector<sluice::store::source_tunnel> sources = {{sink.get(), db->tunnels(*sink)->front().id}};
  const std::vector<uint64_t> start(sink->channels(), 0);
  auto chunk = [](char c) { return std::vector<std::vector<char>>{std::vector<char>(4, c)}; };
  REQUIRE(db->put_job({"j", "script", false, 1, 0}).ok());
  REQUIRE(db->put_sink_intent("cp", 1, 0, chunk('a'), {"j", 1}).ok());
  REQUIRE(db->put_job({"j", "script", false, 2, 0}).ok());
  REQUIRE(db->put_sink_intent("cp", 1, 0, chunk('b'), {"j", 2}).ok());
  REQUIRE(db->put_sink_intent("cp", 1, 0, chunk('c'), {"j", 2}).ok());  // the same part again
  REQUIRE(db->put_sink_intent("cp", 2, 1, chunk('d'), {"j", 2}).ok());
  CHECK(absl::IsFailedPrecondition(db->put_sink_intent("cp", 2, 0, chunk('x'), {"j", 1})));
  CHECK(*db->sink_intents("cp") == std::vector<std::string>{"aaaa", "cccc", "dddd"});
  CHECK(db->sink_intents("other")->empty());
  REQUIRE(db->complete_checkpoint("cp", cp(1, start), sources).ok());
  CHECK(*db->sink_intents("cp") == std::vector<std::string>{"dddd"});
  REQUIRE(db->complete_checkpoint("cp", cp(2, start), sources).ok());
  CHECK(db->sink_intents("cp")->empty());
}

}  // namespace
}  // namespace sluice::store

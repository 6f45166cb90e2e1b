// The job's checkpoint rounds: a round is ready once every source's offset and every reducer's
// ack are in, whatever their order; answers of another round or repeated ones count for nothing;
// one round at a time; the record names the snapshots that restore it.
#include <doctest/doctest.h>

#include "operators/group_table.hpp"
#include "protocol/checkpoint_round.hpp"

namespace sluice::protocol {
namespace {

using clock = checkpoint_round::clock;

TEST_CASE("a round is ready with the last answer, in any order, and not before") {
  checkpoint_round round;
  auto t0 = clock::now();
  REQUIRE(round.begin(4, {10, 20}, 2, t0));
  CHECK(round.pending() == 5);
  CHECK_FALSE(round.begin(4, {10, 20}, 2, t0));  // one round at a time
  CHECK_FALSE(round.on_ack(5, 1, 3, 700));
  CHECK_FALSE(round.on_offset(5, 1, 25));
  CHECK_FALSE(round.on_offset(5, 1, 26));  // a repeated answer
  CHECK_FALSE(round.on_ack(4, 0, 0, 900));  // an answer of another round
  CHECK_FALSE(round.on_offset(6, 0, 99));
  CHECK_FALSE(round.on_ack(5, 0, 1, 600));
  CHECK(round.on_offset(5, 0, 15));
  CHECK(round.offsets() == std::vector<uint64_t>{15, 25});
  CHECK(round.late_rows() == std::vector<uint64_t>{1, 3});
  auto cp = round.record(1, "fp");
  CHECK(cp.id == 5);
  CHECK(cp.parts == 2);
  CHECK(cp.offsets == std::vector<uint64_t>{15, 25});
  CHECK(cp.fingerprint == "fp");
  CHECK(cp.watermark == 700);  // the highest acked: restarted sources know windows final
  CHECK(round.pending() == 5);  // until the store has it
  CHECK(round.recorded(t0 + std::chrono::milliseconds(30)).count() == doctest::Approx(30));
  CHECK(round.pending() == 0);
  CHECK(round.begin(5, cp.offsets, 2, t0));
  CHECK(round.pending() == 6);
}

TEST_CASE("a dropped round ignores its answers, overdue only while under way") {
  checkpoint_round round;
  auto t0 = clock::now();
  round.begin(0, {0}, 1, t0);
  CHECK_FALSE(round.overdue(t0 + std::chrono::seconds(1), std::chrono::seconds(60)));
  CHECK(round.overdue(t0 + std::chrono::seconds(61), std::chrono::seconds(60)));
  round.drop();
  CHECK_FALSE(round.overdue(t0 + std::chrono::seconds(61), std::chrono::seconds(60)));
  CHECK_FALSE(round.on_offset(1, 0, 5));
  CHECK_FALSE(round.on_ack(1, 0, 0, 0));
}

TEST_CASE("the record's first snapshot: the assignment's first, then the last snapshot_slices") {
  checkpoint_round round;
  const uint64_t s = ops::snapshot_slices;
  round.begin(2, {0}, 1, clock::now());  // checkpoint 3 of an assignment that began at 2
  CHECK(round.record(2, "").first_snapshot == 2);
  round.drop();
  round.begin(2 + 3 * s, {0}, 1, clock::now());
  CHECK(round.record(2, "").first_snapshot == 3 + 3 * s - s + 1);
}

}  // namespace
}  // namespace sluice::protocol

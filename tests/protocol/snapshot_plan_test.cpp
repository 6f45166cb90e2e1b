// Which key groups a reducer's snapshots image whole: everything it owns the first time, then
// one slice per checkpoint, so that any snapshot_slices consecutive checkpoints image every owned
// group exactly once and never one it does not own.
#include <doctest/doctest.h>

#include "operators/group_table.hpp"
#include "protocol/snapshot_plan.hpp"

namespace sluice::protocol {
namespace {

TEST_CASE("the first snapshot images every owned key group, later ones one slice each") {
  std::vector<bool> owns(ops::key_groups, false);
  for (uint32_t g = 0; g < ops::key_groups; ++g) owns[g] = ops::reducer_of(g, 3) == 1;
  CHECK(imaged_key_groups(owns, 17, true) == owns);
  for (uint64_t first : {1, 5, 22}) {
    std::vector<int> times(ops::key_groups, 0);
    for (uint64_t n = first; n < first + ops::snapshot_slices; ++n) {
      auto imaged = imaged_key_groups(owns, n, false);
      for (uint32_t g = 0; g < ops::key_groups; ++g) times[g] += imaged[g];
    }
    for (uint32_t g = 0; g < ops::key_groups; ++g) CHECK(times[g] == (owns[g] ? 1 : 0));
  }
}

TEST_CASE("snapshots go on when stored by key group; a writer's slots are its key groups'") {
  CHECK(continues_snapshots(2, true));
  CHECK(!continues_snapshots(2, false));  // an older Sluice's parts: read whole, imaged anew
  CHECK(!continues_snapshots(0, true));   // a fresh start
  for (uint32_t workers : {1u, 3u, 7u}) {
    uint32_t next = 0;
    for (uint32_t w = 0; w < workers; ++w) {
      std::vector<bool> owns(ops::key_groups);
      for (uint32_t g = 0; g < ops::key_groups; ++g) owns[g] = ops::reducer_of(g, workers) == w;
      auto slots = owned_slots(owns, store::joiner_slots);
      CHECK(slots.first == store::joiner_slots + next);
      next = slots.end - store::joiner_slots;
    }
    CHECK(next == ops::key_groups);
  }
  CHECK(owned_slots(std::vector<bool>(ops::key_groups, false), 0).first ==
        owned_slots(std::vector<bool>(ops::key_groups, false), 0).end);
}

}  // namespace
}  // namespace sluice::protocol

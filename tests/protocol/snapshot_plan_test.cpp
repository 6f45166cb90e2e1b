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

TEST_CASE("a restore reads its own part when the snapshots go on, every part otherwise") {
  CHECK(restored_parts(true, 1, 3).first == 1);
  CHECK(restored_parts(true, 1, 3).end == 2);
  CHECK(restored_parts(false, 1, 3).first == 0);
  CHECK(restored_parts(false, 1, 3).end == 3);
}

}  // namespace
}  // namespace sluice::protocol

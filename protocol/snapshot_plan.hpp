// Which key groups a reducer's snapshot images whole (see ops::snapshot_slices): the first
// snapshot after the reducer starts (fresh or restored) images every key group it owns; later,
// the snapshot of checkpoint n images the owned groups g with g mod S = n mod S, and carries only
// the changes of the others. So the snapshots of any S consecutive checkpoints image every owned
// group at least once, and a restore needs no more than those.
#pragma once

#include <cstdint>
#include <vector>

namespace sluice::protocol {

std::vector<bool> imaged_key_groups(const std::vector<bool>& owns, uint64_t checkpoint,
                                    bool first_snapshot);

}  // namespace sluice::protocol

// Which key groups a reducer's or joiner's snapshot images whole (see ops::snapshot_slices): the
// first snapshot after it starts images every key group it owns, unless it goes on with the
// snapshots of the checkpoint it was restored from (continues_snapshots); later, the snapshot of
// checkpoint n images the owned groups g with g mod S = n mod S, and carries only the changes of
// the others. So the snapshots of any S consecutive checkpoints image every key group at least
// once, and a restore needs no more than those.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/store/checkpoint.hpp"

namespace sluice::protocol {

// Whether an assignment from a checkpoint with `parts` snapshots goes on with them: when they are
// stored by key group, each slot holds its key group whoever owns it now, so the next
// checkpoint's snapshots add to them as the same assignment's would, however many workers there
// were, and need not image everything (with a big state that image took seconds). The
// snapshots of an older Sluice (a part per reducer and joiner) are read whole once, and the
// state imaged anew.
inline bool continues_snapshots(uint32_t parts, bool by_key_group) {
  return parts > 0 && by_key_group;
}

// The slots of the key groups `owns` selects (a contiguous range: ops::reducer_of), from slot
// `first` on (store::joiner_slots for a joiner's).
store::slot_range owned_slots(const std::vector<bool>& owns, uint32_t first);

std::vector<bool> imaged_key_groups(const std::vector<bool>& owns, uint64_t checkpoint,
                                    bool first_snapshot);

}  // namespace sluice::protocol

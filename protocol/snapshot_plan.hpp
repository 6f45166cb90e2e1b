// Which key groups a reducer's snapshot images whole (see ops::snapshot_slices): the first
// snapshot after the reducer starts images every key group it owns, unless it goes on with the
// snapshots of the checkpoint it was restored from (continues_snapshots); later, the snapshot of
// checkpoint n images the owned groups g with g mod S = n mod S, and carries only the changes of
// the others. So the snapshots of any S consecutive checkpoints image every owned group at least
// once, and a restore needs no more than those.
#pragma once

#include <cstdint>
#include <vector>

namespace sluice::protocol {

// Whether an assignment whose checkpoints have `parts` snapshot parts goes on with the snapshots
// of a checkpoint that has `checkpoint_parts`: with as many, each part holds the key groups it
// held (ops::reducer_of), so the next checkpoint's snapshots add to those, as the same
// assignment's would, and need not image everything (after a coordinator or store failure, with
// a big state, that first image took seconds).
inline bool continues_snapshots(uint32_t checkpoint_parts, uint32_t parts) {
  return checkpoint_parts > 0 && checkpoint_parts == parts;
}

// The snapshot parts [first, end) of each checkpoint that a restore of part `own` reads, of a
// checkpoint with `parts` parts: only its own when the snapshots go on (that part holds all and
// only the key groups it owns), every one otherwise (the restore keeps the key groups it owns).
struct part_range {
  uint32_t first, end;
};
inline part_range restored_parts(bool continues, uint32_t own, uint32_t parts) {
  return continues ? part_range{own, own + 1} : part_range{0, parts};
}

std::vector<bool> imaged_key_groups(const std::vector<bool>& owns, uint64_t checkpoint,
                                    bool first_snapshot);

}  // namespace sluice::protocol

// Aggregation state by group: (group key values, window start) -> the group's net row count and
// its aggregate states. A source's partial aggregator fills one with signed deltas and ships it
// as PartialGroups; a reducer merges those into its own and reads results from it.
//
// Not thread-safe: each actor owns its table.
#pragma once

#include <absl/container/node_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/datum.hpp"
#include "runtime/store/checkpoint.hpp"
#include "schemas/stream.capnp.h"

namespace sluice::ops {

// G: key groups, the unit in which reducers own state. Fixed for the life of a job.
inline constexpr uint32_t key_groups = 128;

// Which of `reducers` reducers owns a key group: contiguous ranges of key groups, as even as
// can be.
inline uint32_t reducer_of(uint32_t key_group, uint32_t reducers) {
  return key_group * reducers / key_groups;
}

// A reducer's snapshot for checkpoint n images whole the key groups g with g mod S = n mod S
// (S = snapshot_slices), and holds only what changed since its last snapshot of the others; its
// first snapshot images everything (unless it goes on with the snapshots it was restored from,
// protocol::continues_snapshots). So the last S checkpoints' snapshots (fewer since the
// assignment's first) restore the state, and a checkpoint writes what changed plus 1/S of the rest.
// Each key group is stored in a slot of its own, so the state of any owner of it is found there.
inline constexpr uint32_t snapshot_slices = 8;
static_assert(store::joiner_slots == key_groups, "a joiner's slots follow a reducer's key groups");

// Appends an exact encoding of `key` (no two different keys share it; not ordered), as group
// lookups and join keys use it.
void append_key_datums(std::span<const datum> key, std::string& out);

// Keys of one or two columns and up to two aggregates live inside the group, with no allocation
// of their own.
struct group_state {
  absl::InlinedVector<value, 2> key;
  int64_t window_start = 0;
  int64_t rows = 0;  // net source rows; the group is gone when it reaches 0
  absl::InlinedVector<aggregate_state, 2> aggregates;
  uint32_t key_group = 0;
  bool changed = false;  // since the last take_changed()
  bool dirty = false;    // since the last take_dirty()
};

class group_table {
 public:
  // A group's key group follows its first `routed_keys` key values and, unless `by_key_only`, its
  // window: with by_key_only every group of a key meets in one reducer (session windows need
  // them all together); with fewer routed keys, every group of those (a projection's groups of
  // one sink key, which must meet to be written in order).
  group_table(std::vector<aggregate_spec> specs, size_t routed_keys, bool by_key_only);

  const std::vector<aggregate_spec>& specs() const { return specs_; }
  size_t size() const { return groups_.size(); }
  bool empty() const { return groups_.empty(); }

  // The group of (key, window_start), created empty if new; marked changed.
  group_state& at(std::span<const datum> key, int64_t window_start);
  // Adds one source row (sign +1) or retracts it (-1): `inputs` holds one datum per aggregate.
  void add(group_state& group, std::span<const datum> inputs, int sign);
  // The group of a PartialGroup's key and window, as at() above.
  group_state& at(wire::PartialGroup::Reader group);
  // Merges a delta from another table (a PartialGroup). Returns the group's key group.
  uint32_t merge(wire::PartialGroup::Reader delta);
  // Makes the group of `image` hold exactly what it holds (removes it if that is nothing).
  void replace(wire::PartialGroup::Reader image);
  // Removes every group of the key groups `which` selects.
  template <typename Which>
  void erase_key_groups(Which&& which) {
    last_ = nullptr;
    absl::erase_if(groups_, [&](const auto& entry) { return which(entry.second.key_group); });
  }

  // Calls fn(group_state&) for every group `emit` selects, clearing its changed mark; then
  // removes it if `drop` selects it or it is empty (its source rows are all gone: fn saw it a
  // last time, so the sink can delete its row).
  template <typename Emit, typename Drop, typename F>
  void take(Emit&& emit, Drop&& drop, F&& fn) {
    for (auto it = groups_.begin(); it != groups_.end();) {
      auto& group = it->second;
      bool emitted = emit(group);
      if (emitted) {
        group.changed = false;
        fn(group);
      }
      if ((emitted && drop(group)) || is_empty(group)) {
        // What a snapshot of the changes must say: the group is gone.
        removed_.push_back(gone(group));
        last_ = nullptr;
        groups_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  // Calls fn(const group_state&, bool dirty) for every group, `dirty` saying whether it changed
  // since the last call, and clears that mark.
  template <typename F>
  void take_dirty(F&& fn) {
    for (auto& [key, group] : groups_) {
      fn(static_cast<const group_state&>(group), std::exchange(group.dirty, false));
    }
  }
  // The groups removed since the last call, each with no rows and empty aggregates.
  std::vector<group_state> take_removed() { return std::exchange(removed_, {}); }
  // take() of the groups changed since the last call.
  template <typename F>
  void take_changed(F&& fn) {
    take([](const group_state& g) { return g.changed; }, [](const group_state&) { return false; },
         fn);
  }
  // Every group, unchanged marks kept: for snapshots.
  template <typename F>
  void for_each(F&& fn) const {
    for (const auto& [key, group] : groups_) fn(group);
  }
  void clear() {
    last_ = nullptr;
    groups_.clear();
    removed_.clear();
  }

  static void to_wire(const group_state& group, wire::PartialGroup::Builder out);
  // About the bytes to_wire writes (min/max multisets not counted), to size a message.
  static size_t wire_size(const group_state& group);
  // No rows and no aggregate state: a group that holds (or, as a delta, changes) nothing.
  static bool is_empty(const group_state& group);

 private:
  // The key of `group` with nothing in it.
  static group_state gone(const group_state& group);
  // Adds a delta to a group.
  void add(group_state& group, wire::PartialGroup::Reader delta);

  std::vector<aggregate_spec> specs_;
  size_t routed_keys_;
  bool by_key_only_;
  // Node-based: a group is allocated at its own size and never moves, so growing the table moves
  // pointers only and leaves no unused group-sized slots (the 10 M-order per-user drain peaked at
  // 2.1 GiB with a flat table, 1.37 GiB with this one).
  absl::node_hash_map<std::string, group_state> groups_;
  std::string scratch_;
  std::vector<datum> key_views_;  // at(PartialGroup): the key of the group being looked up
  std::vector<group_state> removed_;  // since the last take_removed(), as gone() made them
  // The group found last, with its lookup key: valid until a group is removed (nodes never move).
  std::pair<const std::string, group_state>* last_ = nullptr;
};

}  // namespace sluice::ops

// A reducer's state: the merged groups of the key groups it owns, and the sink rows that
// changed since the last trigger. Snapshots image a slice of the key groups whole and carry the
// changes of the others, so that a few consecutive ones restore the state exactly, and a reducer
// restarted from a checkpoint continues exactly where that checkpoint left it.
//
// Not thread-safe: one per reducer actor.
#pragma once

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>

#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "operators/group_table.hpp"
#include "operators/job_plan.hpp"
#include "runtime/core/row_batch.hpp"

namespace sluice::ops {

class reducer_state {
 public:
  explicit reducer_state(std::shared_ptr<const job_plan> plan);

  // Merges a PartialBatch message. Groups of windows that are already final are late: counted,
  // not applied. Bytes that do not decode are InvalidArgument and change nothing.
  absl::Status merge(std::span<const char> partial_batch);

  // Raises the watermark (microseconds; it never goes down). With a lateness, windows ending at
  // or below it are final.
  void advance_watermark(int64_t watermark);
  int64_t watermark() const { return watermark_; }
  // Source rows of late groups: they came for windows already final and were not applied.
  uint64_t late_rows() const { return late_rows_; }

  // The sink changes since the last call, as one batch of the sink table: a put of the row of
  // every changed group (update mode) or of every window that became final (append mode), and a
  // delete of the row of every group whose source rows are all gone. Final windows are then
  // dropped from the state, so it stays bounded on an endless stream.
  absl::StatusOr<row_batch> take_changes();

  // A snapshot, as PartialBatch messages of at most `groups_per_chunk` groups each (at least
  // one, which carries the watermark): every group of the key groups `imaged` selects, then
  // every other group changed or removed since the last snapshot (see ops::snapshot_slices).
  std::vector<std::vector<char>> snapshot(const std::vector<bool>& imaged,
                                          size_t groups_per_chunk = 65536);
  // Applies one message of a snapshot; a state is restored by applying, in order, every message
  // of the snapshots a checkpoint needs. Bytes that do not decode are InvalidArgument.
  absl::Status restore(std::span<const char> snapshot);
  // After a restore: drops the groups of key groups `owns` rejects (reducers may own other key
  // groups than when the snapshots were taken). Restored groups are what the sink holds:
  // nothing is pending, and the next snapshot should image everything.
  void finish_restore(absl::FunctionRef<bool(uint32_t key_group)> owns);

  size_t size() const { return groups_.size(); }

  // The sink row of a group that holds nothing: what an aggregate without GROUP BY gives over no
  // rows (count 0, sum NULL).
  absl::StatusOr<std::vector<value>> empty_group_row();

 private:
  // The sink row of `group`, converted to the sink's column types.
  absl::StatusOr<std::vector<value>> sink_row(const group_state& group);

  bool is_final(const group_state& group) const;

  std::shared_ptr<const job_plan> plan_;
  group_table groups_;
  int64_t watermark_ = std::numeric_limits<int64_t>::min();
  uint64_t late_rows_ = 0;
  std::vector<datum> output_;
  string_arena arena_;
};

}  // namespace sluice::ops

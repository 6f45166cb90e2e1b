// A reducer's state: the merged groups of the key groups it owns, and the sink rows that
// changed since the last trigger. Snapshots hold every group, so a reducer restarted from a
// checkpoint continues exactly where that checkpoint left it.
//
// Not thread-safe: one per reducer actor.
#pragma once

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>

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

  // Merges a PartialBatch message. Bytes that do not decode are InvalidArgument and change
  // nothing.
  absl::Status merge(std::span<const char> partial_batch);

  // The sink changes since the last call, as one batch of the sink table: a put of the row of
  // every changed group, a delete of the row of every group whose source rows are all gone.
  absl::StatusOr<row_batch> take_changes();

  // Every group, as a PartialBatch message.
  std::vector<char> snapshot() const;
  // Adds the groups of one snapshot part whose key group `owns` accepts (reducers may own other
  // key groups than when the snapshot was taken). Restored groups are what the sink holds:
  // nothing is pending after a restore.
  absl::Status restore_part(std::span<const char> snapshot,
                            absl::FunctionRef<bool(uint32_t key_group)> owns);

  size_t size() const { return groups_.size(); }

 private:
  // The sink row of `group`, converted to the sink's column types.
  absl::StatusOr<std::vector<value>> sink_row(const group_state& group);

  std::shared_ptr<const job_plan> plan_;
  group_table groups_;
  std::vector<datum> output_;
  string_arena arena_;
};

}  // namespace sluice::ops

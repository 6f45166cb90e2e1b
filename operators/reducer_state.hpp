// A reducer's state: the merged groups of the key groups it owns, and the sink rows that
// changed since the last trigger. Snapshots image a slice of the key groups whole and carry the
// changes of the others, so that a few consecutive ones restore the state exactly, and a reducer
// restarted from a checkpoint continues exactly where that checkpoint left it.
//
// Not thread-safe: one per reducer actor.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>

#include <limits>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "operators/group_table.hpp"
#include "operators/job_plan.hpp"
#include "operators/sink_intent.hpp"
#include "runtime/core/row_batch.hpp"
#include "runtime/store/checkpoint.hpp"

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
  // Source rows of late groups: they came for windows already final and were not applied (with
  // a late-row table, the images written to it).
  uint64_t late_rows() const { return late_rows_; }
  // With a late-row table (plan->late_rows): the late rows merged since the last call, as puts
  // of that table (the row, its window, when it came, its change record).
  std::optional<row_batch> take_late_rows();

  // The sink changes since the last call, as one batch of the sink table: a put of the row of
  // every changed group (update mode) or of every window that became final (append mode), and a
  // delete of the row of every group whose source rows are all gone. Final windows are then
  // dropped from the state, so it stays bounded on an endless stream.
  absl::StatusOr<row_batch> take_changes();
  // The groups of the rows take_changes gave since the last call (puts and deletes), as
  // SinkIntent messages; none when it gave no rows.
  std::vector<std::vector<char>> take_intent() { return intent_.take(); }

  // A snapshot, as PartialBatch messages of one key group and at most `groups_per_chunk`
  // groups each, in the slot of their key group, at least one for each key group `owns`
  // selects (each carries the watermark): every group of the key groups `imaged` selects, and
  // every other group changed or removed since the last snapshot (see ops::snapshot_slices).
  std::vector<store::snapshot_chunk> snapshot(const std::vector<bool>& owns,
                                              const std::vector<bool>& imaged,
                                              size_t groups_per_chunk = 65536);
  // Applies one message of a snapshot; a state is restored by applying, in order, every message
  // of the snapshots a checkpoint needs. Bytes that do not decode are InvalidArgument.
  absl::Status restore(std::span<const char> snapshot);
  // After a restore: drops the groups of key groups `owns` rejects (reducers may own other key
  // groups than when the snapshots were taken). Restored groups are what the sink holds as of
  // the checkpoint: nothing is pending.
  void finish_restore(absl::FunctionRef<bool(uint32_t key_group)> owns);
  // After finish_restore, with a sink intent of a checkpoint that may not have completed (its
  // rows may be in the sink, and a replay need not touch the same groups again): marks the
  // intent's groups of the key groups `owns` accepts as changed, so that the next take_changes
  // writes their rows as the state has them, or deletes them. InvalidArgument when the bytes do
  // not decode or a group has not the job's keys; nothing changes then.
  absl::Status rewrite(std::span<const char> intent, absl::FunctionRef<bool(uint32_t key_group)> owns);

  size_t size() const { return groups_.size(); }

  // The sink row of a group that holds nothing: what an aggregate without GROUP BY gives over no
  // rows (count 0, sum NULL).
  absl::StatusOr<std::vector<value>> empty_group_row();

 private:
  // The sink row of `group` (its window ending at `window_end`), converted to the sink's column
  // types.
  absl::StatusOr<std::vector<value>> sink_row(const group_state& group, int64_t window_end);
  int64_t window_end(const group_state& group) const;

  // Session windows: the changes are per key, its sessions as they are now against those the
  // sink holds (`emitted_`): a session gone (split, merged, grown) is deleted before the new
  // ones are put.
  absl::StatusOr<row_batch> take_session_changes();
  struct session {
    group_state merged;  // window_start is the session's start
    int64_t end;
  };
  // The sessions of one key's groups, which `members` holds sorted by time.
  std::vector<session> sessions_of(const std::vector<const group_state*>& members) const;
  // Every key's groups, sorted by time; with `changed_keys`, the keys that changed (removed groups
  // included) since the last call. Removes the empty groups.
  absl::flat_hash_map<std::string, std::vector<const group_state*>> groups_by_key(
      absl::flat_hash_set<std::string>* changed_keys);
  struct emitted_key {
    decltype(group_state::key) key;
    std::vector<std::pair<int64_t, int64_t>> sessions;  // (start, end) as the sink holds them
  };

  bool is_final(const group_state& group) const;
  // InvalidArgument unless every group has the job's keys and aggregates.
  absl::Status check_shape(capnp::List<wire::PartialGroup>::Reader groups) const;
  void add_late_row(wire::LateCandidate::Reader candidate, int64_t window_start,
                    const std::string& arrived);

  std::shared_ptr<const job_plan> plan_;
  group_table groups_;
  int64_t watermark_ = std::numeric_limits<int64_t>::min();
  uint64_t late_rows_ = 0;
  std::optional<row_batch> late_;  // plan->late_rows only
  std::vector<datum> output_;
  string_arena arena_;
  absl::flat_hash_map<std::string, emitted_key> emitted_;  // session windows only
  sink_intent_builder intent_;  // of the rows taken since the last take_intent()
};

}  // namespace sluice::ops

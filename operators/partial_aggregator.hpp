// The per-record work of a source actor: every change record of a batch retracts its
// before-image and adds its after-image (each only if it passes the filter; a delete not at all
// when the source ignores deletes) into a table of
// signed deltas per (group key, window). flush() ships the deltas as PartialBatch messages, one
// per reducer, and starts over: the shuffle carries one entry per group per flush, not per row.
//
// Not thread-safe: one per source actor.
#pragma once

#include <absl/status/status.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "operators/group_table.hpp"
#include "operators/job_plan.hpp"
#include "runtime/store/change_batch.hpp"

namespace sluice::ops {

class partial_aggregator {
 public:
  explicit partial_aggregator(std::shared_ptr<const job_plan> plan);

  // Adds the batch's records (each retracts its before-image and adds its after-image). A
  // record whose image does not decode is DataLoss; the aggregator is then of no further use.
  absl::Status on_batch(const store::change_batch& batch);
  // Adds (sign +1) or retracts (-1) one row (row_codec bytes): a table's, as a batch job reads
  // them, or a joined one. DataLoss when it does not decode.
  absl::Status add_row(std::string_view image, int sign);

  // With a late-row table: windows ending at or below `watermark` are final already (the
  // checkpoint the source starts from says so), whatever the rows seen here say.
  void set_watermark_floor(int64_t watermark) { watermark_floor_ = watermark; }

  // Rows whose event time was NULL (they belong to no window and are skipped).
  uint64_t rows_without_time() const { return rows_without_time_; }
  // The largest event time seen (microseconds), or the lowest int64 before any.
  int64_t max_event_time() const { return max_event_time_; }
  bool empty() const { return groups_.empty(); }

  // The deltas since the last flush as one PartialBatch message per reducer (empty bytes for a
  // reducer with nothing to merge). `owner[g]` is the reducer of key group g.
  std::vector<std::vector<char>> flush(std::span<const uint32_t> owner, uint32_t reducers,
                                       uint64_t epoch, uint32_t channel);

 private:
  // False when the image does not decode.
  bool apply(std::string_view image, int sign);
  // Windows ending at or below this may be final at the reducers (a late-row table's jobs).
  int64_t late_bound() const;

  struct late_candidate {
    const group_state* group;
    uint32_t channel;
    uint64_t offset;
    bool retracted;
    std::string image;
  };

  std::shared_ptr<const job_plan> plan_;
  group_table groups_;
  std::vector<datum> row_;
  std::vector<bool> used_;  // the source columns the plan's expressions read
  std::vector<datum> key_;
  std::vector<datum> inputs_;
  string_arena arena_;
  uint64_t rows_without_time_ = 0;
  int64_t max_event_time_ = std::numeric_limits<int64_t>::min();
  int64_t watermark_floor_ = std::numeric_limits<int64_t>::min();
  uint32_t channel_ = 0;  // of the record being applied
  uint64_t offset_ = 0;
  std::vector<late_candidate> late_;  // since the last flush
};

}  // namespace sluice::ops

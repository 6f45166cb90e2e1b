// The immutable definition of a streaming (or batch) aggregation job, as the planner makes it
// from SQL: where the records come from, what each one contributes to which group, and how a
// group becomes a sink row. Shared read-only by every actor of the job
// (std::shared_ptr<const job_plan>); evaluating its expressions needs only a caller-owned arena.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/expression.hpp"
#include "operators/window.hpp"
#include "runtime/core/table_schema.hpp"
#include "runtime/store/tunnel.hpp"

namespace sluice::ops {

enum class output_mode {
  update,  // a changed group's row is upserted at the next checkpoint
  append   // a window's row is written once, when the window is final (needs a lateness)
};

struct job_options {
  // The job's checkpoint identity: the same location resumes, a new one starts over.
  std::string checkpoint_location;
  output_mode mode = output_mode::update;
  // Every checkpoint is also the trigger: reducers write their changed rows to the sink then.
  absl::Duration checkpoint_interval = absl::Seconds(1);
  // With a lateness, windows ending at or below (max event time - lateness) are final.
  std::optional<absl::Duration> lateness;
  absl::TimeZone zone = absl::UTCTimeZone();
  sql_dialect dialect = sql_dialect::spark;  // of the script that defines the job
  // LOCALTIMESTAMP and CURRENT_TIMESTAMP: one constant for the whole job, as Flink's batch jobs
  // and Spark's queries read them. The planner's caller gives it (by default the planning time).
  absl::Time start_time;
  // lateRowsTable: with a lateness, where rows that come for windows already final are kept.
  std::string late_rows_table;
};

struct source_binding {
  std::shared_ptr<const table_schema> table;
  std::string tunnel_id;
  store::tunnel_type type = store::tunnel_type::stream;
  uint64_t max_records = 10000;  // per channel read: the seeds' maxoffsetsperchannel
  // Flink's ignoreDelete = 'true': a deleted row stays counted (updates still retract).
  bool ignore_delete = false;
};

enum class join_kind { inner, left };

// FROM a JOIN b ON a.k = b.k [AND ...]: the job's source is the left side, `right` the other.
// Sources route each side's row images by their join key to joiners, which keep both sides per
// key and emit the joined rows (the left row's columns, then the right's; NULLs for a LEFT
// JOIN's row without a match) into the rest of the job as if they were a table's.
struct join_plan {
  join_kind kind = join_kind::inner;
  source_binding right;
  // The equi-join keys, pairwise of one type: over the left row, and over the right row.
  std::vector<expression> left_keys;
  std::vector<expression> right_keys;
};

struct job_plan {
  std::string name;
  source_binding source;
  std::optional<join_plan> join;

  // Per source row image: kept when `filter` is TRUE (absent: every row).
  std::optional<expression> filter;
  // The group: key expressions, then (with a window) the window of `event_time`.
  std::vector<expression> keys;
  std::optional<expression> event_time;  // TIMESTAMP
  std::optional<time_window> window;
  // Session windows (Spark's session_window(time, "gap"), Flink's SESSION): a group per key and
  // event time; the reducer makes sessions of a key's times, a session ending `gap` after its
  // last row, and a row closer than `gap` to the next joins its session. Excludes `window`.
  std::optional<int64_t> session_gap;  // microseconds
  // A projection (a SELECT with neither GROUP BY nor aggregates): the keys are the SELECT items,
  // the sink key's first, and one count(*) counts each distinct result row; the key group
  // follows the sink key's items only (`routed_keys` of them), so that every version of a sink
  // row meets in one reducer, which deletes the old before it puts the new.
  bool projection = false;
  size_t routed_keys = SIZE_MAX;  // every key, unless a projection
  // One input expression per aggregate (absent for count(*)).
  std::vector<aggregate_spec> aggregates;
  std::vector<std::optional<expression>> aggregate_inputs;

  // One expression per sink column, over the output row: the keys, window.start, window.end
  // (TIMESTAMPs, NULL without a window), then the aggregate results (output_columns()).
  std::shared_ptr<const table_schema> sink;
  std::vector<expression> outputs;
  // options.late_rows_table: the row of each late source row image (late_row_columns()).
  std::shared_ptr<const table_schema> late_rows;

  job_options options;

  // The columns the filter, keys and aggregate inputs read: the source's, or with a join the
  // left side's then the right's.
  size_t input_width() const {
    return source.table->column_count() + (join ? join->right.table->column_count() : 0);
  }
  // Which of those columns the filter, event time, keys and aggregate inputs read (the rest are
  // never decoded; a join keeps them as NULLs).
  std::vector<bool> columns_read() const {
    std::vector<bool> used(input_width(), false);
    if (filter) filter->mark_columns(used);
    if (event_time) event_time->mark_columns(used);
    for (const auto& key : keys) key.mark_columns(used);
    for (const auto& input : aggregate_inputs)
      if (input) input->mark_columns(used);
    return used;
  }
  // The job's input channels: the source's, then with a join the right side's.
  uint32_t channels() const {
    return source.table->channels() + (join ? join->right.table->channels() : 0);
  }

  // What the job computes, as a string: the source table and tunnel, the sink table, and the
  // shape of the query (filter, key and output types, window, aggregates). Checkpoints carry it
  // so that a checkpoint location is never resumed by a different computation.
  std::string fingerprint;
};

// What a job reads, for the lines that announce it: "orders", or "orders join customers".
inline std::string input_names(const job_plan& plan) {
  return plan.source.table->name() + (plan.join ? " join " + plan.join->right.table->name() : "");
}

// The columns of a late-row table after the source's own: the window the row came too late
// for, when it came, and which change record it was (its channel and offset, and whether it
// retracted the row's earlier image); the key is (channel, offset, retracted, window_start).
inline constexpr const char* late_row_columns =
    "window_start STRING, window_end STRING, arrived STRING, channel BIGINT, offset BIGINT, "
    "retracted BOOLEAN, PRIMARY KEY (channel, offset, retracted, window_start)";

// The output row the sink expressions read: $key0.., window.start, window.end, $agg0..
std::vector<input_column> output_columns(const std::vector<expression>& keys,
                                         const std::vector<aggregate_spec>& aggregates);

}  // namespace sluice::ops

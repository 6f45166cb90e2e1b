// The independent recomputation a chaos run checks a job's result with: the job's SELECT,
// translated to SQLite's SQL and run by SQLite over the source table's rows as they stand at the
// end. Nothing of Sluice's planner or operators takes part, only the parsed statement.
//
// It evaluates what the seeds' jobs use: columns, literals, arithmetic (`/` divides as doubles,
// as Spark's does), comparisons, AND/OR/NOT, count/sum/avg/min/max, to_timestamp, CAST, and
// GROUP BY keys or window(time, "N seconds|minutes|hours") with window.start/window.end. Anything
// else (a join, a sliding window, another function) is refused up front, naming it.
#pragma once

#include <absl/status/statusor.h>

#include <string>
#include <vector>

#include "runtime/core/table_schema.hpp"
#include "runtime/core/value.hpp"
#include "runtime/sql/ast.hpp"

namespace sluice::chaos {

using rows = std::vector<std::vector<value>>;

class recomputation {
 public:
  static absl::StatusOr<recomputation> create(const sql::select_query& query);
  // The query's result rows over `source_rows` of `source` (in its column order). A time
  // (window.start, to_timestamp(...)) comes out as a TIMESTAMP.
  absl::StatusOr<rows> run(const table_schema& source, const rows& source_rows) const;
  // The SQLite statement, for messages.
  const std::string& text() const { return text_; }

 private:
  recomputation(std::string text, std::vector<bool> times)
      : text_(std::move(text)), times_(std::move(times)) {}
  std::string text_;
  std::vector<bool> times_;  // per result column: seconds to be read as a TIMESTAMP
};

// Compares a sink table's rows with the recomputed ones, matched by the sink's key columns
// (`key`, indexes into the row): the same keys, each once, equal values (doubles within a
// relative 1e-9). Returns the first few differences, empty when exact.
std::vector<std::string> differences(const rows& sink, const rows& expected,
                                     const std::vector<size_t>& key);

}  // namespace sluice::chaos

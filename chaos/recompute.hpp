// The independent recomputation a chaos run checks a job's result with: the job's SELECT,
// translated to SQLite's SQL and run by SQLite over the rows of the tables it reads as they stand
// at the end. Nothing of Sluice's planner or operators takes part, only the parsed statement.
//
// It evaluates what the seeds' jobs use: columns (qualified by a table or its alias, or not),
// literals, arithmetic (`/` divides as doubles, as Spark's does), comparisons, AND/OR/NOT,
// count/sum/avg/min/max, to_timestamp, CAST, an inner or left join of two tables, and GROUP BY
// keys or window(time, "N seconds|minutes|hours") with window.start/window.end. Anything else (a
// sliding window, another function) is refused up front, naming it.
#pragma once

#include <absl/status/statusor.h>

#include <string>
#include <vector>

#include "runtime/core/table_schema.hpp"
#include "runtime/core/value.hpp"
#include "runtime/sql/ast.hpp"

namespace sluice::chaos {

using rows = std::vector<std::vector<value>>;

// A table a query reads: its columns, and its rows in their order.
struct table_rows {
  const table_schema* schema;
  const rows* content;
};

class recomputation {
 public:
  static absl::StatusOr<recomputation> create(const sql::select_query& query);
  // The query's result rows over `tables`: its FROM table's, then the joined table's if it joins
  // one. A time (window.start, to_timestamp(...)) comes out as a TIMESTAMP.
  absl::StatusOr<rows> run(const std::vector<table_rows>& tables) const;
  // The SQLite statement, for messages.
  const std::string& text() const { return text_; }

 private:
  recomputation(std::string text, std::vector<bool> times, size_t inputs)
      : text_(std::move(text)), times_(std::move(times)), inputs_(inputs) {}
  std::string text_;
  std::vector<bool> times_;  // per result column: seconds to be read as a TIMESTAMP
  size_t inputs_;
};

// Compares a sink table's rows with the recomputed ones, matched by the sink's key columns
// (`key`, indexes into the row): the same keys, each once, equal values (doubles within a
// relative 1e-9). Returns the first few differences, empty when exact.
std::vector<std::string> differences(const rows& sink, const rows& expected,
                                     const std::vector<size_t>& key);

}  // namespace sluice::chaos

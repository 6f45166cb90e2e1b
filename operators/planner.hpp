// Turns a job statement (CREATE STREAM ... INSERT INTO ... SELECT, or a bare INSERT INTO ...
// SELECT) into a job_plan: binds names through the session and the store, compiles the
// expressions, splits the SELECT into per-row work (filter, keys, window, aggregate inputs) and
// per-group output, and checks the sink. Every error names its SQL line and column.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/session.hpp"
#include "runtime/sql/ast.hpp"

namespace sluice::ops {

// The name a job statement gives its job: CREATE STREAM's name, or for a bare INSERT INTO,
// "insert into SINK at line N".
std::string job_name(const sql::create_stream& statement);
std::string job_name(const sql::insert_select& statement);

// A SELECT, planned as a batch job whose rows are the result: job->outputs are the shown
// columns, then the hidden ones HAVING and ORDER BY need; job->sink is a table of them all
// ($0, $1, ...: TIMESTAMPs shown as STRING, hidden ones as BIGINT).
struct query_plan {
  std::shared_ptr<const job_plan> job;
  // With aggregates or GROUP BY, one row per group and the outputs read a group's output row
  // (output_columns()); else one row per source row, and the outputs read it.
  bool grouped = false;
  std::vector<std::string> columns;  // the names of the shown columns
  std::optional<size_t> having;      // the output holding HAVING's condition
  struct sort_key {
    size_t output;
    bool descending;
  };
  std::vector<sort_key> order;
  std::optional<uint64_t> limit;
};

// `start_time` is job_options::start_time, absl::Now() if not given.
absl::StatusOr<query_plan> plan_query(const sql::select_statement& statement,
                                      const session& names,
                                      std::optional<absl::Time> start_time = std::nullopt);

absl::StatusOr<std::shared_ptr<const job_plan>> plan_job(
    const sql::create_stream& statement, const session& names,
    std::optional<absl::Time> start_time = std::nullopt);
absl::StatusOr<std::shared_ptr<const job_plan>> plan_job(
    const sql::insert_select& statement, const session& names,
    std::optional<absl::Time> start_time = std::nullopt);

}  // namespace sluice::ops

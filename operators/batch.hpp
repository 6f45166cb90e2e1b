// Batch jobs and queries: one consistent snapshot of the source table's rows, read by several
// threads at once (channels split among them), each aggregating its rows as a source actor
// would; the partials then merge in one reducer_state, so a batch job's result equals a stream
// job's over the same rows, value for value.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/planner.hpp"
#include "runtime/store/api.hpp"

namespace sluice::ops {

struct batch_result {
  uint64_t rows_read = 0;
  store::write_result written;  // the result rows upserted
  size_t deleted = 0;           // INSERT OVERWRITE: sink rows not in the result
  double seconds = 0;
};

// Runs `plan` over a snapshot of its source table and writes the result rows into its sink in
// one atomic write: upserted, and with `overwrite` every other row of the sink deleted.
absl::StatusOr<batch_result> run_batch(std::shared_ptr<const job_plan> plan, bool overwrite,
                                       store::api& db, unsigned readers);

struct query_result {
  std::vector<std::string> columns;
  std::vector<std::vector<value>> rows;
  uint64_t rows_read = 0;
};

// The rows of a SELECT: filtered by HAVING, sorted by ORDER BY (without one, by the columns from
// left to right, so a result reads the same every time), cut at LIMIT. NULL sorts first
// ascending, last descending, as in Spark.
absl::StatusOr<query_result> run_query(const query_plan& plan, const store::api& db,
                                       unsigned readers);

}  // namespace sluice::ops

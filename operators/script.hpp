// A script of statements as `sluice run`, `sluice sql` and a coordinator take it: catalog
// statements (CREATE/DROP TABLE, CREATE/DROP TUNNEL) change the store, external tables,
// connector tables and scans name things for the script's jobs, SELECT queries print their
// result, and CREATE STREAM / INSERT INTO ... SELECT define jobs.
//
// Jobs are batch jobs or streams, as in the engine whose dialect the script is written in. A
// script is in Flink's dialect when it defines a connector table (CREATE TABLE ... WITH
// (type = 'ots')), in Spark's otherwise. In Spark's, an INSERT reading a table or an external
// table, and any job reading a scan USING BATCH, is a batch job; CREATE STREAM and an INSERT
// reading a scan USING STREAM are streams. In Flink's, every INSERT is a stream.
//
// Batch jobs and queries run while the script runs, in statement order; streams are planned and
// started after it. A stream's script is also its definition: a worker plans the job from the
// same text, so every process of a cluster runs exactly the plan the coordinator made.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/session.hpp"
#include "runtime/format/row_writer.hpp"
#include "runtime/sql/ast.hpp"
#include "runtime/store/api.hpp"

namespace sluice::ops {

struct script_options {
  format::output_format format = format::output_format::table;  // of query results
  unsigned readers = 2;  // threads of a batch job or query
  bool streams = true;   // false: a stream is refused (`sluice sql` runs none)
};

// The tables outside Sluice that a script's tables follow or feed.
struct external_links {
  std::vector<mysql_table_source> mysql_sources;      // mirrored into store tables
  std::vector<postgres::sink_target> postgres_sinks;  // written from store tables
};

struct script_result {
  std::string output;  // what each statement did and each query's result, in statement order
  std::vector<std::shared_ptr<const job_plan>> jobs;   // the streams, planned, not started
  std::vector<store::catalog_op> undo;                 // drops of what it created, newest first
  external_links links;                                // to be followed while its streams run
};

// The catalog op of a statement that changes the store, if it is one.
std::optional<store::catalog_op> catalog_op_of(const sql::statement& statement);

// Runs the statements in order and plans every stream. On an error, which names `source` and
// the statement's position, the tables and tunnels the script created are dropped again (what
// batch jobs wrote before it stays written: each is one atomic write).
absl::StatusOr<script_result> run_script(std::string_view text, std::string_view source,
                                         store::api& db, const script_options& options = {});

// Plans stream `name` of a script that has run before: its names are defined again, its catalog
// statements, batch jobs and queries are not run again. Its LOCALTIMESTAMP is the time the job
// first started (store::api::start_time_of).
absl::StatusOr<std::shared_ptr<const job_plan>> plan_from_script(std::string_view text,
                                                                 std::string_view name,
                                                                 store::api& db);

// The external tables a script that has run before defines, to be followed.
absl::StatusOr<external_links> links_of(std::string_view text, const store::api& db);

}  // namespace sluice::ops

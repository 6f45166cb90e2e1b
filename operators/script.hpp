// A script of statements as `sluice run` and `sluice sql --coordinator` take it: catalog
// statements (CREATE/DROP TABLE, CREATE/DROP TUNNEL) change the store, external tables and scans
// name things for the script's jobs, and CREATE STREAM / INSERT INTO ... SELECT define jobs.
// A job's script is also its definition: a worker plans the job from the same text, so every
// process of a cluster runs exactly the plan the coordinator made.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "operators/job_plan.hpp"
#include "runtime/store/api.hpp"

namespace sluice::ops {

struct script_result {
  std::vector<std::string> lines;                      // what each other statement did
  std::vector<std::shared_ptr<const job_plan>> jobs;   // planned, not started
  std::vector<store::catalog_op> undo;                 // drops of what it created, newest first
};

// Runs the statements in order and plans every job. On an error, which names `source` and the
// statement's position, the tables and tunnels the script created are dropped again.
absl::StatusOr<script_result> run_script(std::string_view text, std::string_view source,
                                         store::api& db);

// Plans job `name` of a script that has run before: its names are defined again, its catalog
// statements are not applied again.
absl::StatusOr<std::shared_ptr<const job_plan>> plan_from_script(std::string_view text,
                                                                 std::string_view name,
                                                                 const store::api& db);

}  // namespace sluice::ops

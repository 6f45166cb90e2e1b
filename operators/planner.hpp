// Turns a job statement (CREATE STREAM ... INSERT INTO ... SELECT, or a bare INSERT INTO ...
// SELECT) into a job_plan: binds names through the session and the store, compiles the
// expressions, splits the SELECT into per-row work (filter, keys, window, aggregate inputs) and
// per-group output, and checks the sink. Every error names its SQL line and column.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>

#include "operators/job_plan.hpp"
#include "operators/session.hpp"
#include "runtime/sql/ast.hpp"

namespace sluice::ops {

// The name a job statement gives its job: CREATE STREAM's name, or for a bare INSERT INTO,
// "insert into SINK at line N".
std::string job_name(const sql::create_stream& statement);
std::string job_name(const sql::insert_select& statement);

absl::StatusOr<std::shared_ptr<const job_plan>> plan_job(const sql::create_stream& statement,
                                                         const session& names);
absl::StatusOr<std::shared_ptr<const job_plan>> plan_job(const sql::insert_select& statement,
                                                         const session& names);

}  // namespace sluice::ops

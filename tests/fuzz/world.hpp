// What the fuzz targets share, made once per process: a store in a temporary directory holding
// the seeds' order tables, and the plans of the seed's 10 s window job and of a keyed job.
#pragma once

#include <memory>

#include "operators/job_plan.hpp"
#include "runtime/store/store.hpp"

namespace sluice::fuzz {

struct world {
  std::unique_ptr<store::store> db;
  std::shared_ptr<const table_schema> orders;
  std::shared_ptr<const ops::job_plan> window_job;  // examples/sql/seed_10s_window.sql
  std::shared_ptr<const ops::job_plan> keyed_job;   // examples/sql/user_totals_stream.sql
};

// Aborts (a finding the fuzzer reports) if the world cannot be made.
world& the_world();

}  // namespace sluice::fuzz

// Writes a store table's changes into a PostgreSQL table, as a JDBC upsert sink does: it follows
// the store table's tunnel (which a job writes at each checkpoint) and applies what each batch of
// changes leaves of each key, rows with INSERT ... ON CONFLICT DO UPDATE and deleted keys with
// DELETE, in one PostgreSQL transaction together with the tunnel offsets it reached (kept in the
// table sluice_sink_offsets of the same database). So the PostgreSQL table holds the store
// table's rows as of some point of its log after any crash of either side, and a sink restarted
// anywhere resumes from PostgreSQL's own record: nothing is skipped, nothing is applied twice.
// A second sink of the same tables waits for the first's transaction and then takes the
// offsets it left, so two never write older rows over newer ones.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/connection.hpp"
#include "runtime/store/api.hpp"
#include "runtime/store/follower.hpp"

namespace sluice::postgres {

struct table_layout;

// A store table whose rows a PostgreSQL table receives.
struct sink_target {
  std::string store_table;
  location where;
};

class sink final : public store::follower {
 public:
  sink(sink_target target, std::shared_ptr<const table_schema> table, const store::api& db,
       log_fn log);
  ~sink() override;

  // Connects once, creates the PostgreSQL table when it is missing and checks its columns and
  // key against the store table's (see table.hpp).
  absl::Status check() override;
  // Writes changes as the store table gets them until `stop` is set, then, if the server
  // answers, up to the table's end at that moment; with `until_caught_up` up to the table's end
  // when it began. Retries outages with backoff.
  absl::Status run(const std::atomic<bool>& stop, bool until_caught_up) override;
  // "OrderStats -> public.order_stats at host:port/db"
  const std::string& name() const override { return name_; }

 private:
  absl::Status pass(const std::atomic<bool>& stop, bool until_caught_up, bool& progressed);
  // Applies the changes of channels [next, end) up to a batch's worth; false when there were none.
  absl::StatusOr<bool> apply(connection& pg, const table_layout& layout,
                             std::vector<uint64_t>& next, const std::vector<uint64_t>& end);

  sink_target target_;
  std::shared_ptr<const table_schema> table_;
  const store::api& db_;
  log_fn log_;
  std::string name_;
  std::string sink_id_;  // its rows in sluice_sink_offsets
  std::optional<std::vector<uint64_t>> final_ends_;  // where a run that is ending stops
};

}  // namespace sluice::postgres

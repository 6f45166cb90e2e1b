// Mirrors one table of a MySQL-compatible server into a store table, as Flink CDC's MySQL source
// reads one: a consistent snapshot of the table, then its row-based binlog from the snapshot's
// position (inserts, updates with their before-images, deletes). The store table's tunnel then
// carries the changes like any table's, so every job and guarantee applies unchanged.
//
// Every binlog transaction's changes to the table and the binlog position after it are one store
// write (store::api::write_at), so a mirror restarted after any crash resumes exactly where its
// table stands: nothing is skipped, nothing is applied twice. A snapshot cut short is taken again
// whole (rows the table holds that the new snapshot lacks are deleted). A server that goes away
// is retried with backoff; a table or column the DDL names that the server lacks, or a binlog that
// is not row-based with full images, is an error that says so.
#pragma once

#include <absl/status/status.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "operators/session.hpp"
#include "runtime/store/api.hpp"
#include "runtime/store/follower.hpp"

namespace sluice::cdc {

class mysql_connection;

class mysql_mirror final : public store::follower {
 public:
  mysql_mirror(ops::mysql_table_source source, std::shared_ptr<const table_schema> table,
               store::api& db, log_fn log);
  ~mysql_mirror() override;

  // Connects once and checks the table, its columns and the binlog settings; Unavailable when
  // the server cannot be reached now (run retries that).
  absl::Status check() override;
  // Mirrors until `stop` is set, or with `until_caught_up` until the table holds every change
  // the binlog held when it began reading it. Retries outages; returns any other error.
  absl::Status run(const std::atomic<bool>& stop, bool until_caught_up) override;

  // "orders_src (flink_cdc.orders at host:port)"
  const std::string& name() const override { return name_; }

 private:
  struct layout;
  struct binlog_position {
    std::string file;
    uint64_t offset = 0;
  };
  absl::Status pass(const std::atomic<bool>& stop, bool until_caught_up, bool& progressed);
  absl::StatusOr<layout> describe(mysql_connection& connection) const;
  absl::StatusOr<binlog_position> snapshot(mysql_connection& connection, const layout& columns);
  absl::Status follow(mysql_connection& connection, const layout& columns, binlog_position from,
                      const std::atomic<bool>& stop, bool until_caught_up, bool& progressed);
  absl::Status commit(const row_batch& rows, const binlog_position& at);
  std::string encode(const binlog_position& at) const;
  absl::StatusOr<binlog_position> decode(std::string_view position) const;

  ops::mysql_table_source source_;
  std::shared_ptr<const table_schema> table_;
  store::api& db_;
  log_fn log_;
  std::string name_;
  std::string position_key_;  // of the store's record of the binlog position
  uint32_t server_id_;        // this reader's replica id towards the server
};

}  // namespace sluice::cdc

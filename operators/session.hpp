// The names one script run defines for itself, like Spark's temporary views: external tables
// (CREATE TABLE x USING tablestore OPTIONS(table.name=...)) and Flink's connector tables
// (CREATE TABLE x (...) WITH (type='ots', tableName=...)) that name store tables, and scans
// (CREATE SCAN v ON x USING STREAM) that name a tunnel of one. They live as long as the run (one
// `sluice run` or `sluice sql` invocation), so a seed script can run twice.
#pragma once

#include <absl/status/statusor.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/job_plan.hpp"
#include "runtime/sql/ast.hpp"
#include "runtime/store/api.hpp"

namespace sluice::ops {

// A table of a MySQL-compatible server that a Flink CDC table ('connector' = 'mysql-cdc')
// mirrors into the store table of the CDC table's name.
struct mysql_table_source {
  std::string store_table;
  std::string hostname;
  uint16_t port = 3306;
  std::string username;
  std::string password;
  std::string database;
  std::string table;
};

// The store table a mysql-cdc table mirrors into, if `statement` is one: its columns and primary
// key as declared (created when missing; checked against the DDL when it exists).
std::optional<store::create_table_op> mirror_table_of(const sql::create_connector_table& statement);

class session {
 public:
  session(const store::api& db, sql_dialect dialect) : db_(db), dialect_(dialect) {}

  sql_dialect dialect() const { return dialect_; }
  // Whether the script has defined `name` (an external table, a connector table or a scan).
  bool defines(const std::string& name) const;

  // Checks that table.name names a store table and that the catalog option (if any) agrees with
  // its schema: each listed column exists (by its "col"/"cols" name, else its own) with the
  // type (string, long, double, boolean). Endpoint and credentials are accepted and ignored.
  absl::Status add_external_table(const sql::create_external_table& statement);
  // Flink's CREATE TABLE ... WITH (type = 'ots', tableName = ...): the store table must exist and
  // have every declared column with its type (and the declared primary key, if any); tunnelName
  // names one of its tunnels; ignoreDelete = 'true' makes a source skip deletes. Endpoint and
  // credentials are accepted and ignored.
  absl::Status add_connector_table(const sql::create_connector_table& statement);
  // The MySQL tables of the script's mysql-cdc tables, in statement order.
  const std::vector<mysql_table_source>& mysql_sources() const { return mysql_sources_; }
  // Resolves the tunnel: the scan's tunnel.id, else the external table's, else the default.
  absl::Status add_scan(const sql::create_scan& statement);
  // DROP TABLE of a session name forgets the name (never the store table's data). False when
  // the name is not a session name.
  bool drop(const std::string& name);

  // Whether `name` is a scan USING STREAM (USING BATCH) of this script.
  bool is_stream_scan(const std::string& name) const;
  bool is_batch_scan(const std::string& name) const;

  // A name a job reads: a scan, an external table (its tunnel), or a store table (its default
  // tunnel). Errors name the SQL position.
  absl::StatusOr<source_binding> source(const std::string& name, sql::position where) const;
  // A name a job writes: an external table or a store table.
  absl::StatusOr<std::shared_ptr<const table_schema>> sink(const std::string& name,
                                                           sql::position where) const;

 private:
  struct external_table {
    std::shared_ptr<const table_schema> table;
    std::string tunnel_id;  // empty: the default tunnel
    bool ignore_delete = false;
  };
  struct scan {
    source_binding binding;
    bool batch = false;
  };
  // 'connector' = 'mysql-cdc': hostname, port, username, password, database-name, table-name.
  absl::Status add_mysql_cdc_table(const sql::create_connector_table& statement);
  absl::StatusOr<source_binding> bind_tunnel(std::shared_ptr<const table_schema> table,
                                             const std::string& tunnel_id,
                                             sql::position where) const;

  const store::api& db_;
  sql_dialect dialect_;
  std::map<std::string, external_table> externals_;
  std::map<std::string, scan> scans_;
  std::vector<mysql_table_source> mysql_sources_;
};

}  // namespace sluice::ops

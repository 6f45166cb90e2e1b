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
#include "postgres/sink.hpp"
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

// The store table behind a mysql-cdc table (what it mirrors into) or a jdbc table (what a
// PostgreSQL table receives), if `statement` is one: its columns and primary key as declared
// (created when missing; checked against the DDL when it exists).
std::optional<store::create_table_op> store_table_of(const sql::create_connector_table& statement);

// Where a PostgreSQL sink table (CREATE TABLE x USING postgres OPTIONS(url=..., table=...)) is,
// if `statement` is one; an error names a missing or unknown option.
absl::StatusOr<std::optional<postgres::location>> postgres_location_of(
    const sql::create_external_table& statement);

class session {
 public:
  session(const store::api& db, sql_dialect dialect) : db_(db), dialect_(dialect) {}

  sql_dialect dialect() const { return dialect_; }
  // Whether the script has defined `name` (an external table, a connector table or a scan).
  bool defines(const std::string& name) const;

  // Checks that table.name names a store table and that the catalog option (if any) agrees with
  // its schema: each listed column exists (by its "col"/"cols" name, else its own) with the
  // type (string, long, double, boolean). Endpoint and credentials are accepted and ignored.
  // USING postgres: the store table of the statement's own name, whose rows a PostgreSQL table
  // receives.
  absl::Status add_external_table(const sql::create_external_table& statement);
  // Flink's CREATE TABLE ... WITH (type = 'ots', tableName = ...): the store table must exist and
  // have every declared column with its type (and the declared primary key, if any); tunnelName
  // names one of its tunnels; ignoreDelete = 'true' makes a source skip deletes. Endpoint and
  // credentials are accepted and ignored.
  absl::Status add_connector_table(const sql::create_connector_table& statement);
  // The MySQL tables of the script's mysql-cdc tables, in statement order.
  const std::vector<mysql_table_source>& mysql_sources() const { return mysql_sources_; }
  // The PostgreSQL tables of its postgres and jdbc tables, in statement order.
  const std::vector<postgres::sink_target>& postgres_sinks() const { return postgres_sinks_; }
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
  // 'connector' = 'jdbc': url (jdbc:postgresql://...), table-name, username, password.
  absl::Status add_jdbc_table(const sql::create_connector_table& statement);
  // The store table `name` as a sink into PostgreSQL at `where`.
  absl::Status add_postgres_sink(const std::string& name, postgres::location where,
                                 sql::position pos);
  absl::StatusOr<source_binding> bind_tunnel(std::shared_ptr<const table_schema> table,
                                             const std::string& tunnel_id,
                                             sql::position where) const;

  const store::api& db_;
  sql_dialect dialect_;
  std::map<std::string, external_table> externals_;
  std::map<std::string, scan> scans_;
  std::vector<mysql_table_source> mysql_sources_;
  std::vector<postgres::sink_target> postgres_sinks_;
};

}  // namespace sluice::ops

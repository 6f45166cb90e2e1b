// `sluice sql`: runs a script of statements against the store: catalog statements, queries and
// batch jobs. The whole script is parsed before anything runs; a script of catalog statements
// only applies in one atomic write.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <thread>
#include <string_view>
#include <type_traits>
#include <variant>

#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "messaging/atoms.hpp"
#include "operators/script.hpp"
#include "postgres/sink.hpp"
#include "runtime/core/status.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::cli {
namespace {

struct sql_options {
  store_location where;
  std::string coordinator;
  script_input script;
  std::string format = "table";
};

bool is_catalog(const sql::statement& statement) {
  return ops::catalog_op_of(statement).has_value();
}

bool writes(const sql::statement& statement) {
  return is_catalog(statement) || std::holds_alternative<sql::insert_select>(statement) ||
         std::holds_alternative<sql::create_stream>(statement);
}

// A script of catalog statements only: applied in one atomic write.
absl::Status apply_catalog(const std::vector<sql::statement>& statements, const std::string& source,
                           store::api& db) {
  std::vector<store::catalog_op> ops;
  for (const auto& statement : statements) ops.push_back(*ops::catalog_op_of(statement));
  size_t failed = 0;
  auto done = db.apply_catalog(ops, &failed);
  if (!done.ok()) {
    auto where = std::visit([](const auto& s) { return s.pos; }, statements[failed]);
    return absl::Status(done.status().code(),
                        fmt::format("{}: line {}, column {}: {}; nothing of the script was applied",
                                    source, where.line, where.column,
                                    std::string(done.status().message())));
  }
  for (const auto& line : *done) std::cout << line << "\n";
  return absl::OkStatus();
}

absl::Status run_sql(const sql_options& options, const script_text& script) {
  const auto& [text, source] = script;
  SLUICE_ASSIGN_OR_RETURN(auto output, format::parse_output_format(options.format));
  if (!options.coordinator.empty()) {
    // A cluster: the coordinator runs the script, and its streams keep running there.
    SLUICE_ASSIGN_OR_RETURN(auto done,
                            ask_coordinator<std::string>(
                                options.coordinator, options.where.credentials,
                                std::chrono::hours(6), msg::sql_atom::value, text, source,
                                options.format));
    std::cout << done;
    return absl::OkStatus();
  }
  auto statements = sql::parse_script(text);
  if (!statements.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", source, std::string(statements.status().message())));
  if (statements->empty()) return absl::InvalidArgumentError(fmt::format("{}: no statements", source));
  const bool read_only = std::none_of(statements->begin(), statements->end(), writes);
  SLUICE_ASSIGN_OR_RETURN(auto db, connect_store(options.where, read_only));
  if (std::all_of(statements->begin(), statements->end(), is_catalog))
    return apply_catalog(*statements, source, *db);
  ops::script_options script_options;
  script_options.format = output;
  script_options.readers = std::max(2u, std::thread::hardware_concurrency());
  script_options.streams = false;
  SLUICE_ASSIGN_OR_RETURN(auto done, ops::run_script(text, source, *db, script_options));
  std::cout << done.output << std::flush;
  // What the batch jobs wrote to tables of PostgreSQL, written there too (Ctrl-C ends retries).
  install_stop_signals();
  for (const auto& target : done.links.postgres_sinks) {
    SLUICE_ASSIGN_OR_RETURN(auto table, db->find_table(target.store_table));
    postgres::sink sink(target, table, *db, [](std::string_view line) { std::cerr << line << "\n"; });
    SLUICE_RETURN_IF_ERROR(sink.run(stop_requested, /*until_caught_up=*/true));
    if (!stop_requested) std::cout << fmt::format("{}: written\n", sink.name());
  }
  return absl::OkStatus();
}

absl::Status run_sql(const sql_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto scripts, read_scripts(options.script));
  for (const auto& script : scripts) SLUICE_RETURN_IF_ERROR(run_sql(options, script));
  return absl::OkStatus();
}

}  // namespace

void add_sql_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<sql_options>();
  auto* command = app.add_subcommand(
      "sql",
      "Run SQL statements: CREATE TABLE [IF NOT EXISTS] name (col TYPE, ..., PRIMARY KEY (col, "
      "...)) [WITH (channels = N)], DROP TABLE [IF EXISTS] name, CREATE TUNNEL [IF NOT EXISTS] "
      "name ON table [TYPE STREAM|BASE|BASE_AND_STREAM], DROP TUNNEL [IF EXISTS] name ON table, "
      "SELECT queries (WHERE, GROUP BY, HAVING, ORDER BY, LIMIT) and batch jobs (INSERT INTO|"
      "OVERWRITE sink SELECT ... FROM table). Types: STRING, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP. A script of "
      "catalog statements applies whole or not at all. Streams run with sluice run; with "
      "--coordinator, the script goes to a cluster and may also hold external tables, scans and "
      "streams, which keep running on the cluster. Several FILE.sql run one after another, each "
      "applied on its own.\n"
      "Example: sluice sql -e 'SELECT UserId, count(*) AS orders FROM OrderSource GROUP BY UserId "
      "ORDER BY orders DESC LIMIT 10'");
  add_store_options(*command, options->where);
  command->add_option("--coordinator", options->coordinator,
                      "submit to a cluster's coordinator instead: catalog statements apply to its "
                      "store, and jobs (CREATE STREAM, INSERT INTO ... SELECT) start there and "
                      "keep running after this command returns")
      ->type_name("HOST:PORT")
      ->excludes("--data")
      ->excludes("--store");
  command->add_option("--format", options->format,
                      "how SELECT results print: table (aligned, as psql), csv or jsonl")
      ->capture_default_str();
  add_script_options(*command, options->script);
  command->callback([options, &exit_code] { exit_code = report("sql", run_sql(*options)); });
}

}  // namespace sluice::cli

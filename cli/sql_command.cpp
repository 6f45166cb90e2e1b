// `sluice sql`: runs a script of statements against the store. The whole script is parsed
// before anything runs, and its catalog changes apply in one atomic write.
#include <fmt/format.h>

#include <iostream>
#include <string_view>
#include <type_traits>
#include <variant>

#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "messaging/atoms.hpp"
#include "runtime/core/status.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::cli {
namespace {

struct sql_options {
  std::string data;
  std::string coordinator;
  script_input script;
};

std::string_view job_statement_name(const sql::create_external_table&) {
  return "CREATE TABLE ... USING";
}
std::string_view job_statement_name(const sql::create_scan&) { return "CREATE SCAN"; }
std::string_view job_statement_name(const sql::create_stream&) { return "CREATE STREAM"; }
std::string_view job_statement_name(const sql::insert_select&) { return "INSERT INTO"; }

// The store ops of a script of catalog statements. The other statements describe jobs, which
// `sluice run` runs; a script with one of them is rejected before anything is applied.
absl::StatusOr<std::vector<store::catalog_op>> catalog_ops(
    const std::vector<sql::statement>& statements, const std::string& source) {
  std::vector<store::catalog_op> ops;
  for (const auto& statement : statements) {
    auto added = std::visit(
        [&](const auto& s) {
          if constexpr (std::is_constructible_v<store::catalog_op, decltype(s)>) {
            ops.emplace_back(s);
            return absl::OkStatus();
          } else {
            return absl::InvalidArgumentError(
                fmt::format("{}: line {}, column {}: {} runs with sluice run, or on a cluster "
                            "with sluice sql --coordinator",
                            source, s.pos.line, s.pos.column, job_statement_name(s)));
          }
        },
        statement);
    SLUICE_RETURN_IF_ERROR(added);
  }
  return ops;
}

absl::Status run_sql(const sql_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto script, read_script(options.script));
  const auto& [text, source] = script;
  if (!options.coordinator.empty()) {
    // A cluster: the coordinator runs the script, and its jobs keep running there.
    SLUICE_ASSIGN_OR_RETURN(auto done,
                            ask_coordinator<std::string>(options.coordinator, std::chrono::minutes(2),
                                                         msg::sql_atom::value, text, source));
    std::cout << done;
    return absl::OkStatus();
  }
  auto statements = sql::parse_script(text);
  if (!statements.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", source, std::string(statements.status().message())));
  if (statements->empty()) return absl::InvalidArgumentError(fmt::format("{}: no statements", source));
  SLUICE_ASSIGN_OR_RETURN(auto ops, catalog_ops(*statements, source));
  SLUICE_ASSIGN_OR_RETURN(auto db, open_store(options.data, /*read_only=*/false));
  size_t failed = 0;
  auto done = db->apply_catalog(ops, &failed);
  if (!done.ok()) {
    auto where = std::visit([](const auto& s) { return s.pos; }, (*statements)[failed]);
    return absl::Status(done.status().code(),
                        fmt::format("{}: line {}, column {}: {}; nothing of the script was applied",
                                    source, where.line, where.column,
                                    std::string(done.status().message())));
  }
  for (const auto& line : *done) std::cout << line << "\n";
  return absl::OkStatus();
}

}  // namespace

void add_sql_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<sql_options>();
  auto* command = app.add_subcommand(
      "sql",
      "Run SQL statements: CREATE TABLE [IF NOT EXISTS] name (col TYPE, ..., PRIMARY KEY (col, "
      "...)) [WITH (channels = N)], DROP TABLE [IF EXISTS] name, CREATE TUNNEL [IF NOT EXISTS] "
      "name ON table [TYPE STREAM|BASE|BASE_AND_STREAM], DROP TUNNEL [IF EXISTS] name ON table. "
      "Types: STRING, BIGINT, DOUBLE, BOOLEAN. The script applies whole or not at all. With "
      "--coordinator, the script goes to a cluster and may also hold external tables, scans and "
      "jobs, as with sluice run; the jobs keep running on the cluster.\n"
      "Example: sluice sql -e 'CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price "
      "DOUBLE, timestamp BIGINT, PRIMARY KEY (UserId, OrderId))'");
  add_data_option(*command, options->data);
  command->add_option("--coordinator", options->coordinator,
                      "submit to a cluster's coordinator instead: catalog statements apply to its "
                      "store, and jobs (CREATE STREAM, INSERT INTO ... SELECT) start there and "
                      "keep running after this command returns")
      ->type_name("HOST:PORT")
      ->excludes("--data");
  add_script_options(*command, options->script);
  command->callback([options, &exit_code] { exit_code = report("sql", run_sql(*options)); });
}

}  // namespace sluice::cli

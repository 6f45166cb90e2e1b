#include "operators/script.hpp"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <sstream>
#include <type_traits>
#include <variant>

#include "operators/batch.hpp"
#include "operators/planner.hpp"
#include "operators/session.hpp"
#include "postgres/table.hpp"
#include "runtime/core/status.hpp"
#include "runtime/sql/lexer.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::ops {
namespace {

// What undoes a catalog statement: the drop of the table or tunnel it is about to create.
std::optional<store::catalog_op> undo_of(const sql::statement& statement, const store::api& db) {
  if (auto* create = std::get_if<sql::create_table>(&statement);
      create && !db.find_table(create->name).ok())
    return store::drop_table_op{create->name, true};
  if (auto* create = std::get_if<sql::create_tunnel>(&statement)) {
    auto table = db.find_table(create->table);
    if (table.ok() && !db.find_tunnel(**table, create->name).ok())
      return store::drop_tunnel_op{create->table, create->name, true};
  }
  return std::nullopt;
}

sql::position position_of(const sql::statement& statement) {
  return std::visit([](const auto& s) { return s.pos; }, statement);
}

// Flink's when the script defines a connector table; Spark's otherwise. Spark's own statements
// in a Flink script are refused, so that no statement runs with the other engine's meaning.
absl::StatusOr<sql_dialect> dialect_of(const std::vector<sql::statement>& statements) {
  const sql::create_connector_table* flink = nullptr;
  for (const auto& statement : statements)
    if (auto* table = std::get_if<sql::create_connector_table>(&statement)) flink = table;
  if (!flink) return sql_dialect::spark;
  for (const auto& statement : statements) {
    std::string_view spark;
    if (std::holds_alternative<sql::create_external_table>(statement)) spark = "CREATE TABLE ... USING";
    if (std::holds_alternative<sql::create_scan>(statement)) spark = "CREATE SCAN";
    if (std::holds_alternative<sql::create_stream>(statement)) spark = "CREATE STREAM";
    if (!spark.empty())
      return sql::syntax_error(position_of(statement),
                      fmt::format("{} is Spark SQL, but this script is in Flink's dialect (table "
                                  "{} at line {} has type = 'ots'); write a script in one dialect",
                                  spark, flink->name, flink->pos.line));
  }
  return sql_dialect::flink;
}

// What a script's output says a new session name stands for.
std::string described(const session& names, const std::string& name) {
  for (const auto& sink : names.postgres_sinks())
    if (sink.store_table == name)
      return fmt::format("{} names a store table, written to PostgreSQL table {} at {}", name,
                         sink.where.table, postgres::describe_server(sink.where));
  return fmt::format("{} names a store table", name);
}

// Defines the name a statement gives for the script (an external table, a connector table, a
// scan, or a DROP of one); true when the statement was one of those, or CREATE DATABASE, which
// defines nothing.
absl::StatusOr<bool> define_name(const sql::statement& statement, session& names,
                                 std::vector<std::string>& lines) {
  if (auto* database = std::get_if<sql::create_database>(&statement)) {
    lines.push_back(fmt::format("database {}: nothing to create (Sluice has one namespace of "
                                "tables; a table name's database qualifier is ignored)",
                                database->name));
    return true;
  }
  if (auto* drop = std::get_if<sql::drop_table>(&statement); drop && names.drop(drop->name)) {
    lines.push_back(
        fmt::format("dropped the name {} (the store table keeps its data)", drop->name));
    return true;
  }
  if (auto* external = std::get_if<sql::create_external_table>(&statement)) {
    if (external->if_not_exists && names.defines(external->name)) {
      lines.push_back(fmt::format("{} is defined already; kept", external->name));
      return true;
    }
    SLUICE_RETURN_IF_ERROR(names.add_external_table(*external));
    lines.push_back(described(names, external->name));
    return true;
  }
  if (auto* connector = std::get_if<sql::create_connector_table>(&statement)) {
    if (connector->if_not_exists && names.defines(connector->name)) {
      lines.push_back(fmt::format("{} is defined already; kept", connector->name));
      return true;
    }
    SLUICE_RETURN_IF_ERROR(names.add_connector_table(*connector));
    lines.push_back(described(names, connector->name));
    return true;
  }
  if (auto* scan = std::get_if<sql::create_scan>(&statement)) {
    SLUICE_RETURN_IF_ERROR(names.add_scan(*scan));
    lines.push_back(fmt::format("scan {} on {}", scan->name, scan->table));
    return true;
  }
  return false;
}

// The job a statement defines, with its name and kind; nothing for other statements.
struct job_statement {
  using planner = std::function<absl::StatusOr<std::shared_ptr<const job_plan>>(
      const session&, std::optional<absl::Time> start_time)>;
  std::string name;
  bool batch = false;
  bool overwrite = false;
  planner plan;
};
std::optional<job_statement> job_of(const sql::statement& statement, const session& names) {
  if (auto* stream = std::get_if<sql::create_stream>(&statement)) {
    const auto& query = stream->query;
    bool batch = names.is_batch_scan(query.from) &&
                 (!query.join || names.is_batch_scan(query.join->table));
    return job_statement{job_name(*stream), batch, false,
                         [stream](const session& s, std::optional<absl::Time> start_time) {
                           return plan_job(*stream, s, start_time);
                         }};
  }
  if (auto* insert = std::get_if<sql::insert_select>(&statement)) {
    const auto& query = insert->query;
    bool batch = names.dialect() == sql_dialect::spark && !names.is_stream_scan(query.from) &&
                 (!query.join || !names.is_stream_scan(query.join->table));
    return job_statement{job_name(*insert), batch, insert->overwrite,
                         [insert](const session& s, std::optional<absl::Time> start_time) {
                           return plan_job(*insert, s, start_time);
                         }};
  }
  return std::nullopt;
}

// A stream's plan, its LOCALTIMESTAMP the time the job first started (kept by the store under
// its checkpoint location), so that a restart or another process of a cluster plans the same.
absl::StatusOr<std::shared_ptr<const job_plan>> plan_stream(const job_statement& job,
                                                            const session& names,
                                                            store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto plan, job.plan(names, std::nullopt));
  const int64_t planned = absl::ToUnixMicros(plan->options.start_time);
  SLUICE_ASSIGN_OR_RETURN(auto first,
                          db.start_time_of(plan->options.checkpoint_location, planned));
  if (first == planned) return plan;
  return job.plan(names, absl::FromUnixMicros(first));
}

absl::StatusOr<std::vector<sql::statement>> parse(std::string_view text, std::string_view source) {
  auto statements = sql::parse_script(std::string(text));
  if (!statements.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", source, std::string(statements.status().message())));
  return statements;
}

std::string rows(uint64_t n) { return fmt::format("{} row{}", n, n == 1 ? "" : "s"); }

std::string describe(const job_plan& plan, const batch_result& done) {
  return fmt::format(
      "batch job {}: read {} rows of {}, wrote {} to {} ({} changed, {} unchanged{}) in "
      "{:.2f} s",
      plan.name, done.rows_read,
      input_names(plan),
      rows(done.written.changed + done.written.unchanged - done.deleted), plan.sink->name(),
      done.written.changed - std::min(done.written.changed, done.deleted), done.written.unchanged,
      done.deleted ? fmt::format(", {} other rows deleted", done.deleted) : "", done.seconds);
}

std::string print(const query_result& result, format::output_format output) {
  std::ostringstream text;
  format::row_writer writer(text, output, result.columns);
  writer.write_header();
  for (const auto& row : result.rows) writer.write_row(row);
  writer.finish();
  return text.str();
}

// Runs a query or a batch job, or plans a stream; false for other statements.
absl::StatusOr<bool> run_job(const sql::statement& statement, const session& names,
                             store::api& db, const script_options& options, script_result& out,
                             std::vector<std::string>& lines) {
  const sql::position where = position_of(statement);
  auto at = [&](const absl::Status& status) {
    return absl::Status(status.code(), fmt::format("line {}, column {}: {}", where.line,
                                                   where.column, std::string(status.message())));
  };
  if (auto* select = std::get_if<sql::select_statement>(&statement)) {
    SLUICE_ASSIGN_OR_RETURN(auto plan, plan_query(*select, names));
    auto result = run_query(plan, db, options.readers);
    if (!result.ok()) return at(result.status());
    lines.push_back(print(*result, options.format));
    return true;
  }
  auto job = job_of(statement, names);
  if (!job) return false;
  if (!job->batch) {
    if (job->overwrite)
      return sql::syntax_error(where, "INSERT OVERWRITE replaces a table with a batch result; a stream "
                             "(this one reads a scan USING STREAM) writes with INSERT INTO");
    if (!options.streams)
      return sql::syntax_error(where, fmt::format("{} is a stream: run it with sluice run, or on a cluster "
                                         "with sluice sql --coordinator",
                                         job->name));
    SLUICE_ASSIGN_OR_RETURN(out.jobs.emplace_back(), plan_stream(*job, names, db));
    return true;
  }
  SLUICE_ASSIGN_OR_RETURN(auto plan, job->plan(names, std::nullopt));
  auto done = run_batch(plan, job->overwrite, db, options.readers);
  if (!done.ok()) return at(done.status());
  lines.push_back(describe(*plan, *done));
  return true;
}

// The store table behind a mysql-cdc, jdbc or postgres table, created if missing (and dropped
// again if the script fails). A postgres table's columns and key are the PostgreSQL table's.
absl::Status create_store_table(const sql::statement& statement, store::api& db,
                                script_result& out) {
  std::optional<store::create_table_op> op;
  if (const auto* connector = std::get_if<sql::create_connector_table>(&statement))
    op = store_table_of(*connector);
  if (const auto* external = std::get_if<sql::create_external_table>(&statement)) {
    SLUICE_ASSIGN_OR_RETURN(auto where, postgres_location_of(*external));
    if (where && !db.find_table(external->name).ok()) {
      auto described = [&]() -> absl::StatusOr<store::create_table_op> {
        SLUICE_ASSIGN_OR_RETURN(auto pg, postgres::connection::connect(*where));
        return postgres::store_table_of(*pg, *where, external->name);
      }();
      if (!described.ok())
        return absl::Status(described.status().code(),
                            fmt::format("line {}, column {}: {}", external->pos.line,
                                        external->pos.column,
                                        std::string(described.status().message())));
      op = std::move(*described);
    }
  }
  if (!op || db.find_table(op->name).ok()) return absl::OkStatus();
  store::catalog_op create = *op;
  SLUICE_ASSIGN_OR_RETURN(auto done, db.apply_catalog(std::span(&create, 1)));
  out.undo.insert(out.undo.begin(), store::drop_table_op{op->name, true});
  for (const auto& line : done) out.output += line + "\n";
  return absl::OkStatus();
}

absl::Status run_statements(const std::vector<sql::statement>& statements, store::api& db,
                            const script_options& options, script_result& out) {
  SLUICE_ASSIGN_OR_RETURN(auto dialect, dialect_of(statements));
  session names(db, dialect);
  std::vector<std::string> lines;
  auto flush = [&] {
    for (const auto& line : lines) out.output += line.ends_with('\n') ? line : line + "\n";
    lines.clear();
  };
  for (const auto& statement : statements) {
    SLUICE_RETURN_IF_ERROR(create_store_table(statement, db, out));
    auto named = define_name(statement, names, lines);
    if (named.ok() && !*named) named = run_job(statement, names, db, options, out, lines);
    flush();
    SLUICE_RETURN_IF_ERROR(named.status());
    if (*named) continue;
    auto op = catalog_op_of(statement);
    if (!op) continue;
    auto undo = undo_of(statement, db);
    SLUICE_ASSIGN_OR_RETURN(auto done, db.apply_catalog(std::span(&*op, 1)));
    if (undo) out.undo.insert(out.undo.begin(), *undo);
    if (!done.empty()) out.output += done.front() + "\n";
  }
  out.links = {names.mysql_sources(), names.postgres_sinks()};
  return absl::OkStatus();
}

}  // namespace

std::optional<store::catalog_op> catalog_op_of(const sql::statement& statement) {
  return std::visit(
      [](const auto& s) -> std::optional<store::catalog_op> {
        if constexpr (std::is_constructible_v<store::catalog_op, decltype(s)>)
          return s;
        else
          return std::nullopt;
      },
      statement);
}

absl::StatusOr<script_result> run_script(std::string_view text, std::string_view source,
                                         store::api& db, const script_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto statements, parse(text, source));
  script_result result;
  auto status = run_statements(statements, db, options, result);
  if (status.ok()) return result;
  std::string undone;
  if (!result.undo.empty())
    undone = db.apply_catalog(result.undo).ok()
                 ? "; the tables and tunnels it created were dropped again"
                 : "; dropping the tables and tunnels it created failed too";
  return absl::Status(status.code(),
                      fmt::format("{}: {}{}", source, std::string(status.message()), undone));
}

absl::StatusOr<std::shared_ptr<const job_plan>> plan_from_script(std::string_view text,
                                                                 std::string_view name,
                                                                 store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto statements, parse(text, fmt::format("the script of job {}", name)));
  SLUICE_ASSIGN_OR_RETURN(auto dialect, dialect_of(statements));
  session names(db, dialect);
  std::vector<std::string> lines;
  for (const auto& statement : statements) {
    SLUICE_ASSIGN_OR_RETURN(bool named, define_name(statement, names, lines));
    if (named) continue;
    if (auto job = job_of(statement, names); job && !job->batch && job->name == name)
      return plan_stream(*job, names, db);
  }
  return absl::NotFoundError(fmt::format("the script of job {} does not define it", name));
}

absl::StatusOr<external_links> links_of(std::string_view text, const store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto statements, parse(text, "a job's script"));
  SLUICE_ASSIGN_OR_RETURN(auto dialect, dialect_of(statements));
  session names(db, dialect);
  std::vector<std::string> lines;
  for (const auto& statement : statements)
    SLUICE_RETURN_IF_ERROR(define_name(statement, names, lines).status());
  return external_links{names.mysql_sources(), names.postgres_sinks()};
}

}  // namespace sluice::ops

#include "operators/script.hpp"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <type_traits>
#include <variant>

#include "operators/planner.hpp"
#include "operators/session.hpp"
#include "runtime/core/status.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::ops {
namespace {

// The catalog op of a statement that changes the store, if it is one.
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

// Defines the name a statement gives for the script (an external table, a scan, or a DROP of
// one); true when the statement was one of those.
absl::StatusOr<bool> define_name(const sql::statement& statement, session& names,
                                 std::vector<std::string>& lines) {
  if (auto* drop = std::get_if<sql::drop_table>(&statement); drop && names.drop(drop->name)) {
    lines.push_back(
        fmt::format("dropped the name {} (the store table keeps its data)", drop->name));
    return true;
  }
  if (auto* external = std::get_if<sql::create_external_table>(&statement)) {
    SLUICE_RETURN_IF_ERROR(names.add_external_table(*external));
    lines.push_back(fmt::format("{} names a store table", external->name));
    return true;
  }
  if (auto* scan = std::get_if<sql::create_scan>(&statement)) {
    SLUICE_RETURN_IF_ERROR(names.add_scan(*scan));
    lines.push_back(fmt::format("scan {} on {}", scan->name, scan->table));
    return true;
  }
  return false;
}

// The job a statement defines, with its name; nothing for other statements.
struct job_statement {
  std::string name;
  std::function<absl::StatusOr<std::shared_ptr<const job_plan>>(const session&)> plan;
};
std::optional<job_statement> job_of(const sql::statement& statement) {
  if (auto* stream = std::get_if<sql::create_stream>(&statement))
    return job_statement{job_name(*stream),
                         [stream](const session& s) { return plan_job(*stream, s); }};
  if (auto* insert = std::get_if<sql::insert_select>(&statement))
    return job_statement{job_name(*insert),
                         [insert](const session& s) { return plan_job(*insert, s); }};
  return std::nullopt;
}

absl::StatusOr<std::vector<sql::statement>> parse(std::string_view text, std::string_view source) {
  auto statements = sql::parse_script(std::string(text));
  if (!statements.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", source, std::string(statements.status().message())));
  return statements;
}

absl::Status run_statements(const std::vector<sql::statement>& statements, store::api& db,
                            script_result& out) {
  session names(db);
  for (const auto& statement : statements) {
    SLUICE_ASSIGN_OR_RETURN(bool named, define_name(statement, names, out.lines));
    if (named) continue;
    if (auto job = job_of(statement)) {
      SLUICE_ASSIGN_OR_RETURN(out.jobs.emplace_back(), job->plan(names));
      continue;
    }
    auto op = catalog_op_of(statement);
    if (!op) continue;
    auto undo = undo_of(statement, db);
    SLUICE_ASSIGN_OR_RETURN(auto done, db.apply_catalog(std::span(&*op, 1)));
    if (undo) out.undo.insert(out.undo.begin(), *undo);
    if (!done.empty()) out.lines.push_back(done.front());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<script_result> run_script(std::string_view text, std::string_view source,
                                         store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto statements, parse(text, source));
  script_result result;
  auto status = run_statements(statements, db, result);
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
                                                                 const store::api& db) {
  SLUICE_ASSIGN_OR_RETURN(auto statements, parse(text, fmt::format("the script of job {}", name)));
  session names(db);
  std::vector<std::string> lines;
  for (const auto& statement : statements) {
    SLUICE_ASSIGN_OR_RETURN(bool named, define_name(statement, names, lines));
    if (named) continue;
    if (auto job = job_of(statement); job && job->name == name) return job->plan(names);
  }
  return absl::NotFoundError(fmt::format("the script of job {} does not define it", name));
}

}  // namespace sluice::ops

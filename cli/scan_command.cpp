// `sluice scan`: every row of a table in primary-key order, as CSV or JSON lines.
#include <iostream>

#include "cli/command.hpp"
#include "runtime/core/status.hpp"
#include "runtime/format/row_writer.hpp"

namespace sluice::cli {
namespace {

struct scan_options {
  store_location where;
  std::string table;
  std::string format = "csv";
};

absl::Status run_scan(const scan_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto format, format::parse_output_format(options.format));
  SLUICE_ASSIGN_OR_RETURN(auto db, connect_store(options.where, /*read_only=*/true));
  SLUICE_ASSIGN_OR_RETURN(auto table, db->find_table(options.table));
  std::ios::sync_with_stdio(false);
  format::row_writer writer(std::cout, format, format::column_names(*table));
  writer.write_header();
  SLUICE_RETURN_IF_ERROR(db->scan(*table, [&](std::span<const value> row) {
    writer.write_row(row);
    return absl::OkStatus();
  }));
  writer.finish();
  std::cout.flush();
  if (!std::cout) return absl::UnavailableError("cannot write to standard output");
  return absl::OkStatus();
}

}  // namespace

void add_scan_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<scan_options>();
  auto* command = app.add_subcommand(
      "scan",
      "Print every row of a table in primary-key order: CSV with a header row (NULL is an empty "
      "field, the empty string is \"\"), JSON lines, or an aligned table. Reads a consistent snapshot; works while "
      "another sluice process writes.\nExample: sluice scan OrderStreamSink --format jsonl");
  add_store_options(*command, options->where);
  command->add_option("table", options->table, "the table to print")->required()->type_name("TABLE");
  command->add_option("--format", options->format, "csv, jsonl or table (aligned, as psql)")->capture_default_str();
  command->callback([options, &exit_code] { exit_code = report("scan", run_scan(*options)); });
}

}  // namespace sluice::cli

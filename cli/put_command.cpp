// `sluice put`: writes rows from standard input. The whole input is read and checked first, so
// bad input is rejected whole; then it is written in atomic batches.
#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "runtime/core/status.hpp"
#include "runtime/format/row_reader.hpp"

namespace sluice::cli {
namespace {

struct put_options {
  store_location where;
  std::string table;
  std::string format = "jsonl";
  size_t batch_rows = 4096;
  bool sync = false;
};

absl::Status run_put(const put_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto format, format::parse_input_format(options.format));
  SLUICE_ASSIGN_OR_RETURN(auto db, connect_store(options.where, /*read_only=*/false, options.sync));
  SLUICE_ASSIGN_OR_RETURN(auto table, db->find_table(options.table));
  std::ios::sync_with_stdio(false);
  SLUICE_ASSIGN_OR_RETURN(auto batches,
                          format::read_rows(std::cin, format, table, options.batch_rows));
  progress meter("put");
  store::write_result total;
  for (const auto& batch : batches) {
    auto written = db->write(batch);
    if (!written.ok())
      return absl::Status(written.status().code(),
                          fmt::format("{} (after {} rows were written in whole batches)",
                                      std::string(written.status().message()),
                                      total.changed + total.unchanged));
    total.changed += written->changed;
    total.unchanged += written->unchanged;
    meter.update(total.changed + total.unchanged);
  }
  meter.finish();
  std::cout << fmt::format("wrote {} rows to {} ({} changed, {} unchanged) in {:.2f} s\n",
                           total.changed + total.unchanged, table->name(), total.changed,
                           total.unchanged, meter.seconds());
  return absl::OkStatus();
}

}  // namespace

void add_put_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<put_options>();
  auto* command = app.add_subcommand(
      "put",
      "Write rows from standard input into a table.\n"
      "jsonl: one object per line, {\"UserId\":\"u1\",\"OrderId\":\"o1\",\"price\":12.5,"
      "\"timestamp\":1700000000123}, with an optional \"_op\" of put (default: insert or "
      "overwrite), update (change the given columns) or delete (key columns only).\n"
      "csv: a header row of column names (and optionally _op); an empty field is NULL, \"\" is "
      "the empty string.\nThe whole input is checked before anything is written; each batch is "
      "written atomically and durably.\nExample: sluice put OrderSource < orders.jsonl");
  add_store_options(*command, options->where);
  command->add_option("table", options->table, "the table to write")->required()->type_name("TABLE");
  command->add_option("--format", options->format, "jsonl or csv")->capture_default_str();
  command->add_option("--batch-rows", options->batch_rows, "rows per atomic write")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  command->add_flag("--sync", options->sync,
                    "flush every batch to disk before going on (survives power loss)")
      ->excludes("--store");
  command->callback([options, &exit_code] { exit_code = report("put", run_put(*options)); });
}

}  // namespace sluice::cli

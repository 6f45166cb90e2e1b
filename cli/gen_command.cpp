// `sluice gen`: the seeds' order generator, writing into a table in atomic batches (or printing
// JSON lines).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <random>

#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "examples/order_loader.hpp"
#include "runtime/core/status.hpp"
#include "runtime/format/row_writer.hpp"

namespace sluice::cli {
namespace {

struct gen_options {
  store_location where;
  std::string table = "OrderSource";
  uint64_t rows = 0;
  double rate = 0;  // rows per wall-clock second; 0 = as fast as possible
  examples::order_options orders;
  size_t batch_rows = 4096;
  bool to_stdout = false;
  bool sync = false;
};

absl::Status print_orders(const gen_options& options) {
  auto schema = examples::order_source_schema();
  SLUICE_ASSIGN_OR_RETURN(auto generator, examples::order_generator::create(options.orders, schema));
  auto shared = std::make_shared<const table_schema>(schema);
  std::ios::sync_with_stdio(false);
  format::row_writer writer(std::cout, format::output_format::jsonl, format::column_names(schema));
  examples::pacing pace(options.rate, options.batch_rows);
  auto start = std::chrono::steady_clock::now();
  row_batch batch(shared);
  std::vector<value> row(schema.column_count());
  for (uint64_t first = 0; first < options.rows; first += pace.batch_rows()) {
    pace.wait_for(start, first);
    batch.clear();
    generator.fill(batch, first, std::min<uint64_t>(pace.batch_rows(), options.rows - first));
    for (size_t r = 0; r < batch.size(); ++r) {
      for (size_t c = 0; c < row.size(); ++c) row[c] = batch.get(r, c);
      writer.write_row(row);
    }
    if (options.rate > 0) std::cout.flush();
  }
  std::cout.flush();
  return absl::OkStatus();
}

absl::Status write_orders(const gen_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto db, connect_store(options.where, /*read_only=*/false, options.sync));
  auto table = db->find_table(options.table);
  if (absl::IsNotFound(table.status()) && options.table == "OrderSource")
    return absl::NotFoundError(fmt::format(
        "{}; create it first: {}'CREATE TABLE OrderSource (UserId STRING, "
        "OrderId STRING, price DOUBLE, timestamp BIGINT, PRIMARY KEY (UserId, OrderId))'",
        std::string(table.status().message()),
        options.where.address.empty() ? fmt::format("sluice sql --data {} -e ", options.where.data)
                                      : ""));
  SLUICE_RETURN_IF_ERROR(table.status());
  SLUICE_ASSIGN_OR_RETURN(auto generator,
                          examples::order_generator::create(options.orders, **table));
  progress meter("gen");
  SLUICE_ASSIGN_OR_RETURN(
      uint64_t written,
      examples::load_orders(*db, *table, generator,
                            {options.rows, options.rate, options.batch_rows},
                            [&](uint64_t rows) { meter.update(rows); }));
  meter.finish();
  std::cout << fmt::format("wrote {} orders to {} in {:.2f} s ({:.0f} rows/s), seed {}\n",
                           written, (*table)->name(), meter.seconds(),
                           written / std::max(meter.seconds(), 1e-9), options.orders.seed);
  return absl::OkStatus();
}

}  // namespace

void add_gen_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<gen_options>();
  auto* command = app.add_subcommand(
      "gen",
      "Generate orders as in the seeds: UserId like user_000123, a unique OrderId, a price in "
      "[10, 1000) with cents, an event timestamp in ms advancing E orders per event-time second "
      "with up to D ms of disorder. The orders depend only on the options: the same seed gives "
      "the same orders. Written into TABLE in atomic batches, or printed as JSON lines.\n"
      "Example: sluice gen --rows 1000000 --seed 7\n"
      "         sluice gen --rows 100000 --rate 2000 --start-ms $(date +%s%3N)");
  add_store_options(*command, options->where);
  command->add_option("--table", options->table, "table to write into")->capture_default_str();
  command->add_option("--rows", options->rows, "number of orders")->required();
  command->add_option("--rate", options->rate, "rows per wall-clock second (default: unpaced)")
      ->check(CLI::PositiveNumber);
  command->add_option("--users", options->orders.users, "number of distinct users")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auto* seed = command->add_option("--seed", options->orders.seed,
                                   "random seed (default: from the clock, printed at the end)");
  command->add_option("--start-ms", options->orders.start_ms,
                      "event time of the first order, ms since the Unix epoch")
      ->capture_default_str();
  command->add_option("--events-per-second", options->orders.events_per_second,
                      "orders per event-time second (default: --rate if given, else 1000)")
      ->check(CLI::PositiveNumber);
  command->add_option("--disorder-ms", options->orders.disorder_ms,
                      "each order's event time is up to this much earlier than its place")
      ->capture_default_str();
  command->add_option("--batch-rows", options->batch_rows, "rows per atomic write")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  command->add_flag("--stdout", options->to_stdout, "print JSON lines instead of writing");
  command->add_flag("--sync", options->sync, "flush every batch to disk (survives power loss)")
      ->excludes("--store");
  auto* events = command->get_option("--events-per-second");
  command->callback([options, &exit_code, seed, events] {
    if (seed->count() == 0)
      options->orders.seed = std::random_device{}() % 1000000;
    if (events->count() == 0 && options->rate > 0)
      options->orders.events_per_second = std::max<uint64_t>(1, static_cast<uint64_t>(options->rate));
    exit_code = report("gen", options->to_stdout ? print_orders(*options) : write_orders(*options));
  });
}

}  // namespace sluice::cli

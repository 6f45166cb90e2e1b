// `sluice bench store`: how fast the store takes generated orders (durable ingest) and gives
// them back through the tunnel (channel reads), in a fresh store of its own. Prints a table.
#include <fmt/format.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/command.hpp"
#include "examples/order_loader.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"

namespace sluice::cli {
namespace {

struct bench_options {
  std::string dir = "build/bench-store";
  uint64_t rows = 5'000'000;
  uint32_t channels = 8;
  size_t batch_rows = 4096;
  size_t read_records = 10000;
  bool sync = false;
};

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

// Reads every channel in [first, last) from offset 0 to its end in reads of `max` records and
// sums the prices of the after-images, so that every record is decoded. Returns the records read.
absl::StatusOr<uint64_t> read_channels(const store::store& db, const table_schema& table,
                                       uint32_t first, uint32_t last, size_t max, double& sum) {
  SLUICE_ASSIGN_OR_RETURN(auto ends, db.end_offsets(table));
  uint64_t records = 0;
  for (uint32_t c = first; c < last; ++c) {
    for (uint64_t offset = 0; offset < ends[c];) {
      SLUICE_ASSIGN_OR_RETURN(auto batch, db.read_channel(table, c, offset, max));
      batch.for_each([&](uint64_t, wire::ChangeRecord::Reader record) {
        cell_cursor cells(store::image_bytes(record.getAfter()));
        cell_view cell;
        for (int column = 0; column <= 2 && cells.next(cell); ++column)
          if (column == 2) sum += cell.double_value;
      });
      offset = batch.end_offset();
      records += batch.size();
    }
  }
  return records;
}

absl::Status run_bench(const bench_options& options) {
  std::filesystem::remove_all(options.dir);
  SLUICE_ASSIGN_OR_RETURN(auto db, open_store(options.dir, /*read_only=*/false, options.sync));
  auto orders = examples::order_source_schema();
  std::vector<store::catalog_op> create = {store::create_table_op{
      "OrderSource", orders.columns(), {"UserId", "OrderId"}, options.channels}};
  SLUICE_RETURN_IF_ERROR(db->apply_catalog(create).status());
  SLUICE_ASSIGN_OR_RETURN(auto table, db->find_table("OrderSource"));
  examples::order_options generated;
  generated.users = 100000;
  SLUICE_ASSIGN_OR_RETURN(auto generator, examples::order_generator::create(generated, *table));

  std::cerr << fmt::format("bench: ingesting {} orders into {} channels in {}\n", options.rows,
                           options.channels, options.dir);
  auto start = clock::now();
  SLUICE_ASSIGN_OR_RETURN(uint64_t written,
                          examples::load_orders(*db, table, generator,
                                                {options.rows, 0, options.batch_rows},
                                                [](uint64_t) {}));
  double ingest_seconds = seconds_since(start);

  double sum = 0;
  start = clock::now();
  SLUICE_ASSIGN_OR_RETURN(uint64_t read_one,
                          read_channels(*db, *table, 0, options.channels, options.read_records, sum));
  double read_one_seconds = seconds_since(start);

  // Two readers, each with half of the channels, as two source actors on two cores would.
  double sums[2] = {0, 0};
  absl::StatusOr<uint64_t> halves[2] = {uint64_t{0}, uint64_t{0}};
  start = clock::now();
  {
    uint32_t mid = options.channels / 2;
    std::thread second([&] {
      halves[1] = read_channels(*db, *table, mid, options.channels, options.read_records, sums[1]);
    });
    halves[0] = read_channels(*db, *table, 0, mid, options.read_records, sums[0]);
    second.join();
  }
  double read_two_seconds = seconds_since(start);
  SLUICE_RETURN_IF_ERROR(halves[0].status());
  SLUICE_RETURN_IF_ERROR(halves[1].status());
  if (read_one != written || *halves[0] + *halves[1] != written)
    return absl::InternalError(fmt::format("wrote {} records but read {} and {}", written,
                                           read_one, *halves[0] + *halves[1]));

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  uint64_t disk = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(options.dir))
    if (entry.is_regular_file()) disk += entry.file_size();

  fmt::print("{:<44} {:>14} {:>10}\n", "measure", "rows/s", "seconds");
  fmt::print("{:<44} {:>14.0f} {:>10.2f}\n",
             fmt::format("durable ingest ({} rows, batches of {}{})", written,
                         options.batch_rows, options.sync ? ", fsync" : ""),
             written / ingest_seconds, ingest_seconds);
  fmt::print("{:<44} {:>14.0f} {:>10.2f}\n",
             fmt::format("channel reads, 1 thread ({} per read)", options.read_records),
             read_one / read_one_seconds, read_one_seconds);
  fmt::print("{:<44} {:>14.0f} {:>10.2f}\n", "channel reads, 2 threads",
             written / read_two_seconds, read_two_seconds);
  fmt::print("peak memory {:.0f} MiB, data on disk {:.0f} MiB, price sum {:.2f}\n",
             usage.ru_maxrss / 1024.0, disk / 1048576.0, sum);
  return absl::OkStatus();
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<bench_options>();
  auto* bench = app.add_subcommand("bench", "Benchmarks (they make stores of their own)");
  bench->require_subcommand(1);
  auto* command = bench->add_subcommand(
      "store",
      "Durable ingest of generated orders into a fresh table, then reading every channel back "
      "(decoding every record), with one and with two threads. Prints a table.");
  command->add_option("--dir", options->dir, "scratch data directory (emptied first)")
      ->capture_default_str();
  command->add_option("--rows", options->rows, "orders to ingest")->capture_default_str();
  command->add_option("--channels", options->channels, "channels of the table")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  command->add_option("--batch-rows", options->batch_rows, "rows per atomic write")
      ->capture_default_str();
  command->add_option("--read-records", options->read_records,
                      "records per channel read (maxoffsetsperchannel)")
      ->capture_default_str();
  command->add_flag("--sync", options->sync, "fsync every batch");
  command->callback([options, &exit_code] { exit_code = report("bench", run_bench(*options)); });
}

}  // namespace sluice::cli

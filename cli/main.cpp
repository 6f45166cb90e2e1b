// The `sluice` command line: one binary, one subcommand per task.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include "cli/command.hpp"

int main(int argc, char** argv) {
  // Batches of change records and partials are buffers of a few hundred KiB, made and freed
  // thousands of times a second. glibc serves blocks that large with mmap by default, and every
  // one then costs page faults on first touch and a munmap on free (a tenth of a worker's time
  // in a cluster, by perf). Kept on the heap, their pages are reused.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app(
      "Sluice turns the change stream of a table into continuously updated aggregates.\n"
      "Data lives in a store directory (--data, default ./sluice-data), opened by one process or\n"
      "served to many by `sluice store` (--store HOST:PORT).",
      "sluice");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  int exit_code = 0;
  sluice::cli::add_sql_command(app, exit_code);
  sluice::cli::add_put_command(app, exit_code);
  sluice::cli::add_scan_command(app, exit_code);
  sluice::cli::add_tunnel_command(app, exit_code);
  sluice::cli::add_gen_command(app, exit_code);
  sluice::cli::add_run_command(app, exit_code);
  sluice::cli::add_store_command(app, exit_code);
  sluice::cli::add_coordinator_command(app, exit_code);
  sluice::cli::add_worker_command(app, exit_code);
  sluice::cli::add_jobs_command(app, exit_code);
  sluice::cli::add_bench_command(app, exit_code);
  sluice::cli::add_chaos_command(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}

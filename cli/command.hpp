// What every `sluice` subcommand shares: the --data option, opening the store, and reporting
// errors (on stderr, as "sluice COMMAND: message", with a non-zero exit code).
#pragma once

#include <CLI/CLI.hpp>
#include <absl/status/status.h>

#include <memory>
#include <string>

#include "runtime/store/store.hpp"

namespace sluice::cli {

inline constexpr const char* default_data_dir = "./sluice-data";

// Adds `--data DIR` to `command`, bound to `dir`.
void add_data_option(CLI::App& command, std::string& dir);

// Prints `status` for `command` on stderr and returns the exit code for it (0 when OK).
int report(std::string_view command, const absl::Status& status);

absl::StatusOr<std::unique_ptr<store::store>> open_store(const std::string& dir, bool read_only,
                                                         bool sync = false);

// Each adds its subcommand to `app`; when it runs, its exit code goes to `exit_code`.
void add_sql_command(CLI::App& app, int& exit_code);
void add_put_command(CLI::App& app, int& exit_code);
void add_scan_command(CLI::App& app, int& exit_code);
void add_tunnel_command(CLI::App& app, int& exit_code);
void add_gen_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_coordinator_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code);
void add_jobs_command(CLI::App& app, int& exit_code);

}  // namespace sluice::cli

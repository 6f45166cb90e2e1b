// What every `sluice` subcommand shares: the --data and --store options, opening the store, and
// reporting errors (on stderr, as "sluice COMMAND: message", with a non-zero exit code).
#pragma once

#include <CLI/CLI.hpp>
#include <absl/status/status.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <memory>
#include <string>
#include <vector>

#include "remote/configure.hpp"
#include "runtime/store/store.hpp"

namespace sluice::cli {

inline constexpr const char* default_data_dir = "./sluice-data";
inline constexpr const char* default_store_address = "127.0.0.1:7400";

// Adds `--data DIR` to `command`, bound to `dir`.
void add_data_option(CLI::App& command, std::string& dir);

// A script of statements, given inline (-e 'SQL') or as FILE.sql files, run one after another.
struct script_input {
  std::string statements;
  std::vector<std::string> files;
  CLI::Option* inline_option = nullptr;
  CLI::Option* file_option = nullptr;
};
// Adds `-e,--execute SQL` and the positional FILE.sql ... (one or the other) to `command`.
void add_script_options(CLI::App& command, script_input& input);
// A script's text, and how errors name its source ("-e" or the file's path).
struct script_text {
  std::string text;
  std::string source;
};
// The scripts in the order given. InvalidArgument when none was given, NotFound when a file
// cannot be read.
absl::StatusOr<std::vector<script_text>> read_scripts(const script_input& input);

// Prints `status` for `command` on stderr and returns the exit code for it (0 when OK).
int report(std::string_view command, const absl::Status& status);

absl::StatusOr<std::unique_ptr<store::store>> open_store(const std::string& dir, bool read_only,
                                                         bool sync = false);

// Adds `--secret-file F`, the cluster's key (remote/secret.hpp), to `command`, bound to `path`.
void add_secret_option(CLI::App& command, std::string& path);
// The key in the file at `path` (remote::read_secret_file); empty when `path` is.
absl::StatusOr<std::string> read_secret(const std::string& path);

// The files a process of a cluster proves itself with: `--secret-file`, and for TLS
// `--tls-cert`, `--tls-key` and `--tls-ca` (remote/tls.hpp).
struct credential_files {
  std::string secret_file;
  remote::tls_files tls;
};

// Adds the four options of credential_files to `command`.
void add_credential_options(CLI::App& command, credential_files& files);
// The key and the TLS files, checked (remote::check_tls_files).
absl::StatusOr<remote::credentials> read_credentials(const credential_files& files);

// Where a command finds its store: a data directory opened in this process (the default), or
// `sluice store` at HOST:PORT, reached with the credentials in `credentials`.
struct store_location {
  std::string data;
  std::string address;  // empty: use `data`
  credential_files credentials;
};

// Adds `--data DIR`, `--store HOST:PORT` (mutually exclusive) and the credential options to
// `command`.
void add_store_options(CLI::App& command, store_location& where);

// A store open here, or a client of `sluice store` with the actor system it runs on.
struct store_connection {
  std::unique_ptr<caf::actor_system_config> config;  // a remote store's only
  std::unique_ptr<caf::actor_system> system;         // a remote store's only
  std::unique_ptr<store::api> db;                    // destroyed first

  store::api* operator->() const { return db.get(); }
  store::api& operator*() const { return *db; }
};

// Opens the directory (read_only and sync as in store::options) or connects to the store at
// the address, waiting up to 10 s for it to answer.
absl::StatusOr<store_connection> connect_store(const store_location& where, bool read_only,
                                               bool sync = false);

// Each adds its subcommand to `app`; when it runs, its exit code goes to `exit_code`.
void add_sql_command(CLI::App& app, int& exit_code);
void add_put_command(CLI::App& app, int& exit_code);
void add_scan_command(CLI::App& app, int& exit_code);
void add_tunnel_command(CLI::App& app, int& exit_code);
void add_gen_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_chaos_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_store_command(CLI::App& app, int& exit_code);
void add_coordinator_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code);
void add_jobs_command(CLI::App& app, int& exit_code);

}  // namespace sluice::cli

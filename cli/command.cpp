#include "cli/command.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "runtime/core/status.hpp"
#include "remote/configure.hpp"
#include "remote/secret.hpp"
#include "remote/store_client.hpp"

namespace sluice::cli {

void add_data_option(CLI::App& command, std::string& dir) {
  dir = default_data_dir;
  command.add_option("--data", dir, "data directory of the store")
      ->capture_default_str()
      ->type_name("DIR");
}

void add_script_options(CLI::App& command, script_input& input) {
  input.inline_option =
      command.add_option("-e,--execute", input.statements, "statements, separated by ';'")
          ->type_name("SQL");
  input.file_option =
      command.add_option("file", input.files, "files of statements, run in the order given")
          ->type_name("FILE.sql");
  input.inline_option->excludes(input.file_option);
  input.file_option->excludes(input.inline_option);
}

absl::StatusOr<std::vector<script_text>> read_scripts(const script_input& input) {
  if (input.file_option->count() == 0) {
    if (input.inline_option->count() == 0)
      return absl::InvalidArgumentError("give statements with -e 'SQL' or a FILE.sql (see --help)");
    return std::vector<script_text>{{input.statements, "-e"}};
  }
  std::vector<script_text> scripts;
  for (const auto& file : input.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::NotFoundError(fmt::format("cannot read {}", file));
    std::ostringstream text;
    text << in.rdbuf();
    scripts.push_back({text.str(), file});
  }
  return scripts;
}

int report(std::string_view command, const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << fmt::format("sluice {}: {}\n", command, std::string(status.message()));
  return 1;
}

absl::StatusOr<std::unique_ptr<store::store>> open_store(const std::string& dir, bool read_only,
                                                         bool sync) {
  store::options options{dir, sync, read_only};
  auto opened = store::store::open(options);
  // A read-only open can race with the writer switching log files or compacting table files away;
  // another try sees the new ones.
  for (int attempt = 0; read_only && attempt < 10 && absl::IsUnavailable(opened.status()); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    opened = store::store::open(options);
  }
  return opened;
}

void add_store_options(CLI::App& command, store_location& where) {
  add_data_option(command, where.data);
  auto* store = command.add_option(
      "--store", where.address,
      fmt::format("the store served by `sluice store` at HOST:PORT (its default: {}), instead "
                  "of --data",
                  default_store_address));
  store->type_name("HOST:PORT")->excludes(command.get_option("--data"));
  add_credential_options(command, where.credentials);
}

void add_secret_option(CLI::App& command, std::string& path) {
  command
      .add_option("--secret-file", path,
                  fmt::format("the cluster's key: a file readable by its owner only, the same for "
                              "every process of the cluster (make one with `{}`); needed to "
                              "listen beyond loopback",
                              remote::how_to_make_secret))
      ->type_name("FILE");
}

absl::StatusOr<std::string> read_secret(const std::string& path) {
  if (path.empty()) return std::string();
  return remote::read_secret_file(path);
}

void add_credential_options(CLI::App& command, credential_files& files) {
  add_secret_option(command, files.secret_file);
  command
      .add_option("--tls-cert", files.tls.certificate,
                  "TLS between the cluster's processes: this process's certificate (PEM), "
                  "signed by --tls-ca; give --tls-key and --tls-ca with it")
      ->type_name("FILE");
  command
      .add_option("--tls-key", files.tls.key,
                  "the private key of --tls-cert (PEM, readable by its owner only)")
      ->type_name("FILE");
  command
      .add_option("--tls-ca", files.tls.authority,
                  "the certificate (PEM) of the authority that signed every process's "
                  "certificate: peers showing another are refused")
      ->type_name("FILE");
}

absl::StatusOr<remote::credentials> read_credentials(const credential_files& files) {
  SLUICE_ASSIGN_OR_RETURN(auto secret, read_secret(files.secret_file));
  SLUICE_RETURN_IF_ERROR(remote::check_tls_files(files.tls));
  return remote::credentials{std::move(secret), files.tls};
}

absl::StatusOr<store_connection> connect_store(const store_location& where, bool read_only,
                                               bool sync) {
  store_connection connection;
  if (where.address.empty()) {
    SLUICE_ASSIGN_OR_RETURN(connection.db, open_store(where.data, read_only, sync));
    return connection;
  }
  SLUICE_ASSIGN_OR_RETURN(auto at, remote::parse_address(where.address));
  SLUICE_ASSIGN_OR_RETURN(auto credentials, read_credentials(where.credentials));
  connection.config = std::make_unique<caf::actor_system_config>();
  remote::configure(*connection.config, credentials);
  connection.system = std::make_unique<caf::actor_system>(*connection.config);
  SLUICE_ASSIGN_OR_RETURN(connection.db, remote::store_client::connect(*connection.system, at,
                                                                       std::chrono::seconds(10)));
  return connection;
}

}  // namespace sluice::cli

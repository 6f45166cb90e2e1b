// A throwaway MariaDB server (Debian's mariadb-server) for the CDC tests: a data directory in a
// temporary directory, a loopback port, a row-based binlog, stopped when the object goes.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/free_port.hpp"
#include "tests/support/run.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::testing {

class mariadb_server {
 public:
  static constexpr const char* server_binary = "/usr/sbin/mariadbd";
  static constexpr const char* client_binary = "/usr/bin/mariadb";
  static constexpr const char* install_binary = "/usr/bin/mariadb-install-db";

  // Whether this machine has MariaDB's server and client (scripts/setup installs them).
  static bool installed() {
    return std::filesystem::exists(server_binary) && std::filesystem::exists(client_binary) &&
           std::filesystem::exists(install_binary);
  }

  // Each server has a temporary directory of its own: one starting in a shared /tmp removes the
  // temporary tables another's mariadb-install-db is using ("Unknown table
  // 'mysql.tmp_user_sys'", with two CDC tests at once).
  mariadb_server() : port_(free_port()) {
    std::filesystem::create_directories(tmp_dir());
    auto installed = run({install_binary, "--no-defaults", "--datadir=" + data_dir().string(),
                          "--user=root", "--auth-root-authentication-method=normal",
                          "--skip-test-db", "--tmpdir=" + tmp_dir().string()},
                         {}, std::chrono::seconds(120));
    REQUIRE_MESSAGE(installed.exit_code == 0, "mariadb-install-db: " << installed.err);
    start();
  }
  ~mariadb_server() { stop(); }
  mariadb_server(const mariadb_server&) = delete;
  mariadb_server& operator=(const mariadb_server&) = delete;

  uint16_t port() const { return port_; }

  // Starts the server and waits until it answers.
  void start() {
    process_ = std::make_unique<background_process>(std::vector<std::string>{
        server_binary, "--no-defaults", "--datadir=" + data_dir().string(),
        "--socket=" + (dir_.path / "socket").string(), "--port=" + std::to_string(port_),
        "--bind-address=127.0.0.1", "--user=root", "--log-bin=" + (data_dir() / "binlog").string(),
        "--binlog-format=ROW", "--server-id=1", "--skip-name-resolve",
        "--tmpdir=" + tmp_dir().string(), "--pid-file=" + (dir_.path / "pid").string()});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (sql_result("SELECT 1").exit_code != 0) {
      REQUIRE_MESSAGE(process_->running(), "mariadbd ended: " << process_->stop().err);
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "mariadbd did not answer");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  // Shuts the server down cleanly (as an operator's restart does).
  void stop() {
    if (process_) process_->terminate(std::chrono::seconds(30));
    process_.reset();
  }

  run_result sql_result(const std::string& statements) const {
    return run({client_binary, "--no-defaults", "-h127.0.0.1", "-P" + std::to_string(port_),
                "-uroot", "--batch", "--skip-column-names", "-e", statements},
               {}, std::chrono::seconds(60));
  }
  // Runs statements as root; their output (tab-separated rows), which must succeed.
  std::string sql(const std::string& statements) const {
    auto result = sql_result(statements);
    REQUIRE_MESSAGE(result.exit_code == 0, "mariadb: " << result.err);
    return result.out;
  }

 private:
  std::filesystem::path data_dir() const { return dir_.path / "data"; }
  std::filesystem::path tmp_dir() const { return dir_.path / "tmp"; }

  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<background_process> process_;
};

}  // namespace sluice::testing

// A throwaway PostgreSQL server (Debian's postgresql) for the sink tests: a cluster in a
// temporary directory, a loopback port, trust authentication for user postgres, stopped when the
// object goes. PostgreSQL refuses to run as root, so as root its programs run as user postgres.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/free_port.hpp"
#include "tests/support/run.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::testing {

class postgres_server {
 public:
  // The newest PostgreSQL's programs on this machine; empty when there is none.
  static std::filesystem::path bin_dir() {
    std::vector<std::filesystem::path> found;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ignored))
      if (std::filesystem::exists(entry.path() / "bin" / "initdb")) found.push_back(entry.path() / "bin");
    std::sort(found.begin(), found.end());
    return found.empty() ? std::filesystem::path() : found.back();
  }
  static bool installed() { return !bin_dir().empty(); }

  postgres_server() : port_(free_port()) {
    REQUIRE_MESSAGE(installed(), "PostgreSQL is not installed (scripts/setup installs it)");
    if (geteuid() == 0) {
      const passwd* owner = getpwnam("postgres");
      REQUIRE_MESSAGE(owner, "PostgreSQL's user postgres does not exist");
      REQUIRE(chown(dir_.path.c_str(), owner->pw_uid, owner->pw_gid) == 0);
    }
    auto made = as_owner({(bin_dir() / "initdb").string(), "-D", data_dir().string(), "-A",
                          "trust", "-U", "postgres", "--no-sync"});
    REQUIRE_MESSAGE(made.exit_code == 0, "initdb: " << made.err << made.out);
    start();
  }
  ~postgres_server() { stop(); }
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", port_); }

  void start() {
    auto started = as_owner(
        {(bin_dir() / "pg_ctl").string(), "-D", data_dir().string(), "-w", "-t", "60", "-l",
         (dir_.path / "log").string(), "-o",
         fmt::format("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", port_,
                     dir_.path.string()),
         "start"});
    REQUIRE_MESSAGE(started.exit_code == 0,
                    "pg_ctl start: " << started.err << detail::read_whole_file(dir_.path / "log"));
    running_ = true;
  }
  // A fast shutdown, as an operator's restart does.
  void stop() {
    if (!running_) return;
    as_owner({(bin_dir() / "pg_ctl").string(), "-D", data_dir().string(), "-m", "fast", "-w",
              "stop"});
    running_ = false;
  }

  run_result sql_result(const std::string& statements) const {
    return run({(bin_dir() / "psql").string(), "-h", "127.0.0.1", "-p", std::to_string(port_),
                "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t",
                "-c", statements},
               {}, std::chrono::seconds(60));
  }
  // Runs statements; their output (tab-separated rows), which must succeed.
  std::string sql(const std::string& statements) const {
    auto result = sql_result(statements);
    REQUIRE_MESSAGE(result.exit_code == 0, "psql: " << result.err);
    return result.out;
  }

 private:
  std::filesystem::path data_dir() const { return dir_.path / "data"; }
  run_result as_owner(std::vector<std::string> argv) const {
    if (geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    return run(argv, {}, std::chrono::seconds(90));
  }

  temp_dir dir_;
  uint16_t port_;
  bool running_ = false;
};

}  // namespace sluice::testing

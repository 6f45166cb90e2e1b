// A fresh data directory per test and the `sluice` subcommands the end-to-end tests run
// against it, each a real process bounded in time.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/orders.hpp"
#include "tests/support/run.hpp"
#include "tests/support/sluice_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::testing {

// Every process of these tests ends within this, or the test fails (and it is killed).
constexpr std::chrono::seconds process_timeout{120};

// --- the processes

// A fresh data directory and the `sluice` subcommands that tests run against it.
struct job_fixture {
  temp_dir dir;
  std::string data = (dir.path / "data").string();

  // `sluice COMMAND --data DIR ARGS...`, bounded by process_timeout.
  run_result sluice(const std::string& command, const std::vector<std::string>& args = {},
                    std::string_view input = {}) const {
    return run_sluice(data, command, args, input, process_timeout);
  }

  static run_result ok(run_result result, std::string_view what) {
    REQUIRE_MESSAGE(!result.timed_out, what << " timed out; stderr: " << result.err);
    REQUIRE_MESSAGE(result.exit_code == 0, what << ": exit code " << result.exit_code
                                                << "; stderr: " << result.err);
    return result;
  }

  void sql(const std::string& statements) const { ok(sluice("sql", {"-e", statements}), "sql"); }

  // OrderSource (8 channels) and the seeds' sinks, from examples/sql/orders_schema.sql.
  void create_order_tables() const {
    ok(sluice("sql", {(examples_sql() / "orders_schema.sql").string()}), "sql orders_schema.sql");
  }

  // Only OrderSource (8 channels), for tests that make their own sinks.
  void create_order_source() const {
    sql("CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT, "
        "PRIMARY KEY (UserId, OrderId)) WITH (channels = 8)");
  }

  // `sluice gen ARGS` into OrderSource, and the same orders as `gen --stdout` prints them.
  void gen(const std::vector<std::string>& args) const { ok(sluice("gen", args), "gen"); }
  std::vector<order> generated(std::vector<std::string> args) const {
    args.push_back("--stdout");
    return orders_of(ok(sluice("gen", args), "gen --stdout").out);
  }

  void put(const std::string& table, const std::string& jsonl) const {
    ok(sluice("put", {table, "--format", "jsonl"}, jsonl), "put");
  }

  // A script file in the test's directory.
  std::filesystem::path script(const std::string& name, const std::string& text) const {
    auto path = dir.path / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // `sluice run --until-drained SCRIPT`, which must succeed.
  run_result run(const std::filesystem::path& script) const {
    return ok(sluice("run", {"--until-drained", script.string()}), "run " + script.string());
  }

  std::vector<json> scan_jsonl(const std::string& table) const {
    return parse_jsonl(ok(sluice("scan", {table, "--format", "jsonl"}), "scan " + table).out);
  }
  std::vector<order> source_orders() const {
    return orders_of(ok(sluice("scan", {"OrderSource", "--format", "jsonl"}), "scan").out);
  }

  // Makes the store take the rows `gen` left in its write-ahead log into its tables, by opening
  // it for writing once with nothing to do. Otherwise the next `sluice run` spends its first
  // second or so (for 1.5M orders) replaying that log, and kills meant for the job would all
  // land in the store's recovery instead.
  void settle_store() const {
    ok(sluice("sql", {"-e",
                      "CREATE TABLE IF NOT EXISTS OrderSource (UserId STRING, OrderId STRING, "
                      "price DOUBLE, timestamp BIGINT, PRIMARY KEY (UserId, OrderId))"}),
       "sql (settle the store)");
  }

  // The lag of OrderSource's default tunnel: change records past its committed offsets.
  uint64_t tunnel_lag() const {
    static const std::regex line(R"(tunnel default \(\w+\), .*, lag (\d+))");
    auto report = ok(sluice("tunnel", {"OrderSource"}), "tunnel").out;
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(report, m, line), "no default tunnel in: " << report);
    return std::stoull(m[1]);
  }
};

}  // namespace sluice::testing

// A cluster as users run one, for the tests that start it: a `sluice store`, a `sluice
// coordinator` and `sluice worker`s as processes, each on a host (this one, or a network
// namespace), killed when the test ends.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/certificates.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/run.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::testing {

// Every command of these tests ends within this, or the test fails (and it is killed).
constexpr std::chrono::seconds command_timeout{120};

inline run_result ok(run_result result, std::string_view what) {
  REQUIRE_MESSAGE(!result.timed_out, what << " timed out; stderr: " << result.err);
  REQUIRE_MESSAGE(result.exit_code == 0,
                  what << ": exit code " << result.exit_code << "; stderr: " << result.err);
  return result;
}

// A key file as `sluice ... --secret-file` wants one: readable by its owner only.
inline void write_secret_file(const std::string& path, const std::string& key) {
  std::ofstream(path) << key << "\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
}

// Where each role runs: a command prefix (empty on this host, `ip netns exec NS` in a
// namespace) and the address it listens on.
struct host {
  std::vector<std::string> prefix;
  std::string address = "127.0.0.1";
};

// The processes of one cluster, each killed when the test ends.
struct cluster {
  temp_dir dir;
  std::string data = (dir.path / "data").string();
  host store_host, coordinator_host;
  std::vector<host> worker_hosts;  // worker i runs on worker_hosts[i % size]
  std::string store_address, coordinator_address;
  std::string secret_file;  // the cluster's key, given to every process; empty: none
  remote::tls_files tls;    // TLS files given to every process; empty: none
  std::unique_ptr<background_process> store, coordinator;
  std::vector<std::unique_ptr<background_process>> workers;

  explicit cluster(host store_on = {}, host coordinator_on = {},
                   std::vector<host> workers_on = {host{}}, bool fixed_ports = false)
      : store_host(std::move(store_on)),
        coordinator_host(std::move(coordinator_on)),
        worker_hosts(std::move(workers_on)) {
    store_address = fmt::format("{}:{}", store_host.address, fixed_ports ? 7400 : free_port());
    coordinator_address =
        fmt::format("{}:{}", coordinator_host.address, fixed_ports ? 7401 : free_port());
  }

  // Makes a key and gives it to every process started from now on.
  void use_secret() {
    secret_file = (dir.path / "sluice.key").string();
    write_secret_file(secret_file, "cluster-key-0123456789abcdef");
  }

  // Makes an authority and a certificate it signs, given to every process started from now on.
  void use_tls() {
    certificate_authority authority(dir.path, "cluster-ca");
    tls = authority.sign("sluice-node");
  }

  // `sluice ARGS` on `where`, with the key and TLS files if the cluster has them.
  std::vector<std::string> on(const host& where, std::vector<std::string> args) const {
    std::vector<std::string> argv = where.prefix;
    argv.push_back(SLUICE_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    if (!secret_file.empty()) argv.insert(argv.end(), {"--secret-file", secret_file});
    if (!tls.empty())
      argv.insert(argv.end(), {"--tls-cert", tls.certificate, "--tls-key", tls.key, "--tls-ca",
                               tls.authority});
    return argv;
  }

  // `sluice ARGS` on this host, which must succeed.
  run_result sluice(const std::vector<std::string>& args, std::string_view what) const {
    return ok(run(on(store_host, args), {}, command_timeout), what);
  }

  void start_store() {
    store = std::make_unique<background_process>(
        on(store_host, {"store", "--data", data, "--listen", store_address}));
  }
  void start_coordinator() {
    coordinator = std::make_unique<background_process>(
        on(coordinator_host,
           {"coordinator", "--store", store_address, "--listen", coordinator_address}));
  }
  void start_worker() {
    size_t i = workers.size();
    const host& where = worker_hosts[i % worker_hosts.size()];
    workers.push_back(std::make_unique<background_process>(
        on(where, {"worker", "--coordinator", coordinator_address, "--listen", where.address + ":0",
                   "--name", fmt::format("w{}", i + 1)})));
  }

  json jobs() const {
    return json::parse(
        sluice({"jobs", "--coordinator", coordinator_address, "--json"}, "jobs").out);
  }

  // Waits until the coordinator lists `n` workers.
  void wait_for_workers(size_t n) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t seen = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto listing = run(on(store_host, {"jobs", "--coordinator", coordinator_address, "--json"}),
                         {}, command_timeout);
      if (listing.exit_code == 0 && (seen = json::parse(listing.out)["workers"].size()) == n)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("the coordinator lists " << seen << " workers, not " << n << "; its stderr: "
                                  << (coordinator ? coordinator->stop().err : ""));
  }

  // Store, coordinator, `n` workers, the order tables and the seed's 10 s window job.
  void start(size_t n) {
    start_store();
    start_coordinator();
    for (size_t i = 0; i < n; ++i) start_worker();
    wait_for_workers(n);
    submit(read_file(examples_sql() / "orders_schema.sql"));
    submit(read_file(examples_sql() / "seed_10s_window.sql"));
  }

  void submit(const std::string& text) const {
    sluice({"sql", "--coordinator", coordinator_address, "-e", text}, "sql --coordinator");
  }

  // The job's last complete checkpoint, or nothing when the coordinator does not answer.
  std::optional<uint64_t> last_checkpoint(const std::string& job) const {
    auto listing = run(on(store_host, {"jobs", "--coordinator", coordinator_address, "--json"}), {},
                       std::chrono::seconds(15));
    if (listing.exit_code != 0) return std::nullopt;
    auto parsed = json::parse(listing.out);
    for (const auto& j : parsed["jobs"])
      if (j["name"] == job && j.contains("last_checkpoint") && j["state"] == "running")
        return j["last_checkpoint"].get<uint64_t>();
    return std::nullopt;
  }

  std::vector<json> scan(const std::string& table) const {
    return parse_jsonl(
        sluice({"scan", table, "--store", store_address, "--format", "jsonl"}, "scan " + table)
            .out);
  }

  // What a failing test shows: every process's standard error.
  std::string logs() {
    std::string out;
    if (store) out += "store: " + store->stop().err + "\n";
    if (coordinator) out += "coordinator: " + coordinator->stop().err + "\n";
    for (size_t i = 0; i < workers.size(); ++i)
      if (workers[i]) out += fmt::format("w{}: {}\n", i + 1, workers[i]->stop().err);
    return out;
  }
};

}  // namespace sluice::testing

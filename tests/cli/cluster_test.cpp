// A cluster as users run one: a `sluice store`, a `sluice coordinator` and three `sluice worker`
// processes on loopback, the seed's 10 s window job submitted with `sluice sql --coordinator`,
// and `sluice gen --store` writing orders while one fault happens: a worker killed, a worker
// added, a worker stopped for 5 s, the coordinator killed and started again, the store killed
// and started again. After each, `sluice jobs wait --caught-up`, then the sink must equal a
// recomputation from a scan of OrderSource (tests/support/orders.hpp), and no generated order
// may be missing. Each test prints how long the job took from the fault to its next complete
// checkpoint. One stops every role with SIGTERM, three times, and checks that each exits 0. The
// last test runs the cluster across three network namespaces.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "tests/support/cluster.hpp"

namespace sluice::cli {
namespace {

using namespace sluice::testing;
using clock = std::chrono::steady_clock;

constexpr uint64_t orders_written = 160000;

// Once job1 has caught up, the sink must equal a recomputation from the source, which holds
// every order written.
void check_caught_up_and_exact(cluster& c) {
  auto waited = run(c.on(c.store_host, {"jobs", "--coordinator", c.coordinator_address,
                                               "wait", "job1", "--caught-up", "--timeout", "90"}),
                    {}, command_timeout);
  if (waited.exit_code != 0) {
    auto listing = run(c.on(c.store_host, {"jobs", "--coordinator", c.coordinator_address}),
                       {}, command_timeout);
    FAIL("jobs wait: " << waited.err << "\njobs: " << listing.out << listing.err << "\n"
                       << c.logs());
  }
  std::vector<order> source;
  for (const auto& row : c.scan("OrderSource")) source.push_back(order_of(row));
  CHECK(source.size() == orders_written);
  check_windows(c.scan("OrderStreamSink"), source, 10);
}

// Runs the seed job on `c` while `gen` writes orders at 40k/s, does `fault` after about 1.5 s,
// then (once the job has completed a checkpoint after the fault, or after 60 s) `after`,
// and checks the sink against the source once the job has caught up. Prints the time from the
// fault to the job's next complete checkpoint.
void check_fault(
    cluster& c, const std::string& what, const std::function<void()>& fault,
    const std::function<void()>& after = [] {}) {
  background_process gen(c.on(
      c.store_host,
      {"gen", "--store", c.store_address, "--rows", std::to_string(orders_written), "--rate",
       "40000", "--users", "5000", "--seed", "11", "--events-per-second", "4000"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto before = c.last_checkpoint("job1");
  if (!before) {
    auto listing = run(c.on(c.store_host, {"jobs", "--coordinator", c.coordinator_address}),
                       {}, command_timeout);
    FAIL("job1 is not running before the fault: " << listing.out << listing.err << "\n"
                                                  << c.logs());
  }
  auto fault_at = clock::now();
  fault();
  // Resumed: a checkpoint is complete that is newer than the one before the fault and than the
  // one the job was first seen running from after it (a restarted coordinator may resume from
  // a checkpoint its predecessor completed after `before` was read).
  std::optional<double> resumed_after;
  std::optional<uint64_t> resumed_from;
  while (clock::now() - fault_at < std::chrono::seconds(60)) {
    auto now = c.last_checkpoint("job1");
    if (now && !resumed_from) resumed_from = *now;
    if (now && *now > std::max(*before, *resumed_from)) {
      resumed_after = std::chrono::duration<double>(clock::now() - fault_at).count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK_MESSAGE(resumed_after.has_value(), "no checkpoint completed after " << what);
  if (resumed_after)
    MESSAGE(
        fmt::format("{}: next complete checkpoint {:.2f} s after the fault", what, *resumed_after));
  after();
  auto deadline = clock::now() + command_timeout;
  while (gen.running() && clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto generated = gen.stop();
  REQUIRE_MESSAGE(generated.exit_code == 0,
                  "gen: exit code " << generated.exit_code << "; stderr: " << generated.err << "\n"
                                    << c.logs());
  check_caught_up_and_exact(c);
}

TEST_CASE("cluster: a worker killed with SIGKILL leaves the sink exact") {
  cluster c;
  c.start(3);
  check_fault(c, "worker killed", [&] { c.workers[1]->stop(); });
  auto workers = c.jobs()["workers"];
  CHECK(workers.size() == 2);
}

TEST_CASE("cluster: with a key and TLS, a worker killed leaves the sink exact and one without the key is refused") {
  cluster c;
  c.use_secret();
  c.use_tls();
  c.start(2);
  auto anonymous = run({SLUICE_BINARY, "worker", "--coordinator", c.coordinator_address,
                        "--listen", "127.0.0.1:0"},
                       {}, std::chrono::seconds(30));
  CHECK(anonymous.exit_code != 0);
  CHECK_MESSAGE(anonymous.err.find("--secret-file") != std::string::npos, anonymous.err);
  check_fault(c, "worker killed, with a key and TLS", [&] { c.workers[1]->stop(); });
  CHECK(c.jobs()["workers"].size() == 1);
}

TEST_CASE("cluster: a worker added takes a share of the running job and the sink stays exact") {
  cluster c;
  c.start(3);
  check_fault(c, "worker added", [&] {
    c.start_worker();
    c.wait_for_workers(4);
  });
  auto job = c.jobs()["jobs"][0];
  CHECK(job["state"] == "running");
  CHECK(job["shares"].size() == 4);
  for (const auto& share : job["shares"]) CHECK(!share["channels"].empty());
}

TEST_CASE("cluster: a worker stopped for 5 s is fenced, comes back and the sink stays exact") {
  cluster c;
  c.start(3);
  auto stopped_at = clock::now();
  check_fault(
      c, "worker stopped (SIGSTOP)",
      [&] {
        stopped_at = clock::now();
        c.workers[2]->signal(SIGSTOP);
      },
      [&] {
        std::this_thread::sleep_until(stopped_at + std::chrono::seconds(5));
        c.workers[2]->signal(SIGCONT);
      });
  c.wait_for_workers(3);  // it registers again
}

TEST_CASE("cluster: the coordinator killed and started again resumes the job exactly") {
  cluster c;
  c.start(3);
  check_fault(c, "coordinator restarted", [&] {
    c.coordinator->stop();
    c.start_coordinator();
  });
}

TEST_CASE("cluster: the store killed and started again loses nothing") {
  cluster c;
  c.start(3);
  check_fault(c, "store restarted", [&] {
    c.store->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    c.start_store();
  });
}

TEST_CASE("cluster: queries and batch jobs run against the coordinator and the store") {
  cluster c;
  c.start(1);
  c.sluice({"gen", "--store", c.store_address, "--rows", "3000", "--users", "30", "--seed", "12"},
           "gen");
  auto generated = orders_of(c.sluice({"gen", "--store", c.store_address, "--rows", "3000",
                                       "--users", "30", "--seed", "12", "--stdout"},
                                      "gen --stdout")
                                 .out);
  auto counted = c.sluice({"sql", "--coordinator", c.coordinator_address, "--format", "csv", "-e",
                           "SELECT count(*) AS n FROM OrderSource"},
                          "sql --coordinator SELECT");
  CHECK(counted.out == "n\n3000\n");
  c.sluice({"sql", "--store", c.store_address, "-e",
            "INSERT INTO OrderBatchSink SELECT UserId, count(*), sum(price) FROM OrderSource "
            "GROUP BY UserId"},
           "sql --store INSERT");
  std::vector<json> expected;
  for (const auto& [user, t] : per_user(generated, [](const order&) { return true; }))
    expected.push_back({{"UserId", user}, {"count", t.count}, {"totalPrice", t.sum()}});
  check_rows(c.scan("OrderBatchSink"), expected, {"UserId"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
}

TEST_CASE("cluster: a join job stays exact through a killed worker and changes on both sides") {
  cluster c;
  c.start(2);
  c.submit("CREATE TABLE orders (order_id BIGINT, region STRING, customer_id BIGINT, PRIMARY KEY "
           "(order_id)) WITH (channels = 4); CREATE TABLE customers (customer_id BIGINT, name "
           "STRING, PRIMARY KEY (customer_id)) WITH (channels = 2); CREATE TABLE dwd (order_id "
           "BIGINT, region STRING, name STRING, PRIMARY KEY (order_id))");
  std::map<int64_t, std::string> names;
  std::map<int64_t, std::pair<std::string, int64_t>> orders;
  auto put = [&](const std::string& table, const std::string& lines) {
    auto done = run(c.on(c.store_host, {"put", table, "--store", c.store_address}), lines,
                    command_timeout);
    REQUIRE_MESSAGE(done.exit_code == 0, done.err);
  };
  auto write = [&](int round) {
    std::string customer_lines, order_lines;
    for (int64_t k = 0; k < 500; ++k) {
      if (round > 0 && k % 7 == round) {
        names.erase(k);
        customer_lines += json{{"_op", "delete"}, {"customer_id", k}}.dump() + "\n";
        continue;
      }
      names[k] = fmt::format("c{}-{}", k, round);
      customer_lines += json{{"customer_id", k}, {"name", names[k]}}.dump() + "\n";
    }
    for (int64_t id = round * 10000; id < round * 10000 + 20000; ++id) {
      orders[id] = {fmt::format("r{}", id % 5), (id * 7 + round) % 520};
      order_lines += json{{"order_id", id}, {"region", orders[id].first},
                          {"customer_id", orders[id].second}}.dump() + "\n";
    }
    put("customers", customer_lines);
    put("orders", order_lines);
  };
  write(0);
  c.submit("CREATE SCAN os ON orders USING STREAM; CREATE SCAN cs ON customers USING STREAM; "
           "CREATE STREAM joined OPTIONS(checkpointLocation = 'joined', checkpoint.interval = 200) "
           "INSERT INTO dwd SELECT o.order_id, o.region, c.name FROM os o JOIN cs c ON "
           "o.customer_id = c.customer_id");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  c.workers[1]->signal(SIGKILL);
  write(1);
  write(2);
  auto waited = run(c.on(c.store_host, {"jobs", "--coordinator", c.coordinator_address,
                                               "wait", "joined", "--caught-up", "--timeout", "90"}),
                    {}, command_timeout);
  REQUIRE_MESSAGE(waited.exit_code == 0, waited.err << c.logs());
  std::vector<json> expected;
  for (const auto& [id, o] : orders)
    if (auto n = names.find(o.second); n != names.end())
      expected.push_back({{"order_id", id}, {"region", o.first}, {"name", n->second}});
  check_rows(c.scan("dwd"), expected, {"order_id"}, {{"region", match::exact}, {"name", match::exact}});
  auto listing = c.sluice({"jobs", "--coordinator", c.coordinator_address}, "jobs");
  CHECK_MESSAGE(contains(listing.out, "reads orders and customers, writes dwd"), listing.out);
}

TEST_CASE(
    "cluster: a running job's name is refused, and a stopped job stays stopped across a "
    "coordinator restart") {
  cluster c;
  c.start(1);
  auto again = run(c.on(c.store_host, {"sql", "--coordinator", c.coordinator_address,
                                              (examples_sql() / "seed_10s_window.sql").string()}),
                   {}, command_timeout);
  CHECK(again.exit_code != 0);
  CHECK_MESSAGE(contains(again.err, "job job1 is already running"), again.err);
  c.sluice({"jobs", "--coordinator", c.coordinator_address, "stop", "job1"}, "jobs stop");
  // (Not called inside a CHECK: doctest cannot nest assertions.)
  auto state_of_job1 = [&] {
    auto listing = c.jobs();
    REQUIRE(listing["jobs"].size() == 1);
    return listing["jobs"][0]["state"].get<std::string>();
  };
  auto state = state_of_job1();
  CHECK(state == "stopped");
  c.coordinator->stop();
  c.start_coordinator();
  c.wait_for_workers(1);
  state = state_of_job1();
  CHECK(state == "stopped");
  // Submitted again, it resumes from its checkpoints.
  c.submit(read_file(examples_sql() / "seed_10s_window.sql"));
  state = state_of_job1();
  CHECK(state != "stopped");
}

TEST_CASE(
    "cluster: SIGTERM to the coordinator, each worker and the store of a loaded cluster, three "
    "times: each exits 0 and the job resumes exactly") {
  cluster c;
  c.start(2);
  background_process gen(c.on(
      c.store_host,
      {"gen", "--store", c.store_address, "--rows", std::to_string(orders_written), "--rate",
       "20000", "--users", "5000", "--seed", "12", "--events-per-second", "4000"}));
  for (int round = 1; round <= 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto stopped = [&](std::unique_ptr<background_process>& role, const std::string& name) {
      auto result = role->terminate(std::chrono::seconds(30));
      CHECK_MESSAGE(result.exit_code == 0, fmt::format("round {}: {} exited {}; stderr: {}", round,
                                                       name, result.exit_code, result.err));
    };
    stopped(c.coordinator, "coordinator");
    for (size_t i = c.workers.size() - 2; i < c.workers.size(); ++i)
      stopped(c.workers[i], fmt::format("worker w{}", i + 1));
    stopped(c.store, "store");
    c.start_store();
    c.start_coordinator();
    c.start_worker();
    c.start_worker();
    c.wait_for_workers(2);
  }
  auto deadline = clock::now() + command_timeout;
  while (gen.running() && clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto generated = gen.stop();
  REQUIRE_MESSAGE(generated.exit_code == 0, "gen: " << generated.err << "\n" << c.logs());
  check_caught_up_and_exact(c);
}

// Three hosts made of network namespaces joined by a bridge: the store and the generator on
// one, the coordinator and a worker on the second, two workers on the third.
struct namespaces {
  std::string tag = fmt::format("sl{}", getpid() % 100000);
  std::string bridge = tag + "br";
  std::vector<std::string> names;
  std::string error;

  static bool sh(const std::string& command, std::string* error) {
    auto result = run({"/bin/sh", "-c", command + " 2>&1"}, {}, std::chrono::seconds(20));
    if (result.exit_code == 0) return true;
    if (error) *error = command + ": " + result.out;
    return false;
  }

  namespaces() {
    if (!sh(fmt::format("ip link add {} type bridge && ip link set {} up", bridge, bridge), &error))
      return;
    for (int i = 1; i <= 3; ++i) {
      std::string ns = fmt::format("{}h{}", tag, i);
      if (!sh(fmt::format("ip netns add {}", ns), &error)) return;
      names.push_back(ns);
      std::string inside = ns + "v", outside = ns + "b";
      if (!sh(fmt::format(
                  "ip link add {} type veth peer name {} && ip link set {} netns {} && "
                  "ip link set {} master {} up && "
                  "ip netns exec {} ip addr add 10.77.0.{}/24 dev {} && "
                  "ip netns exec {} ip link set {} up && ip netns exec {} ip link set lo up",
                  inside, outside, inside, ns, outside, bridge, ns, i, inside, ns, inside, ns),
              &error))
        return;
    }
  }
  ~namespaces() {
    for (const auto& ns : names) sh("ip netns delete " + ns, nullptr);
    sh("ip link delete " + bridge, nullptr);
  }
  bool ready() const { return error.empty() && names.size() == 3; }
  host at(int i) const {
    return {{"/usr/bin/env", "ip", "netns", "exec", names[i - 1]}, fmt::format("10.77.0.{}", i)};
  }
};

TEST_CASE("cluster: across three network namespaces a worker killed leaves the sink exact") {
  namespaces hosts;
  if (!hosts.ready()) {
    MESSAGE("skipped: this machine does not allow network namespaces here (" << hosts.error << ")");
    return;
  }
  cluster c(hosts.at(1), hosts.at(2), {hosts.at(2), hosts.at(3), hosts.at(3)},
            /*fixed_ports=*/true);
  c.use_secret();  // beyond loopback, no process listens without one
  c.use_tls();
  c.start(3);
  check_fault(c, "worker killed across namespaces", [&] { c.workers[2]->stop(); });
}

}  // namespace
}  // namespace sluice::cli

// `sluice store` as a process, killed with SIGKILL twice while `sluice gen --store` loads orders
// into it, and started again on the same data directory and port: gen waits for it each time,
// and in the end the table holds exactly the generated orders, each once.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/free_port.hpp"
#include "tests/support/run.hpp"
#include "tests/support/sluice_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::cli {
namespace {

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct store_process_fixture {
  testing::temp_dir dir;
  std::string data = (dir.path / "data").string();
  std::string address = "127.0.0.1:" + std::to_string(testing::free_port());

  std::unique_ptr<testing::background_process> start_store() const {
    return std::make_unique<testing::background_process>(
        std::vector<std::string>{SLUICE_BINARY, "store", "--data", data, "--listen", address});
  }
  // Change records in OrderSource: asked of the store while it serves (opening its data beside
  // it would replay its log, seconds under load), or read from its data once it is stopped.
  uint64_t records(bool served) const {
    auto shown = served ? testing::run({SLUICE_BINARY, "tunnel", "--store", address, "OrderSource"})
                        : testing::run_sluice(data, "tunnel", {"OrderSource"}, {});
    std::smatch m;
    static const std::regex head(R"(table \S+: \d+ channels, (\d+) change records)");
    if (shown.exit_code != 0 || !std::regex_search(shown.out, m, head)) return 0;
    return std::stoull(m[1]);
  }
  // Waits until OrderSource has at least `count` records, or `writer` has ended.
  void wait_for_records(uint64_t count, testing::background_process& writer) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (records(true) < count && writer.running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
};

TEST_CASE_FIXTURE(store_process_fixture, "gen through a store killed twice stores every order once") {
  auto created = testing::run_sluice(
      data, "sql",
      {"-e", "CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, "
             "timestamp BIGINT, PRIMARY KEY (UserId, OrderId))"},
      {});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto store = start_store();
  // 300k orders at 50k a second: about 6 s of load, in batches of 2500.
  testing::background_process gen({SLUICE_BINARY, "gen", "--store", address, "--rows", "300000",
                                   "--rate", "50000", "--events-per-second", "1000", "--seed",
                                   "11"});
  for (uint64_t kill_at : {60000, 180000}) {
    wait_for_records(kill_at, gen);
    REQUIRE_MESSAGE(gen.running(), "gen ended before the store was killed: " << gen.stop().err);
    store->stop();  // SIGKILL
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    store = start_store();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (gen.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto generated = gen.stop();
  REQUIRE_MESSAGE(generated.exit_code == 0, generated.err);
  CHECK(generated.out.find("wrote 300000 orders") != std::string::npos);
  CHECK(generated.err.find("store at " + address + " unreachable; retrying") != std::string::npos);
  CHECK(generated.err.find("store at " + address + " is back") != std::string::npos);

  auto scanned = testing::run({SLUICE_BINARY, "scan", "--store", address, "OrderSource",
                               "--format", "jsonl"});
  REQUIRE_MESSAGE(scanned.exit_code == 0, scanned.err);
  auto printed = testing::run({SLUICE_BINARY, "gen", "--stdout", "--rows", "300000", "--seed", "11"});
  REQUIRE(printed.exit_code == 0);
  auto stored = sorted_lines(scanned.out), expected = sorted_lines(printed.out);
  CHECK(stored.size() == 300000);
  CHECK(stored == expected);
  store->stop();
  CHECK(records(false) == 300000);  // one change record per order: no batch lost or applied twice
}

}  // namespace
}  // namespace sluice::cli

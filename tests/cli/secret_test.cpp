// `--secret-file`: processes that do not hold the cluster's key are refused before they are
// served, whatever they try, and nothing listens beyond loopback without a key.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <thread>

#include "tests/support/cluster.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run.hpp"

namespace sluice::cli {
namespace {

using testing::background_process;
using testing::run;
using testing::run_result;

const std::string order_line = R"({"UserId":"u1","OrderId":"o1","price":2.5,"timestamp":1000})";

struct keyed_store {
  testing::temp_dir dir;
  std::string data = (dir.path / "data").string();
  std::string key = (dir.path / "sluice.key").string();
  std::string wrong = (dir.path / "wrong.key").string();
  uint16_t http_port = testing::free_port();
  std::string address = fmt::format("127.0.0.1:{}", testing::free_port());
  std::unique_ptr<background_process> store;

  keyed_store() {
    testing::write_secret_file(key, "the-right-key-0123456789");
    testing::write_secret_file(wrong, "the-wrong-key-0123456789");
    auto created = run({SLUICE_BINARY, "sql", "--data", data, "-e",
                        "CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, "
                        "timestamp BIGINT, PRIMARY KEY (UserId, OrderId))"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    store = std::make_unique<background_process>(std::vector<std::string>{
        SLUICE_BINARY, "store", "--data", data, "--listen", address, "--secret-file", key,
        "--http", fmt::format("127.0.0.1:{}", http_port)});
    for (int i = 0; i < 100 && !testing::listening(http_port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE_MESSAGE(testing::listening(http_port), store->stop().err);
  }
  run_result sluice(std::vector<std::string> args, std::string_view input = {}) const {
    args.insert(args.begin(), SLUICE_BINARY);
    return run(args, input, std::chrono::seconds(30));
  }
  std::vector<std::string> keyed(std::vector<std::string> args, const std::string& file) const {
    args.insert(args.end(), {"--secret-file", file});
    return args;
  }
  size_t rows() const {
    auto scanned = sluice(keyed({"scan", "OrderSource", "--store", address, "--format", "jsonl"}, key));
    REQUIRE_MESSAGE(scanned.exit_code == 0, scanned.err);
    return static_cast<size_t>(std::count(scanned.out.begin(), scanned.out.end(), '\n'));
  }
};

TEST_CASE_FIXTURE(keyed_store, "a store with a key serves only clients that hold it") {
  for (const auto& without : {std::vector<std::string>{"put", "OrderSource", "--store", address},
                              keyed({"put", "OrderSource", "--store", address}, wrong)}) {
    auto put = sluice(without, order_line);
    CHECK(put.exit_code != 0);
    CHECK_MESSAGE(put.err.find("key") != std::string::npos, put.err);
  }
  auto scan = sluice({"scan", "OrderSource", "--store", address});
  CHECK(scan.exit_code != 0);
  CHECK_MESSAGE(scan.err.find("--secret-file") != std::string::npos, scan.err);
  CHECK(rows() == 0);
  auto put = sluice(keyed({"put", "OrderSource", "--store", address}, key), order_line);
  REQUIRE_MESSAGE(put.exit_code == 0, put.err);
  CHECK(rows() == 1);
  CHECK(store->running());
}

TEST_CASE_FIXTURE(keyed_store, "its HTTP server asks for the key too") {
  auto anonymous = testing::http_call(http_port, "GET", "/api/jobs");
  CHECK(anonymous.status == 401);
  auto posted = testing::http_call(http_port, "POST", "/api/tables/OrderSource/rows", order_line);
  CHECK(posted.status == 401);
  auto wrong_key = testing::http_call(http_port, "GET", "/api/jobs", {},
                                      "Authorization: Bearer the-wrong-key-0123456789\r\n");
  CHECK(wrong_key.status == 401);
  auto bearer = testing::http_call(http_port, "GET", "/api/jobs", {},
                                   "Authorization: Bearer the-right-key-0123456789\r\n");
  CHECK(bearer.status == 200);
  // A browser's login: any user name, the key as password ("sluice:the-right-key-0123456789").
  auto basic = testing::http_call(
      http_port, "GET", "/api/jobs", {},
      "Authorization: Basic c2x1aWNlOnRoZS1yaWdodC1rZXktMDEyMzQ1Njc4OQ==\r\n");
  CHECK(basic.status == 200);
  CHECK(rows() == 0);
}

TEST_CASE("nothing listens beyond loopback without a key, and a key file others can read is refused") {
  testing::temp_dir dir;
  const std::string data = (dir.path / "data").string();
  for (const auto& args :
       {std::vector<std::string>{"store", "--data", data, "--listen", "0.0.0.0:0"},
        std::vector<std::string>{"coordinator", "--listen", "0.0.0.0:0"},
        std::vector<std::string>{"worker", "--listen", "0.0.0.0:0"},
        std::vector<std::string>{"store", "--data", data, "--listen", "127.0.0.1:0", "--http",
                                 "0.0.0.0:0"}}) {
    std::vector<std::string> argv{SLUICE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto refused = run(argv, {}, std::chrono::seconds(20));
    CHECK_MESSAGE(!refused.timed_out, args[0] << " started");
    CHECK(refused.exit_code != 0);
    CHECK_MESSAGE(refused.err.find("--secret-file") != std::string::npos, refused.err);
  }
  const std::string open_key = (dir.path / "open.key").string();
  std::ofstream(open_key) << "readable-by-everyone-0123456789\n";
  std::filesystem::permissions(open_key, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::others_read);
  auto refused = run({SLUICE_BINARY, "store", "--data", data, "--listen", "0.0.0.0:0",
                      "--secret-file", open_key},
                     {}, std::chrono::seconds(20));
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.err.find("chmod 600") != std::string::npos, refused.err);
}

}  // namespace
}  // namespace sluice::cli

// The `sluice` binary as a user runs it: real processes on a fresh data directory per test,
// checked by what they print, their exit codes and what a later `scan` or `tunnel` shows.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/sluice_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sluice::cli {
namespace {

using json = nlohmann::json;
using testing::run_result;

constexpr const char* order_source_ddl =
    "CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT, "
    "PRIMARY KEY (UserId, OrderId)) WITH (channels = 8)";

// One table of every type, keyed by a string, for values that are awkward to carry.
constexpr const char* awkward_columns =
    "(id STRING, n BIGINT, s STRING, d DOUBLE, b BOOLEAN, PRIMARY KEY (id))";

// A fresh data directory and the `sluice` subcommands run against it.
struct cli_fixture {
  testing::temp_dir dir;
  std::string data = (dir.path / "data").string();

  // `sluice COMMAND --data DIR ARGS...` with `input` on standard input.
  run_result sluice(const std::string& command, const std::vector<std::string>& args = {},
                    std::string_view input = {}) const {
    return testing::run_sluice(data, command, args, input);
  }
  run_result sql(const std::string& statements) const { return sluice("sql", {"-e", statements}); }
  run_result put(const std::string& table, std::string_view input,
                 const std::string& format = "jsonl") const {
    return sluice("put", {table, "--format", format}, input);
  }
  run_result scan(const std::string& table, const std::string& format = "jsonl") const {
    return sluice("scan", {table, "--format", format});
  }
  run_result tunnel(const std::string& table) const { return sluice("tunnel", {table}); }
  run_result gen(const std::vector<std::string>& args) const { return sluice("gen", args); }
};

// Requires that the command succeeded; its result, for chaining.
run_result ok(run_result result) {
  REQUIRE_MESSAGE(!result.timed_out, "timed out; stderr: " << result.err);
  REQUIRE_MESSAGE(result.exit_code == 0, "exit code " << result.exit_code
                                                      << "; stderr: " << result.err);
  return result;
}

// Requires that the command failed the way `sluice` reports errors: exit code 1 and a message
// "sluice COMMAND: ..." on stderr, not a crash or a timeout.
run_result fails(run_result result) {
  REQUIRE_MESSAGE(!result.timed_out, "timed out; stderr: " << result.err);
  REQUIRE_MESSAGE(result.exit_code == 1, "exit code " << result.exit_code << "; stdout: "
                                                      << result.out << "; stderr: " << result.err);
  CHECK(result.err.starts_with("sluice "));
  return result;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<json> parse_jsonl(const std::string& text) {
  std::vector<json> rows;
  for (const auto& line : lines_of(text)) {
    INFO("line: " << line);
    REQUIRE_NOTHROW(rows.push_back(json::parse(line)));
  }
  return rows;
}

// Rows of the awkward table by their key.
std::map<std::string, json> by_id(const std::vector<json>& rows) {
  std::map<std::string, json> out;
  for (const auto& row : rows) {
    REQUIRE(row.contains("id"));
    REQUIRE_MESSAGE(out.emplace(row["id"].get<std::string>(), row).second, "twice: " << row);
  }
  return out;
}

// What `sluice tunnel TABLE` shows.
struct tunnel_report {
  struct tunnel {
    std::string name, type;
    uint64_t lag = 0;
  };
  uint64_t channels = 0, records = 0;
  std::vector<uint64_t> end_offsets;
  std::vector<tunnel> tunnels;

  static tunnel_report parse(const std::string& text) {
    static const std::regex head(R"(table \S+: (\d+) channels, (\d+) change records)");
    static const std::regex channel_row(R"(\s*\d+\s+(\d+))");
    static const std::regex tunnel_line(R"(tunnel (\S+) \((\w+)\), id \S+, created .+, lag (\d+))");
    tunnel_report report;
    bool in_ends = false;
    for (const auto& line : lines_of(text)) {
      std::smatch m;
      if (std::regex_match(line, m, head)) {
        report.channels = std::stoull(m[1]);
        report.records = std::stoull(m[2]);
      } else if (contains(line, "end offset")) {
        in_ends = true;
      } else if (line.empty()) {
        in_ends = false;
      } else if (in_ends && std::regex_match(line, m, channel_row)) {
        report.end_offsets.push_back(std::stoull(m[1]));
      } else if (std::regex_match(line, m, tunnel_line)) {
        report.tunnels.push_back({m[1], m[2], std::stoull(m[3])});
      }
    }
    return report;
  }

  const tunnel* find(std::string_view name) const {
    for (const auto& t : tunnels)
      if (t.name == name) return &t;
    return nullptr;
  }
};

// --- sql

TEST_CASE_FIXTURE(cli_fixture, "sql: CREATE TABLE makes OrderSource with the channels asked for") {
  auto created = ok(sql(order_source_ddl));
  CHECK(contains(created.out, "created table OrderSource"));
  auto report = tunnel_report::parse(ok(tunnel("OrderSource")).out);
  CHECK(report.channels == 8);
  CHECK(report.end_offsets.size() == 8);
  CHECK(report.records == 0);
  CHECK(ok(scan("OrderSource", "csv")).out == "UserId,OrderId,price,timestamp\n");
}

TEST_CASE_FIXTURE(cli_fixture, "sql: creating an existing table fails naming it and IF NOT EXISTS skips it") {
  ok(sql(order_source_ddl));
  auto again = fails(sql(order_source_ddl));
  CHECK(contains(again.err, "OrderSource"));
  CHECK(contains(again.err, "IF NOT EXISTS"));

  auto skipped = ok(sql(
      "CREATE TABLE IF NOT EXISTS OrderSource (UserId STRING, OrderId STRING, price DOUBLE, "
      "timestamp BIGINT, PRIMARY KEY (UserId, OrderId)) WITH (channels = 8)"));
  CHECK(contains(skipped.out, "OrderSource"));
}

TEST_CASE_FIXTURE(cli_fixture, "sql: a syntax error names its line and column and nothing runs") {
  ok(sql(order_source_ddl));
  auto bad = fails(sql("CREATE TABLE a (x BIGINT, PRIMARY KEY (x));\n"
                       "CREATE TABL b (x BIGINT, PRIMARY KEY (x))"));
  CHECK(contains(bad.err, "line 2, column 8"));
  CHECK(contains(bad.err, "TABL"));
  // The first statement was fine, but the script is parsed whole before anything runs.
  CHECK(contains(fails(scan("a")).err, "'a'"));
}

TEST_CASE_FIXTURE(cli_fixture, "sql: a script whose second statement fails applies nothing") {
  ok(sql(order_source_ddl));
  auto bad = fails(sql("CREATE TABLE Fresh (x BIGINT, PRIMARY KEY (x));\n" +
                       std::string(order_source_ddl)));
  CHECK(contains(bad.err, "nothing of the script was applied"));
  CHECK(contains(fails(scan("Fresh")).err, "Fresh"));
  // Had Fresh been made, creating it without IF NOT EXISTS would fail now.
  CHECK(contains(ok(sql("CREATE TABLE Fresh (x BIGINT, PRIMARY KEY (x))")).out, "created table Fresh"));
}

TEST_CASE_FIXTURE(cli_fixture, "sql: --help names the statements it accepts") {
  auto help = ok(sluice("sql", {"--help"}));
  for (const char* statement : {"CREATE TABLE", "IF NOT EXISTS", "DROP TABLE", "CREATE TUNNEL",
                                "DROP TUNNEL", "PRIMARY KEY", "channels"}) {
    CAPTURE(statement);
    CHECK(contains(help.out, statement));
  }
}

TEST_CASE_FIXTURE(cli_fixture, "sql: the seed's sink table takes keywords as column names") {
  ok(sql("CREATE TABLE OrderStreamSink (begin STRING, end STRING, count BIGINT, totalPrice DOUBLE, "
         "PRIMARY KEY (begin, end))"));
  auto wrote = ok(put("OrderStreamSink",
                      R"({"begin":"2023-11-14 22:13:20","end":"2023-11-14 22:13:30","count":3,"totalPrice":30.5})"
                      "\n"));
  CHECK(contains(wrote.out, "wrote 1 rows"));
  CHECK(ok(scan("OrderStreamSink", "csv")).out ==
        "begin,end,count,totalPrice\n2023-11-14 22:13:20,2023-11-14 22:13:30,3,30.5\n");
}

TEST_CASE_FIXTURE(cli_fixture, "sql: statements come from a FILE.sql") {
  const auto script = dir.path / "schema.sql";
  std::ofstream(script) << "-- the source and a tunnel on it\n"
                        << order_source_ddl << ";\n"
                        << "CREATE TUNNEL t1 ON OrderSource TYPE STREAM;\n";
  auto done = ok(sluice("sql", {script.string()}));
  CHECK(contains(done.out, "created table OrderSource"));
  CHECK(contains(done.out, "tunnel t1"));
  CHECK(tunnel_report::parse(ok(tunnel("OrderSource")).out).find("t1") != nullptr);

  auto missing = fails(sluice("sql", {(dir.path / "nope.sql").string()}));
  CHECK(contains(missing.err, "nope.sql"));
}

// --- put and scan

// Strings with commas, quotes, line ends, non-ASCII and spaces at the ends, an empty key, NULLs
// and doubles that print in different ways, keys included.
constexpr const char* awkward_rows = R"jsonl({"id":"a,b","n":1,"s":"say \"hi\", then\nleave","d":0.1,"b":true}
{"id":"Zürich 北京 🚀","n":-9223372036854775808,"s":"","d":1e300,"b":false}
{"id":"","n":9223372036854775807,"s":null,"d":12.0}
{"id":"neg zero","d":-0.0,"s":" lead and trail "}
{"id":"q\"\\","n":0,"s":"\r\n\t","d":5e-324,"b":null}
{"id":"line\nbreak, \"and\" more","s":"北京,Zürich","d":-1.7976931348623157e308,"b":true}
{"id":"emoji 😀","s":"\"quoted\"","d":1e-7,"n":-1}
{"id":"cents","s":"plain","d":100.25,"n":42}
)jsonl";

TEST_CASE_FIXTURE(cli_fixture, "put then scan --format jsonl gives back awkward values exactly") {
  ok(sql(fmt::format("CREATE TABLE Awkward {}", awkward_columns)));
  auto wrote = ok(put("Awkward", awkward_rows));
  CHECK(contains(wrote.out, "wrote 8 rows to Awkward"));

  auto expected = by_id(parse_jsonl(awkward_rows));
  for (auto& [id, row] : expected)
    for (const char* column : {"n", "s", "d", "b"})
      if (!row.contains(column)) row[column] = nullptr;  // a put leaves unnamed columns NULL
  auto scanned = by_id(parse_jsonl(ok(scan("Awkward")).out));
  CHECK(scanned == expected);

  for (const auto& [id, row] : scanned) {
    CAPTURE(id);
    // Doubles stay doubles for a JSON reader (12.0, not 12).
    CHECK(row["d"].is_number_float());
  }
  REQUIRE(scanned.contains("neg zero"));
  CHECK(std::signbit(scanned["neg zero"]["d"].get<double>()));
}

TEST_CASE_FIXTURE(cli_fixture, "scan --format csv reads back through put --format csv unchanged") {
  ok(sql(fmt::format("CREATE TABLE Awkward {}; CREATE TABLE Copy {}", awkward_columns,
                     awkward_columns)));
  ok(put("Awkward", awkward_rows));
  auto csv = ok(scan("Awkward", "csv")).out;
  CHECK(contains(ok(put("Copy", csv, "csv")).out, "wrote 8 rows to Copy"));
  CHECK(ok(scan("Copy", "csv")).out == csv);
  CHECK(ok(scan("Copy", "jsonl")).out == ok(scan("Awkward", "jsonl")).out);
}

TEST_CASE_FIXTURE(cli_fixture, "put: _op update and delete change rows and put counts what it wrote") {
  ok(sql(fmt::format("CREATE TABLE Awkward {}", awkward_columns)));
  auto first = ok(put("Awkward", R"({"id":"k1","n":1,"s":"one","d":1.5,"b":true}
{"id":"k2","n":2,"s":"two"}
{"id":"k3","n":3,"s":"three","d":3.5}
)"));
  CHECK(contains(first.out, "wrote 3 rows to Awkward (3 changed, 0 unchanged)"));

  auto changes = ok(put("Awkward", R"({"_op":"update","id":"k1","s":"uno"}
{"_op":"delete","id":"k2"}
{"id":"k3","n":33}
{"_op":"delete","id":"absent"}
)"));
  CHECK(contains(changes.out, "wrote 4 rows to Awkward (3 changed, 1 unchanged)"));
  auto rows = by_id(parse_jsonl(ok(scan("Awkward")).out));
  CHECK(rows == by_id(std::vector<json>{
                    json{{"id", "k1"}, {"n", 1}, {"s", "uno"}, {"d", 1.5}, {"b", true}},
                    json{{"id", "k3"}, {"n", 33}, {"s", nullptr}, {"d", nullptr}, {"b", nullptr}},
                }));

  CHECK(contains(ok(put("Awkward", "{\"id\":\"k3\",\"n\":33}\n")).out, "(0 changed, 1 unchanged)"));

  // In CSV, columns left out of the header keep their values on update.
  ok(put("Awkward", "id,_op,n\nk1,update,7\nk3,delete,\n", "csv"));
  rows = by_id(parse_jsonl(ok(scan("Awkward")).out));
  CHECK(rows == by_id(std::vector<json>{
                    json{{"id", "k1"}, {"n", 7}, {"s", "uno"}, {"d", 1.5}, {"b", true}}}));
}

// --- bad input

constexpr const char* three_good_orders =
    R"({"UserId":"u1","OrderId":"o1","price":10.5,"timestamp":1700000000000}
{"UserId":"u1","OrderId":"o2","price":11.5,"timestamp":1700000000001}
{"UserId":"u2","OrderId":"o3","price":12.5,"timestamp":1700000000002}
)";

// Requires that OrderSource holds no rows and its channels no change records.
void require_empty(const cli_fixture& cli) {
  CHECK(ok(cli.scan("OrderSource")).out.empty());
  CHECK(tunnel_report::parse(ok(cli.tunnel("OrderSource")).out).records == 0);
}

TEST_CASE_FIXTURE(cli_fixture, "put: a bad line rejects the whole input and names line and column") {
  ok(sql(order_source_ddl));
  // One row per batch, so a check made batch by batch would have written the good rows.
  auto bad = fails(sluice("put", {"OrderSource", "--batch-rows", "1"},
                          std::string(three_good_orders) +
                              R"({"UserId":"u2","OrderId":"o4","price":"cheap","timestamp":1700000000003})"
                              "\n"));
  CHECK(contains(bad.err, "line 4"));
  CHECK(contains(bad.err, "'price'"));
  CHECK(contains(bad.err, "nothing was written"));
  CHECK(bad.out.empty());
  require_empty(*this);
}

TEST_CASE_FIXTURE(cli_fixture, "put: bad JSON lines are rejected with their line numbers") {
  ok(sql(order_source_ddl));
  std::string line, expected;
  SUBCASE("an unknown column") {
    line = R"({"UserId":"u3","OrderId":"o5","prize":1.5})";
    expected = "prize";
  }
  SUBCASE("a missing key column") {
    line = R"({"UserId":"u3","price":1.5})";
    expected = "OrderId";
  }
  SUBCASE("invalid JSON") {
    line = R"({"UserId":"u3","OrderId":)";
    expected = "invalid JSON";
  }
  SUBCASE("a NULL key") {
    line = R"({"UserId":null,"OrderId":"o5"})";
    expected = "UserId";
  }
  CAPTURE(line);
  auto bad = fails(sluice("put", {"OrderSource", "--batch-rows", "1"},
                          std::string(three_good_orders) + line + "\n"));
  CHECK(contains(bad.err, "line 4"));
  CHECK(contains(bad.err, expected));
  require_empty(*this);
}

TEST_CASE_FIXTURE(cli_fixture, "put: a bad CSV header is rejected and the column named") {
  ok(sql(order_source_ddl));
  std::string header, expected;
  SUBCASE("an unknown column") {
    header = "UserId,OrderId,prize";
    expected = "prize";
  }
  SUBCASE("a key column left out") {
    header = "UserId,price";
    expected = "OrderId";
  }
  CAPTURE(header);
  auto bad = fails(put("OrderSource", header + "\nu1,o1,10.5\n", "csv"));
  CHECK(contains(bad.err, "line 1"));
  CHECK(contains(bad.err, expected));
  require_empty(*this);
}

TEST_CASE_FIXTURE(cli_fixture, "put and scan and tunnel name a table that does not exist") {
  ok(sql(order_source_ddl));
  CHECK(contains(fails(put("Nope", three_good_orders)).err, "'Nope'"));
  CHECK(contains(fails(scan("Nope")).err, "'Nope'"));
  CHECK(contains(fails(tunnel("Nope")).err, "'Nope'"));
  // A wrong case is pointed at the right name.
  CHECK(contains(fails(scan("ordersource")).err, "OrderSource"));
  require_empty(*this);
}

// --- gen

struct order {
  std::string user, id;
  double price = 0;
  int64_t timestamp = 0;
};

std::vector<order> parse_orders(const std::string& text) {
  std::vector<order> orders;
  for (const auto& row : parse_jsonl(text))
    orders.push_back({row.at("UserId").get<std::string>(), row.at("OrderId").get<std::string>(),
                      row.at("price").get<double>(), row.at("timestamp").get<int64_t>()});
  return orders;
}

constexpr int64_t start_ms = 1700000000000;

TEST_CASE_FIXTURE(cli_fixture, "gen: the same seed gives the same orders and another seed others") {
  auto seven = ok(gen({"--stdout", "--rows", "2000", "--seed", "7"})).out;
  CHECK(lines_of(seven).size() == 2000);
  CHECK(ok(gen({"--stdout", "--rows", "2000", "--seed", "7"})).out == seven);
  auto eight = ok(gen({"--stdout", "--rows", "2000", "--seed", "8"})).out;
  CHECK(lines_of(eight).size() == 2000);
  CHECK(eight != seven);
}

TEST_CASE_FIXTURE(cli_fixture, "gen: orders have the documented shape and event-time pace") {
  auto orders = parse_orders(ok(gen({"--stdout", "--rows", "2000", "--seed", "7", "--users", "50",
                                     "--events-per-second", "100", "--start-ms",
                                     std::to_string(start_ms)}))
                                 .out);
  REQUIRE(orders.size() == 2000);
  static const std::regex user_id(R"(user_(\d{6}))");
  std::set<std::string> users, ids;
  for (size_t i = 0; i < orders.size(); ++i) {
    const auto& o = orders[i];
    CAPTURE(i);
    std::smatch m;
    REQUIRE(std::regex_match(o.user, m, user_id));
    CHECK(std::stoi(m[1]) < 50);
    users.insert(o.user);
    ids.insert(o.id);
    CHECK(o.price >= 10);
    CHECK(o.price < 1000);
    CHECK(std::round(o.price * 100) / 100 == o.price);  // at most two decimals
    if (i > 0) CHECK(o.timestamp >= orders[i - 1].timestamp);
  }
  CHECK(users.size() == 50);  // 2000 orders reach every one of 50 users
  CHECK(ids.size() == orders.size());
  // 100 orders per event-time second.
  CHECK(orders.front().timestamp == start_ms);
  CHECK(orders[999].timestamp == start_ms + 9990);
  CHECK(orders.back().timestamp == start_ms + 19990);
  CHECK(std::count_if(orders.begin(), orders.end(),
                      [](const order& o) { return o.timestamp < start_ms + 1000; }) == 100);
}

TEST_CASE_FIXTURE(cli_fixture, "gen: --disorder-ms D moves each order up to D ms back") {
  const std::vector<std::string> common = {"--stdout", "--rows", "2000", "--seed", "7",
                                           "--events-per-second", "100", "--start-ms",
                                           std::to_string(start_ms)};
  auto in_order = parse_orders(ok(gen(common)).out);
  auto with_disorder = common;
  with_disorder.insert(with_disorder.end(), {"--disorder-ms", "250"});
  auto disordered = parse_orders(ok(gen(with_disorder)).out);
  REQUIRE(in_order.size() == 2000);
  REQUIRE(disordered.size() == 2000);
  size_t moved = 0, out_of_order = 0;
  for (size_t i = 0; i < disordered.size(); ++i) {
    CAPTURE(i);
    CHECK(disordered[i].id == in_order[i].id);
    CHECK(disordered[i].timestamp <= in_order[i].timestamp);
    CHECK(disordered[i].timestamp >= in_order[i].timestamp - 250);
    if (disordered[i].timestamp < in_order[i].timestamp) ++moved;
    if (i > 0 && disordered[i].timestamp < disordered[i - 1].timestamp) ++out_of_order;
  }
  CHECK(moved > 1000);
  CHECK(out_of_order > 100);
}

TEST_CASE_FIXTURE(cli_fixture, "gen: writing into the store stores exactly the printed orders") {
  ok(sql(order_source_ddl));
  auto wrote = ok(gen({"--rows", "5000", "--seed", "7"}));
  CHECK(contains(wrote.out, "wrote 5000 orders to OrderSource"));
  auto stored = lines_of(ok(scan("OrderSource")).out);
  auto printed = lines_of(ok(gen({"--stdout", "--rows", "5000", "--seed", "7"})).out);
  std::sort(stored.begin(), stored.end());
  std::sort(printed.begin(), printed.end());
  CHECK(stored.size() == 5000);
  CHECK(stored == printed);
}

TEST_CASE_FIXTURE(cli_fixture, "gen: into a missing table shows the CREATE TABLE to run") {
  auto missing = fails(gen({"--rows", "10", "--seed", "7"}));
  CHECK(contains(missing.err, "OrderSource"));
  CHECK(contains(missing.err, "CREATE TABLE OrderSource (UserId STRING, OrderId STRING, "
                              "price DOUBLE, timestamp BIGINT, PRIMARY KEY (UserId, OrderId))"));
}

// --- tunnel

TEST_CASE_FIXTURE(cli_fixture, "tunnel: channels hold the change records and tunnels show their lag") {
  ok(sql(order_source_ddl));
  ok(gen({"--rows", "5000", "--seed", "7"}));
  auto report = tunnel_report::parse(ok(tunnel("OrderSource")).out);
  CHECK(report.channels == 8);
  CHECK(report.records == 5000);
  REQUIRE(report.end_offsets.size() == 8);
  uint64_t sum = 0;
  for (uint64_t end : report.end_offsets) {
    CHECK(end > 0);  // 5000 orders of 10000 users spread over every channel
    sum += end;
  }
  CHECK(sum == 5000);
  REQUIRE(report.tunnels.size() == 1);
  CHECK(report.tunnels[0].name == "default");
  CHECK(report.tunnels[0].type == "stream");
  CHECK(report.tunnels[0].lag == 5000);

  ok(sql("CREATE TUNNEL t1 ON OrderSource TYPE STREAM"));
  report = tunnel_report::parse(ok(tunnel("OrderSource")).out);
  REQUIRE(report.find("t1") != nullptr);
  CHECK(report.find("t1")->type == "stream");
  CHECK(report.find("t1")->lag == 0);
  REQUIRE(report.find("default") != nullptr);
  CHECK(report.find("default")->lag == 5000);

  // New orders reach both.
  ok(gen({"--rows", "1000", "--seed", "8"}));
  report = tunnel_report::parse(ok(tunnel("OrderSource")).out);
  CHECK(report.records == 6000);
  REQUIRE(report.find("t1") != nullptr);
  CHECK(report.find("t1")->lag == 1000);
  CHECK(report.find("default")->lag == 6000);
}

// --- readers beside a writer

TEST_CASE_FIXTURE(cli_fixture, "scan and tunnel work while gen writes into the store") {
  ok(sql(order_source_ddl));
  // 20000 orders at 2000 a second in batches of 100: about 10 s of writing.
  testing::background_process writer({SLUICE_BINARY, "gen", "--data", data, "--rows", "20000",
                                      "--rate", "2000", "--batch-rows", "100", "--seed", "3"});
  // Wait until the first batches are in.
  uint64_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (seen == 0 && std::chrono::steady_clock::now() < deadline) {
    seen = tunnel_report::parse(ok(tunnel("OrderSource")).out).records;
    if (seen == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (seen == 0) FAIL("gen wrote nothing in 30 s; its stderr: " << writer.stop().err);

  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    auto rows = lines_of(ok(scan("OrderSource", "csv")).out);
    REQUIRE(!rows.empty());
    const uint64_t scanned = rows.size() - 1;  // less the header
    CHECK(scanned >= seen);
    CHECK(scanned <= 20000);
    CHECK(scanned % 100 == 0);  // whole batches only
    const uint64_t now = tunnel_report::parse(ok(tunnel("OrderSource")).out).records;
    CHECK(now >= scanned);
    seen = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The reads above overlapped the writer only if it still runs.
  const bool overlapped = writer.running();
  auto stopped = writer.stop();
  CHECK_MESSAGE(overlapped, "gen ended early with exit code " << stopped.exit_code
                                                              << "; its stderr: " << stopped.err);
}

}  // namespace
}  // namespace sluice::cli

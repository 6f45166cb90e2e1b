// The seeds' SQL as written, end to end through real `sluice` processes: seed 003's batch jobs
// and verification queries, SELECT's clauses, INSERT OVERWRITE, a batch job killed half way,
// and seed 002's Flink job under inserts, updates and deletes. Every result is compared with a
// recomputation written here over the source rows, never with Sluice's operators.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <csignal>
#include <map>
#include <set>
#include <tuple>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/job_fixture.hpp"

namespace sluice::cli {
namespace {

using namespace sluice::testing;

// The JSON objects among the lines `sluice run|sql --format jsonl` printed.
std::vector<json> json_lines(const std::string& out) {
  std::vector<json> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("{")) rows.push_back(json::parse(line));
  return rows;
}

std::vector<json> per_user_rows(const std::vector<order>& orders) {
  std::vector<json> rows;
  for (const auto& [user, t] : per_user(orders, [](const order&) { return true; }))
    rows.push_back({{"UserId", user}, {"count", t.count}, {"totalPrice", t.sum()}});
  return rows;
}

double total_of(const std::vector<order>& orders) {
  int64_t cents = 0;
  for (const auto& o : orders) cents += std::llround(o.price * 100);
  return static_cast<double>(cents) / 100;
}

TEST_CASE_FIXTURE(job_fixture, "seed 003 as written: batch jobs, verification queries, then the stream") {
  ok(sluice("sql", {(examples_sql() / "seed_003" / "tables.sql").string()}), "tables.sql");
  const std::vector<std::string> orders_args = {"--rows", "3000", "--users", "7", "--seed", "3"};
  gen(orders_args);
  auto orders = generated(orders_args);
  auto job = read_file(examples_sql() / "seed_003" / "job.sql");
  job = replace_once(job, "/tmp/spark/cp/job1", (dir.path / "cp").string());
  auto done = ok(sluice("run", {"--until-drained", "--format", "jsonl", script("job.sql", job).string()}),
                 "run seed 003");
  CHECK(contains(done.out, "batch job insert into order_batch_sink at line 60: read 3000 rows of "
                           "OrderSource, wrote 7 rows to OrderBatchSink"));

  auto results = json_lines(done.out);
  REQUIRE(results.size() == 1 + 7 + 1);
  CHECK(results[0] == json{{"total_orders", 3000}});
  std::vector<json> users(results.begin() + 1, results.begin() + 8);
  check_rows(users, per_user_rows(orders), {"UserId"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
  for (size_t i = 1; i < users.size(); ++i) CHECK(users[i - 1]["UserId"] < users[i]["UserId"]);
  check_rows({results[8]}, {{{"count", 3000}, {"totalPrice", total_of(orders)}}}, {"count"},
             {{"totalPrice", match::relative}});

  check_rows(scan_jsonl("OrderBatchSink"), per_user_rows(orders), {"UserId"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
  check_rows(scan_jsonl("OrderTotalSink"), {{{"count", 3000}, {"totalPrice", total_of(orders)}}},
             {"count"}, {{"totalPrice", match::relative}});
  check_windows(scan_jsonl("OrderStreamSink"), orders, 30);
}

TEST_CASE_FIXTURE(job_fixture, "SELECT: WHERE, GROUP BY, HAVING, ORDER BY and LIMIT equal a recomputation") {
  create_order_source();
  const std::vector<std::string> orders_args = {"--rows", "5000", "--users", "40", "--seed", "9"};
  gen(orders_args);
  auto orders = generated(orders_args);
  auto out = ok(sluice("sql", {"--format", "jsonl", "-e",
                               "SELECT UserId, count(*) AS n, sum(price) AS total FROM OrderSource "
                               "WHERE price >= 300 GROUP BY UserId HAVING count(*) > 80 "
                               "ORDER BY n DESC, UserId LIMIT 5"}),
                "sql SELECT")
                 .out;
  auto users = per_user(orders, [](const order& o) { return o.price >= 300; });
  std::vector<std::pair<std::string, totals>> kept;
  for (const auto& [user, t] : users)
    if (t.count > 80) kept.emplace_back(user, t);
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  kept.resize(std::min<size_t>(kept.size(), 5));
  REQUIRE(kept.size() == 5);
  auto rows = json_lines(out);
  REQUIRE(rows.size() == kept.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i]["UserId"] == kept[i].first);
    CHECK(rows[i]["n"] == kept[i].second.count);
    CHECK(rows[i]["total"].get<double>() == doctest::Approx(kept[i].second.sum()).epsilon(1e-12));
  }

  // Without aggregates: one row per source row; the aligned table by default.
  auto cheap = ok(sluice("sql", {"-e", "SELECT OrderId, price * 2 AS doubled FROM OrderSource "
                                       "WHERE price < 20 ORDER BY price, OrderId"}),
                  "sql projection")
                   .out;
  size_t expected = std::count_if(orders.begin(), orders.end(), [](const order& o) { return o.price < 20; });
  CHECK(contains(cheap, " OrderId "));
  CHECK(contains(cheap, fmt::format("({} row{})", expected, expected == 1 ? "" : "s")));
  // An aggregate over no rows is one row, as SQL has it.
  auto none = ok(sluice("sql", {"--format", "csv", "-e",
                                "SELECT count(*), sum(price) FROM OrderSource WHERE price < 0"}),
                 "sql empty")
                  .out;
  CHECK(none == "count(*),sum(price)\n0,\n");
  auto bad = sluice("sql", {"-e", "SELECT UserId, count(*) FROM OrderSource"});
  CHECK(bad.exit_code != 0);
  CHECK(contains(bad.err, "line 1, column 8: column UserId is neither in GROUP BY nor inside an "
                          "aggregate function"));
}

TEST_CASE_FIXTURE(job_fixture, "a batch job rerun after the source changed: INSERT INTO upserts, INSERT OVERWRITE replaces") {
  create_order_source();
  sql("CREATE TABLE UserTotals (UserId STRING, count BIGINT, totalPrice DOUBLE, PRIMARY KEY (UserId))");
  put("OrderSource", R"({"UserId":"u1","OrderId":"o1","price":10.25,"timestamp":1}
{"UserId":"u1","OrderId":"o2","price":5.5,"timestamp":2}
{"UserId":"u2","OrderId":"o1","price":7,"timestamp":3}
)");
  const std::string insert =
      "INSERT INTO UserTotals SELECT UserId, count(*), sum(price) FROM OrderSource GROUP BY UserId";
  ok(sluice("run", {"-e", insert}), "run INSERT INTO");
  check_rows(scan_jsonl("UserTotals"),
             {{{"UserId", "u1"}, {"count", 2}, {"totalPrice", 15.75}},
              {{"UserId", "u2"}, {"count", 1}, {"totalPrice", 7.0}}},
             {"UserId"}, {{"count", match::exact}, {"totalPrice", match::exact}});
  put("OrderSource", R"({"_op":"delete","UserId":"u2","OrderId":"o1"}
{"_op":"update","UserId":"u1","OrderId":"o2","price":6.5}
)");
  ok(sluice("sql", {"-e", insert}), "sql INSERT INTO again");
  // Upserted: u2's row stays as it was, as Spark's Tablestore connector leaves it.
  check_rows(scan_jsonl("UserTotals"),
             {{{"UserId", "u1"}, {"count", 2}, {"totalPrice", 16.75}},
              {{"UserId", "u2"}, {"count", 1}, {"totalPrice", 7.0}}},
             {"UserId"}, {{"count", match::exact}, {"totalPrice", match::exact}});
  auto overwrite = ok(sluice("sql", {"-e", replace_once(insert, "INSERT INTO", "INSERT OVERWRITE TABLE")}),
                      "INSERT OVERWRITE");
  CHECK(contains(overwrite.out, "1 other rows deleted"));
  check_rows(scan_jsonl("UserTotals"), {{{"UserId", "u1"}, {"count", 2}, {"totalPrice", 16.75}}},
             {"UserId"}, {{"count", match::exact}, {"totalPrice", match::exact}});
  // A stream cannot overwrite.
  auto refused = sluice("sql", {"-e", "CREATE SCAN s ON OrderSource USING STREAM; INSERT OVERWRITE "
                                      "UserTotals SELECT UserId, count(*), sum(price) FROM s GROUP BY UserId"});
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.err, "INSERT OVERWRITE replaces a table with a batch result"));
}

TEST_CASE_FIXTURE(job_fixture, "a batch job killed half way leaves nothing half written, run again it is exact") {
  create_order_source();
  sql("CREATE TABLE UserTotals (UserId STRING, count BIGINT, totalPrice DOUBLE, PRIMARY KEY (UserId))");
  const std::vector<std::string> orders_args = {"--rows", "400000", "--users", "50000", "--seed", "4"};
  gen(orders_args);
  settle_store();
  const auto job = script("batch.sql",
                          "INSERT INTO UserTotals SELECT UserId, count(*), sum(price) FROM "
                          "OrderSource GROUP BY UserId");
  // Every user with an order: some of the 50000 have none.
  const auto expected = per_user_rows(generated(orders_args));
  for (int delay_ms : {50, 150, 300}) {
    background_process run({SLUICE_BINARY, "run", "--data", data, job.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    run.stop();
    auto rows = scan_jsonl("UserTotals");
    CHECK_MESSAGE((rows.empty() || rows.size() == expected.size()),
                  "after a SIGKILL at " << delay_ms << " ms the sink holds " << rows.size()
                                        << " rows of " << expected.size());
    if (!rows.empty()) break;
  }
  ok(sluice("run", {job.string()}), "run again");
  check_rows(scan_jsonl("UserTotals"), expected, {"UserId"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
}

// Per 10 s window sliding by 5 s: every window [k * 5 s, k * 5 s + 10 s) that holds the order.
std::vector<json> sliding_rows(const std::vector<order>& orders) {
  std::map<int64_t, totals> windows;
  for (const auto& o : orders)
    for (int64_t k = floor_div(o.timestamp, 5000); k * 5000 > o.timestamp - 10000; --k)
      windows[k].add(o.price);
  std::vector<json> rows;
  for (const auto& [k, t] : windows)
    rows.push_back({{"begin", utc_text(k * 5000)},
                    {"end", utc_text(k * 5000 + 10000)},
                    {"count", t.count},
                    {"totalPrice", t.sum()}});
  return rows;
}

TEST_CASE_FIXTURE(job_fixture, "sliding windows, streamed with updates and deletes and queried in batch") {
  create_order_tables();
  const std::vector<std::string> orders_args = {"--rows", "20000", "--users", "300", "--seed", "8"};
  gen(orders_args);
  auto orders = generated(orders_args);
  // Move some orders in time and delete others: their windows must retract them.
  std::string changes;
  for (size_t i = 0; i < orders.size(); i += 37) {
    orders[i].timestamp += 7000;
    changes += fmt::format(R"({{"_op":"update","UserId":"{}","OrderId":"{}","timestamp":{}}})",
                           orders[i].user, orders[i].id, orders[i].timestamp) + "\n";
  }
  std::vector<order> kept;
  for (size_t i = 0; i < orders.size(); ++i) {
    if (i % 53 == 1)
      changes += fmt::format(R"({{"_op":"delete","UserId":"{}","OrderId":"{}"}})", orders[i].user,
                             orders[i].id) + "\n";
    else
      kept.push_back(orders[i]);
  }
  put("OrderSource", changes);
  const std::string window = "window(to_timestamp(timestamp / 1000), \"10 seconds\", \"5 seconds\")";
  run(script("sliding.sql",
             "CREATE STREAM sliding OPTIONS(checkpointLocation='sliding')\n"
             "INSERT INTO OrderStreamSink SELECT CAST(window.start AS String) AS begin,\n"
             "CAST(window.end AS String) AS end, count(*) AS count, sum(price) AS totalPrice\n"
             "FROM OrderSource GROUP BY " + window));
  auto expected = sliding_rows(kept);
  check_rows(scan_jsonl("OrderStreamSink"), expected, {"begin", "end"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
  auto queried = json_lines(ok(sluice("sql", {"--format", "jsonl", "-e",
                                              "SELECT window.start AS begin, window.end AS end, "
                                              "count(*) AS count, sum(price) AS totalPrice FROM "
                                              "OrderSource GROUP BY " + window}),
                               "sql sliding")
                                .out);
  check_rows(queried, expected, {"begin", "end"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
}

TEST_CASE_FIXTURE(job_fixture, "Flink's group windows: TUMBLE and HOP with their _START and _END") {
  create_order_tables();
  const std::vector<std::string> orders_args = {"--rows", "10000", "--users", "100", "--seed", "6"};
  gen(orders_args);
  auto orders = generated(orders_args);
  const std::string tables =
      "CREATE TABLE src (UserId VARCHAR, OrderId VARCHAR, price DOUBLE, `timestamp` BIGINT,\n"
      "  PRIMARY KEY (UserId, OrderId)) WITH (type = 'ots', tableName = 'OrderSource');\n"
      "CREATE TABLE sink (`begin` VARCHAR, `end` VARCHAR, `count` BIGINT, totalPrice DOUBLE,\n"
      "  PRIMARY KEY (`begin`, `end`)) WITH (type = 'ots', tableName = 'OrderStreamSink');\n";
  auto job = [&](const std::string& group, const std::string& args) {
    return tables + fmt::format(
                        "INSERT INTO sink SELECT CAST({0}_START({1}) AS VARCHAR), "
                        "CAST({0}_END({1}) AS VARCHAR), count(*), sum(price)\n"
                        "FROM src GROUP BY {0}({1});\n",
                        group, args);
  };
  const std::string time = "TO_TIMESTAMP_LTZ(`timestamp`, 3)";
  run(script("tumble.sql", job("TUMBLE", time + ", INTERVAL '10' SECOND")));
  check_windows(scan_jsonl("OrderStreamSink"), orders, 10);
  sql("DROP TABLE OrderStreamSink; CREATE TABLE OrderStreamSink (begin STRING, end STRING, "
      "count BIGINT, totalPrice DOUBLE, PRIMARY KEY (begin, end))");
  // One line further down: another job name, so not the tumbling job's checkpoints.
  run(script("hop.sql", "\n" + job("HOP", time + ", INTERVAL '5' SECOND, INTERVAL '10' SECOND")));
  check_rows(scan_jsonl("OrderStreamSink"), sliding_rows(orders), {"begin", "end"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
}

// Per user, sessions of 5 s: a session ends 5 s after its last order, and an order less than
// 5 s after the one before joins its session.
std::vector<json> session_rows(std::vector<order> orders) {
  std::sort(orders.begin(), orders.end(), [](const order& a, const order& b) {
    return std::tie(a.user, a.timestamp) < std::tie(b.user, b.timestamp);
  });
  std::vector<json> rows;
  std::string user;
  int64_t start = 0, last = 0;
  totals t;
  auto close = [&] {
    if (t.count > 0)
      rows.push_back({{"UserId", user}, {"begin", utc_text(start)}, {"end", utc_text(last + 5000)},
                      {"count", t.count}, {"totalPrice", t.sum()}});
    t = totals{};
  };
  for (const auto& o : orders) {
    if (o.user != user || o.timestamp >= last + 5000) {
      close();
      user = o.user;
      start = o.timestamp;
    }
    last = o.timestamp;
    t.add(o.price);
  }
  close();
  return rows;
}

TEST_CASE_FIXTURE(job_fixture, "session windows merge when a row bridges two and split when it goes") {
  create_order_source();
  sql("CREATE TABLE UserSessions (UserId STRING, begin STRING, end STRING, count BIGINT, "
      "totalPrice DOUBLE, PRIMARY KEY (UserId, begin))");
  // Whole seconds, so that a session's start prints as CAST(... AS STRING) does.
  std::mt19937 random(14);
  std::vector<order> orders;
  for (int i = 0; i < 3000; ++i)
    orders.push_back({fmt::format("u{:02}", random() % 20), fmt::format("o{:05}", i),
                      static_cast<double>(100 + random() % 90000) / 100,
                      1700000000000 + static_cast<int64_t>(random() % 4000) * 1000});
  put("OrderSource", jsonl_of(orders));
  const auto job = script("sessions.sql",
                          "CREATE STREAM sessions OPTIONS(checkpointLocation='sessions')\n"
                          "INSERT INTO UserSessions SELECT UserId, CAST(session_window.start AS "
                          "String), CAST(session_window.end AS String), count(*), sum(price)\n"
                          "FROM OrderSource GROUP BY UserId, session_window(to_timestamp(timestamp "
                          "/ 1000), \"5 seconds\")");
  run(job);
  const std::map<std::string, match> columns = {{"end", match::exact}, {"count", match::exact},
                                                {"totalPrice", match::relative}};
  check_rows(scan_jsonl("UserSessions"), session_rows(orders), {"UserId", "begin"}, columns);
  // Moved orders bridge sessions or split them; deleted ones split them. The job resumes from
  // its checkpoint, where the sink's sessions are known again.
  std::string changes;
  std::vector<order> kept;
  for (size_t i = 0; i < orders.size(); ++i) {
    if (i % 7 == 3) {
      changes += fmt::format(R"({{"_op":"delete","UserId":"{}","OrderId":"{}"}})", orders[i].user,
                             orders[i].id) + "\n";
      continue;
    }
    if (i % 5 == 1) {
      orders[i].timestamp += static_cast<int64_t>(random() % 9) * 1000 - 4000;
      changes += fmt::format(R"({{"_op":"update","UserId":"{}","OrderId":"{}","timestamp":{}}})",
                             orders[i].user, orders[i].id, orders[i].timestamp) + "\n";
    }
    kept.push_back(orders[i]);
  }
  put("OrderSource", changes);
  run(job);
  auto expected = session_rows(kept);
  check_rows(scan_jsonl("UserSessions"), expected, {"UserId", "begin"}, columns);
  // The same sessions as a query, and in Flink's words.
  auto queried = json_lines(ok(sluice("sql", {"--format", "jsonl", "-e",
                                              "SELECT UserId, session_window.start AS begin, "
                                              "session_window.end AS end, count(*) AS count, "
                                              "sum(price) AS totalPrice FROM OrderSource GROUP BY "
                                              "UserId, session_window(to_timestamp(timestamp / "
                                              "1000), \"5 seconds\")"}),
                               "sql sessions")
                                .out);
  check_rows(queried, expected, {"UserId", "begin"}, columns);
  sql("DROP TABLE UserSessions; CREATE TABLE UserSessions (UserId STRING, begin STRING, end STRING, "
      "count BIGINT, totalPrice DOUBLE, PRIMARY KEY (UserId, begin))");
  const std::string session = "SESSION(TO_TIMESTAMP_LTZ(`timestamp`, 3), INTERVAL '5' SECOND)";
  run(script("flink_sessions.sql",
             "CREATE TABLE src (UserId VARCHAR, OrderId VARCHAR, price DOUBLE, `timestamp` BIGINT,\n"
             "  PRIMARY KEY (UserId, OrderId)) WITH (type = 'ots', tableName = 'OrderSource');\n"
             "CREATE TABLE sessions (UserId VARCHAR, `begin` VARCHAR, `end` VARCHAR, `count` BIGINT,\n"
             "  totalPrice DOUBLE, PRIMARY KEY (UserId, `begin`)) WITH (type = 'ots', tableName = "
             "'UserSessions');\n"
             "INSERT INTO sessions SELECT UserId, CAST(SESSION_START(TO_TIMESTAMP_LTZ(`timestamp`, 3), "
             "INTERVAL '5' SECOND) AS VARCHAR), CAST(SESSION_END(TO_TIMESTAMP_LTZ(`timestamp`, 3), "
             "INTERVAL '5' SECOND) AS VARCHAR), count(*), sum(price)\n"
             "FROM src GROUP BY UserId, " + session));
  check_rows(scan_jsonl("UserSessions"), expected, {"UserId", "begin"}, columns);
}

TEST_CASE_FIXTURE(job_fixture, "a late-row table holds exactly the rows that came for windows already final") {
  create_order_source();
  sql("CREATE TABLE Windows (begin STRING, end STRING, count BIGINT, totalPrice DOUBLE, "
      "PRIMARY KEY (begin, end));"
      "CREATE TABLE LateOrders (UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT, "
      "window_start STRING, window_end STRING, arrived STRING, channel BIGINT, offset BIGINT, "
      "retracted BOOLEAN, PRIMARY KEY (channel, offset, retracted, window_start))");
  // In order within each channel: nothing is late the first time.
  const int64_t t0 = 1700000000000;
  std::vector<order> on_time;
  for (int i = 0; i < 2000; ++i)
    on_time.push_back({fmt::format("u{}", i % 13), fmt::format("o{:04}", i),
                       static_cast<double>(100 + i % 700) / 4, t0 + i * 100});
  put("OrderSource", jsonl_of(on_time));
  const auto job = script("late.sql",
                          "CREATE STREAM w OPTIONS(checkpointLocation='w', lateness='10 seconds', "
                          "lateRowsTable='LateOrders')\n"
                          "INSERT INTO Windows SELECT CAST(window.start AS String) AS begin, "
                          "CAST(window.end AS String) AS end, count(*) AS count, sum(price) AS "
                          "totalPrice FROM OrderSource GROUP BY window(to_timestamp(timestamp / "
                          "1000), \"10 seconds\")");
  run(job);
  CHECK(scan_jsonl("LateOrders").empty());
  // The watermark is now 189.9 s in: windows up to [180 s, 190 s) are final. Two new orders and
  // an update and a delete of old ones come for them; one new order does not.
  const order early{"u1", "late1", 12.5, t0 + 5000}, later{"u2", "late2", 7.25, t0 + 55000},
      fresh{"u3", "fresh", 3.5, t0 + 195000};
  put("OrderSource", jsonl_of({early, later, fresh}));
  put("OrderSource",
      fmt::format(R"({{"_op":"update","UserId":"{}","OrderId":"{}","price":99.5}})", on_time[200].user,
                  on_time[200].id) + "\n" +
          fmt::format(R"({{"_op":"delete","UserId":"{}","OrderId":"{}"}})", on_time[300].user,
                      on_time[300].id) + "\n");
  auto again = run(job);
  CHECK_MESSAGE(contains(again.out, "5 late rows not applied"), again.out);
  // Final windows keep what they had; the fresh order counts.
  auto applied = on_time;
  applied.push_back(fresh);
  check_windows(scan_jsonl("Windows"), applied, 10);
  // Exactly the late images, each with its window and change record.
  std::multiset<std::tuple<std::string, double, std::string, bool>> late;
  for (const auto& row : scan_jsonl("LateOrders")) {
    late.insert({row["OrderId"].get<std::string>(), row["price"].get<double>(),
                 row["window_start"].get<std::string>(), row["retracted"].get<bool>()});
    CHECK(row["window_end"].is_string());
    CHECK(!row["arrived"].get<std::string>().empty());
    CHECK(row["offset"].get<int64_t>() >= 0);
  }
  const auto& updated = on_time[200];
  const auto& deleted = on_time[300];
  std::multiset<std::tuple<std::string, double, std::string, bool>> expected = {
      {early.id, early.price, utc_text(t0), false},
      {later.id, later.price, utc_text(t0 + 50000), false},
      {updated.id, updated.price, utc_text(t0 + 20000), true},
      {updated.id, 99.5, utc_text(t0 + 20000), false},
      {deleted.id, deleted.price, utc_text(t0 + 30000), true}};
  CHECK(late == expected);
  // A late-row table of another shape is refused with the one to make.
  auto wrong = sluice("run", {"--until-drained", "-e",
                              "CREATE STREAM x OPTIONS(checkpointLocation='x', lateness='1 second', "
                              "lateRowsTable='Windows') INSERT INTO Windows SELECT CAST(window.start "
                              "AS String), CAST(window.end AS String), count(*), sum(price) FROM "
                              "OrderSource GROUP BY window(to_timestamp(timestamp / 1000), \"10 "
                              "seconds\")"});
  CHECK(wrong.exit_code != 0);
  CHECK(contains(wrong.err, "it should be CREATE TABLE Windows (UserId STRING, OrderId STRING, "
                            "price DOUBLE, timestamp BIGINT, window_start STRING"));
}

// --- seed 002, Flink: revenue per province, updates and deletes retracted

struct charge {
  std::string id, province;
  int64_t start = 0, end = 0;
  double per_hour = 0;
};

std::string row_of(const charge& c) {
  return fmt::format(
      R"({{"order_Md5ID":"{}","cabinet_province":"{}","order_start_time":{},"order_end_time":{},"cabinet_pricePerHour":{:.2f}}})",
      c.id, c.province, c.start, c.end, c.per_hour);
}

// Flink's rules: BIGINT / INT is integer division (truncated), then times the DOUBLE price.
std::vector<json> revenue(const std::map<std::string, charge>& orders) {
  std::map<std::string, std::pair<double, int64_t>> provinces;
  for (const auto& [id, c] : orders) {
    auto& [total, count] = provinces[c.province];
    total += static_cast<double>((c.end - c.start) / 3600 / 1000) * c.per_hour;
    ++count;
  }
  std::vector<json> rows;
  for (const auto& [province, t] : provinces)
    rows.push_back({{"order_province", province}, {"total_price", t.first}, {"order_count", t.second}});
  return rows;
}

// Loads charges, then updates and deletes some of them: returns the table as it ends and the
// deleted rows (as they were when deleted).
std::pair<std::map<std::string, charge>, std::map<std::string, charge>> load_charges(
    const job_fixture& f, uint32_t seed) {
  const std::vector<std::string> provinces = {"zhejiang", "beijing", "guangdong", "sichuan", "hubei"};
  std::mt19937 random(seed);
  std::map<std::string, charge> table;
  std::string rows;
  for (int i = 0; i < 2000; ++i) {
    charge c{fmt::format("md5-{:05}", i), provinces[random() % provinces.size()], 1700000000000 + i,
             0, static_cast<double>(100 + random() % 900) / 100};
    c.end = c.start + static_cast<int64_t>(random() % (12 * 3600 * 1000));
    table[c.id] = c;
    rows += row_of(c) + "\n";
  }
  f.put("order", rows);
  std::string changes;
  std::map<std::string, charge> deleted;
  for (auto& [id, c] : table) {
    auto pick = random() % 10;
    if (pick == 0) {
      c.province = provinces[random() % provinces.size()];
      c.end += 3600 * 1000;
      changes += fmt::format(R"({{"_op":"update","order_Md5ID":"{}","cabinet_province":"{}","order_end_time":{}}})",
                             id, c.province, c.end) + "\n";
    } else if (pick == 1) {
      deleted[id] = c;
      changes += fmt::format(R"({{"_op":"delete","order_Md5ID":"{}"}})", id) + "\n";
    }
  }
  f.put("order", changes);
  for (const auto& [id, c] : deleted) table.erase(id);
  return {table, deleted};
}

TEST_CASE_FIXTURE(job_fixture, "seed 002 as written: Flink's revenue per province retracts updates and deletes") {
  ok(sluice("sql", {(examples_sql() / "seed_002" / "tables.sql").string()}), "tables.sql");
  auto [table, deleted] = load_charges(*this, 2);
  REQUIRE(!deleted.empty());
  run(examples_sql() / "seed_002" / "job.sql");
  check_rows(scan_jsonl("order_sink"), revenue(table), {"order_province"},
             {{"order_count", match::exact}, {"total_price", match::relative}});
}

TEST_CASE_FIXTURE(job_fixture, "seed 002 with ignoreDelete = 'true': deleted orders stay counted") {
  ok(sluice("sql", {(examples_sql() / "seed_002" / "tables.sql").string()}), "tables.sql");
  auto [table, deleted] = load_charges(*this, 5);
  auto job = replace_once(read_file(examples_sql() / "seed_002" / "job.sql"),
                          "ignoreDelete = 'false'", "ignoreDelete = 'true'");
  run(script("ignore_delete.sql", job));
  table.insert(deleted.begin(), deleted.end());
  check_rows(scan_jsonl("order_sink"), revenue(table), {"order_province"},
             {{"order_count", match::exact}, {"total_price", match::relative}});
}

TEST_CASE_FIXTURE(job_fixture, "Flink tables are checked against the store, and a script keeps to one dialect") {
  ok(sluice("sql", {(examples_sql() / "seed_002" / "tables.sql").string()}), "tables.sql");
  auto job = read_file(examples_sql() / "seed_002" / "job.sql");
  auto missing = sluice("run", {"--until-drained", script("missing.sql", replace_once(job, "tableName ='order',", "tableName ='orders',")).string()});
  CHECK(missing.exit_code != 0);
  CHECK(contains(missing.err, "no table 'orders'"));
  CHECK(contains(missing.err, "create it first, e.g. sluice sql -e 'CREATE TABLE orders (order_Md5ID STRING"));
  auto retyped = sluice("run", {"--until-drained", script("retyped.sql", replace_once(job, "order_start_time BIGINT  ,", "order_start_time DOUBLE,")).string()});
  CHECK(contains(retyped.err, "order_source declares column order_start_time as DOUBLE, but store "
                              "table order has it as BIGINT"));
  auto mixed = sluice("run", {"--until-drained", script("mixed.sql", job + "\nCREATE SCAN s ON order_source USING STREAM;").string()});
  CHECK(contains(mixed.err, "CREATE SCAN is Spark SQL, but this script is in Flink's dialect"));
}

}  // namespace
}  // namespace sluice::cli

// Streaming joins end to end, as seed 004 uses them: orders joined with customers into a
// detail table (DWD), the per-region aggregate of a LEFT JOIN in the same job, and a layered job
// that aggregates the detail table from its tunnel (DWS). Inserts, updates and deletes come on
// both sides between runs, one run is killed with SIGKILL, and at the end every result table must
// equal the join and aggregates recomputed here from the two tables as they then are.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/support/job_fixture.hpp"

namespace sluice::testing {
namespace {

struct customer {
  int64_t age;
  std::string name;
};
struct order_row {
  int64_t revenue;  // whole numbers: the sums are exact in any order
  std::string region;
  int64_t customer;
};

const char* regions[] = {"beijing", "shanghai", "hangzhou", "shenzhen"};

// The two tables as the test wrote them, and the changes of one round as JSON lines.
struct tables {
  std::map<int64_t, customer> customers;
  std::map<int64_t, order_row> orders;

  void change(std::mt19937& random, int orders_n, int customers_n, std::string& order_lines,
              std::string& customer_lines) {
    auto pick = [&](int n) { return static_cast<int64_t>(random() % n); };
    for (int i = 0; i < customers_n; ++i) {
      int64_t id = pick(400);
      if (pick(5) == 0 && customers.count(id)) {
        customers.erase(id);
        customer_lines += json{{"_op", "delete"}, {"customer_id", id}}.dump() + "\n";
        continue;
      }
      customer c{20 + pick(50), "c" + std::to_string(pick(1000))};
      customers[id] = c;
      customer_lines +=
          json{{"customer_id", id}, {"customer_age", c.age}, {"customer_name", c.name}}.dump() + "\n";
    }
    for (int i = 0; i < orders_n; ++i) {
      int64_t id = pick(4000);
      if (pick(6) == 0 && orders.count(id)) {
        orders.erase(id);
        order_lines += json{{"_op", "delete"}, {"order_id", id}}.dump() + "\n";
        continue;
      }
      order_row o{1 + pick(100), regions[pick(4)], pick(450)};  // some customers never exist
      orders[id] = o;
      order_lines += json{{"order_id", id}, {"order_revenue", static_cast<double>(o.revenue)},
                          {"order_region", o.region}, {"customer_id", o.customer}}
                         .dump() +
                     "\n";
    }
  }
};

TEST_CASE_FIXTURE(job_fixture, "joined and layered tables equal a recomputation after changes on both sides and a SIGKILL") {
  sql("CREATE TABLE orders (order_id BIGINT, order_revenue DOUBLE, order_region STRING, "
      "customer_id BIGINT, PRIMARY KEY (order_id)) WITH (channels = 4);"
      "CREATE TABLE customers (customer_id BIGINT, customer_age BIGINT, customer_name STRING, "
      "PRIMARY KEY (customer_id)) WITH (channels = 2);"
      "CREATE TABLE dwd (order_id BIGINT, order_revenue DOUBLE, order_region STRING, "
      "customer_id BIGINT, customer_age BIGINT, customer_name STRING, PRIMARY KEY (order_id));"
      "CREATE TABLE by_region (order_region STRING, orders BIGINT, known BIGINT, revenue DOUBLE, "
      "PRIMARY KEY (order_region));"
      "CREATE TABLE dws (order_region STRING, order_cnt BIGINT, order_total_revenue DOUBLE, "
      "PRIMARY KEY (order_region))");
  const auto jobs = script("jobs.sql", R"(
CREATE SCAN o_stream ON orders USING STREAM;
CREATE SCAN c_stream ON customers USING STREAM;
CREATE SCAN dwd_stream ON dwd USING STREAM;
CREATE STREAM to_dwd OPTIONS(checkpointLocation = 'cp_dwd', checkpoint.interval = 100)
INSERT INTO dwd SELECT o.order_id, o.order_revenue, o.order_region, c.customer_id, c.customer_age,
  c.customer_name FROM c_stream c JOIN o_stream o ON c.customer_id = o.customer_id;
CREATE STREAM regions OPTIONS(checkpointLocation = 'cp_regions', checkpoint.interval = 100)
INSERT INTO by_region SELECT order_region, count(*), count(customer_name), sum(order_revenue)
  FROM o_stream o LEFT JOIN c_stream c ON o.customer_id = c.customer_id GROUP BY order_region;
CREATE STREAM to_dws OPTIONS(checkpointLocation = 'cp_dws', checkpoint.interval = 100)
INSERT INTO dws SELECT order_region, count(*), sum(order_revenue) FROM dwd_stream GROUP BY order_region;
)");
  tables model;
  std::mt19937 random(2026);
  auto round = [&](int orders_n, int customers_n) {
    std::string order_lines, customer_lines;
    model.change(random, orders_n, customers_n, order_lines, customer_lines);
    put("customers", customer_lines);
    put("orders", order_lines);
  };
  round(6000, 600);
  {
    // Killed while it works through the first rounds' changes.
    background_process run({SLUICE_BINARY, "run", "--data", data, jobs.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    run.stop();
  }
  round(3000, 300);
  this->run(jobs);
  round(3000, 300);
  this->run(jobs);

  std::vector<json> dwd, by_region, dws;
  std::map<std::string, std::array<int64_t, 3>> regions_expected, dws_expected;
  for (const auto& [id, o] : model.orders) {
    auto c = model.customers.find(o.customer);
    auto& r = regions_expected[o.region];
    ++r[0];
    r[2] += o.revenue;
    if (c == model.customers.end()) continue;
    ++r[1];
    dwd.push_back({{"order_id", id}, {"order_revenue", static_cast<double>(o.revenue)},
                   {"order_region", o.region}, {"customer_id", o.customer},
                   {"customer_age", c->second.age}, {"customer_name", c->second.name}});
    auto& d = dws_expected[o.region];
    ++d[0];
    d[1] += o.revenue;
  }
  for (const auto& [region, r] : regions_expected)
    by_region.push_back({{"order_region", region}, {"orders", r[0]}, {"known", r[1]},
                         {"revenue", static_cast<double>(r[2])}});
  for (const auto& [region, d] : dws_expected)
    dws.push_back({{"order_region", region}, {"order_cnt", d[0]},
                   {"order_total_revenue", static_cast<double>(d[1])}});
  REQUIRE(dwd.size() > 1000);
  CHECK(rows_text(scan_jsonl("dwd")) == rows_text(dwd));
  CHECK(rows_text(scan_jsonl("by_region")) == rows_text(by_region));
  CHECK(rows_text(scan_jsonl("dws")) == rows_text(dws));
}

TEST_CASE_FIXTURE(job_fixture, "join errors name what is wrong") {
  sql("CREATE TABLE a (k BIGINT, s STRING, PRIMARY KEY (k)); CREATE TABLE b (k STRING, t STRING, "
      "PRIMARY KEY (k)); CREATE TABLE out (k BIGINT, PRIMARY KEY (k))");
  auto error_of = [&](const std::string& query) {
    auto result = sluice("sql", {"-e", query});
    CHECK(result.exit_code != 0);
    return result.err;
  };
  CHECK(error_of("SELECT s FROM a JOIN b ON a.k = b.k").find("the join compares BIGINT with STRING") !=
        std::string::npos);
  CHECK(error_of("SELECT k FROM a x JOIN a y ON x.s = y.s").find("column k is in x and in y") !=
        std::string::npos);
  CHECK(error_of("SELECT a.k FROM a JOIN b ON a.s < b.t").find("a join condition is equalities") !=
        std::string::npos);
  CHECK(error_of("SELECT a.k FROM a JOIN a ON a.s = a.s").find("give them aliases") !=
        std::string::npos);
}

TEST_CASE_FIXTURE(job_fixture, "seed 004's Flink DDL: starrocks tables, NOT NULL, IF NOT EXISTS and a statement set") {
  sql("CREATE TABLE orders (order_id BIGINT, order_region STRING, PRIMARY KEY (order_id));"
      "CREATE TABLE ods_orders (order_id BIGINT, order_region STRING, PRIMARY KEY (order_id));"
      "CREATE TABLE ods_regions (order_region STRING, n BIGINT, PRIMARY KEY (order_region))");
  put("orders", "{\"order_id\":1,\"order_region\":\"beijing\"}\n"
                "{\"order_id\":2,\"order_region\":\"beijing\"}\n"
                "{\"order_id\":3,\"order_region\":\"shanghai\"}\n");
  const auto job = script("seed004.sql", R"(
CREATE TABLE IF NOT EXISTS `orders_src` (`order_id` INT NOT NULL, `order_region` STRING NOT NULL,
  PRIMARY KEY(`order_id`) NOT ENFORCED)
with ('connector' = 'starrocks', 'database-name' = 'flink_cdc', 'table-name' = 'orders',
      'username' = 'admin', 'password' = '', 'sink.properties.format' = 'json');
CREATE TABLE IF NOT EXISTS `orders_sink` (`order_id` INT NOT NULL, `order_region` STRING NOT NULL,
  PRIMARY KEY(`order_id`) NOT ENFORCED)
with ('connector' = 'starrocks', 'table-name' = 'ods_orders', 'jdbc-url' = 'jdbc:mysql://fe:9030',
      'load-url' = 'fe:8030');
CREATE TABLE `regions_sink` (`order_region` STRING, `n` BIGINT, PRIMARY KEY(`order_region`) NOT ENFORCED)
with ('connector' = 'starrocks', 'table-name' = 'ods_regions');
BEGIN STATEMENT SET;
INSERT INTO orders_sink SELECT order_id, order_region FROM orders_src;
INSERT INTO regions_sink SELECT order_region, count(*) FROM orders_src GROUP BY order_region;
END;
)");
  run(job);
  CHECK(rows_text(scan_jsonl("ods_orders")) == rows_text(scan_jsonl("orders")));
  CHECK(rows_text(scan_jsonl("ods_regions")) ==
        rows_text({{{"order_region", "beijing"}, {"n", 2}}, {{"order_region", "shanghai"}, {"n", 1}}}));
  auto cdc = sluice("run", {"-e", "CREATE TABLE o (id INT, PRIMARY KEY (id) NOT ENFORCED) WITH "
                                  "('connector' = 'mysql-cdc', 'hostname' = 'db')"});
  CHECK(cdc.exit_code != 0);
  CHECK_MESSAGE(cdc.err.find("o needs 'username' = '...'") != std::string::npos, cdc.err);
  CHECK_MESSAGE(cdc.err.find("the tables and tunnels it created were dropped again") !=
                    std::string::npos,
                cdc.err);
}

TEST_CASE_FIXTURE(job_fixture, "seed 004's StarRocks DDL: a TIMESTAMP key, put and scanned back, filtered and windowed") {
  const auto ddl = script("starrocks.sql",
                          read_file(examples_sql() / "seed_004" / "starrocks.sql") + R"(
CREATE TABLE buckets (start TIMESTAMP, orders BIGINT, revenue DOUBLE, PRIMARY KEY (start));
CREATE TABLE due (order_id BIGINT, due TIMESTAMP, PRIMARY KEY (order_id));
)");
  const auto created = ok(sluice("sql", {ddl.string()}), "sql starrocks.sql").out;
  CHECK_MESSAGE(created.find("database flink_cdc: nothing to create") != std::string::npos, created);
  auto row = [](std::string at, int id, double revenue) {
    return json{{"timestamp", at},    {"order_id", id},     {"order_revenue", revenue},
                {"order_region", "n"}, {"customer_id", 7},  {"customer_age", 30.0},
                {"customer_name", "c"}};
  };
  const std::vector<json> rows = {row("2026-12-02 09:59:59", 3, 5), row("2026-12-02 10:03:00", 1, 10),
                                  row("2026-12-02 10:12:00.5", 2, 20), row("2026-12-02 10:19:59", 4, 1)};
  std::string jsonl;
  for (const auto& r : rows) jsonl += r.dump() + "\n";
  put("dwd_order_customer_valid", jsonl);
  CHECK(rows_text(scan_jsonl("dwd_order_customer_valid")) == rows_text(rows));
  // The output read back is the same rows.
  const auto csv = ok(sluice("scan", {"dwd_order_customer_valid"}), "scan").out;
  CHECK(csv.find("2026-12-02 10:12:00.5,2,") != std::string::npos);
  ok(sluice("put", {"dwd_order_customer_valid", "--format", "csv"}, csv), "put csv");
  CHECK(rows_text(scan_jsonl("dwd_order_customer_valid")) == rows_text(rows));
  auto bad = sluice("put", {"dwd_order_customer_valid", "--format", "jsonl"},
                    row("2026-12-02 10:00", 9, 1).dump() + "\n");
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(bad.err.find("line 1, column 'timestamp': expected TIMESTAMP") != std::string::npos, bad.err);

  // A stream of 10-minute buckets from 10:00 on, and a batch job of DATE_ADD.
  run(script("buckets.sql", R"(CREATE STREAM buckets OPTIONS(checkpointLocation='buckets')
INSERT INTO buckets SELECT window.start, count(*), sum(order_revenue) FROM dwd_order_customer_valid
WHERE `timestamp` >= '2026-12-02 10:00:00' GROUP BY window(`timestamp`, '10 minutes'))"));
  CHECK(rows_text(scan_jsonl("buckets")) ==
        rows_text({{{"start", "2026-12-02 10:00:00"}, {"orders", 1}, {"revenue", 10.0}},
                   {{"start", "2026-12-02 10:10:00"}, {"orders", 2}, {"revenue", 21.0}}}));
  ok(sluice("sql", {"-e", "INSERT INTO due SELECT order_id, DATE_ADD(`timestamp`, INTERVAL '10' MINUTE) "
                          "FROM dwd_order_customer_valid WHERE DATE_SUB(`timestamp`, INTERVAL 1 HOUR) "
                          "< TIMESTAMP '2026-12-02 09:10:00' AND `timestamp` < LOCALTIMESTAMP"}),
     "sql due");
  CHECK(rows_text(scan_jsonl("due")) == rows_text({{{"order_id", 1}, {"due", "2026-12-02 10:13:00"}},
                                                   {{"order_id", 3}, {"due", "2026-12-02 10:09:59"}}}));
  auto typo = sluice("sql", {"-e", "SELECT order_id FROM dwd_order_customer_valid\nWHERE `timestamp` >= "
                                   "'2026-12-02 10:60:00'"});
  CHECK(typo.exit_code != 0);
  CHECK_MESSAGE(typo.err.find("line 2, column 22: '2026-12-02 10:60:00' is not a TIMESTAMP") !=
                    std::string::npos,
                typo.err);
}

}  // namespace
}  // namespace sluice::testing

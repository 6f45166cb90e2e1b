// Seed 004's pipeline from a real MariaDB: its orders and customers tables are mirrored through
// Flink CDC tables ('connector' = 'mysql-cdc': a snapshot, then the binlog), joined into a
// detail table (DWD) and aggregated per region from that table's tunnel (DWS). Inserts, updates
// and deletes come on both tables while the jobs run, `sluice run` is killed with SIGKILL and
// MariaDB is restarted under it; at the end DWD and DWS must equal the join and the aggregate
// recomputed here from the database's final tables.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "tests/support/job_fixture.hpp"
#include "tests/support/mariadb_server.hpp"

namespace sluice::testing {
namespace {

const char* password = "S3cret!pw";
const char* regions[] = {"beijing", "shanghai", "hangzhou", "shenzhen"};

// The Flink DDL of seed 004's CDC tables, pointed at `port`, and the two jobs.
std::string pipeline(uint16_t port) {
  auto cdc_options = [&](const char* table) {
    return fmt::format("'connector' = 'mysql-cdc', 'hostname' = '127.0.0.1', 'port' = '{}', "
                       "'username' = 'sluice', 'password' = '{}', 'database-name' = 'flink_cdc', "
                       "'table-name' = '{}'",
                       port, password, table);
  };
  return fmt::format(R"(
CREATE TABLE IF NOT EXISTS `orders_src`(
  `order_id` INT NOT NULL,
  `order_revenue` FLOAT NOT NULL,
  `order_region` STRING NOT NULL,
  `customer_id` INT NOT NULL,
  PRIMARY KEY(`order_id`) NOT ENFORCED
) with ({});
CREATE TABLE IF NOT EXISTS `customers_src` (
  `customer_id` INT NOT NULL,
  `customer_age` FLOAT NOT NULL,
  `customer_name` STRING NOT NULL,
  PRIMARY KEY(`customer_id`) NOT ENFORCED
) with ({});
INSERT INTO dwd_order_customer_valid
SELECT o.order_id, o.order_revenue, o.order_region, c.customer_id, c.customer_age, c.customer_name
FROM customers_src c JOIN orders_src o ON c.customer_id = o.customer_id;
INSERT INTO dws_agg_by_region
SELECT order_region, count(*) AS order_cnt, sum(order_revenue) AS order_total_revenue
FROM dwd_order_customer_valid GROUP BY order_region;
)",
                     cdc_options("orders"), cdc_options("customers"));
}

// One round of changes to both tables as SQL: revenues are multiples of 0.25, exact as FLOAT.
std::string changes(std::mt19937& random, int orders, int customers) {
  auto pick = [&](int n) { return static_cast<int>(random() % n); };
  std::string sql;
  for (int i = 0; i < customers; ++i) {
    int id = pick(300);
    switch (pick(4)) {
      case 0: sql += fmt::format("DELETE FROM flink_cdc.customers WHERE customer_id = {};", id); break;
      case 1:
        sql += fmt::format("UPDATE flink_cdc.customers SET customer_name = 'renamed{}' "
                           "WHERE customer_id = {};", pick(1000), id);
        break;
      default:
        sql += fmt::format("REPLACE INTO flink_cdc.customers VALUES ({}, {}, 'c{}');", id,
                           20 + pick(50), pick(1000));
    }
  }
  std::string values;
  for (int i = 0; i < orders; ++i)
    values += fmt::format("{}({}, '{}', {})", values.empty() ? "" : ",", 0.25 * (1 + pick(400)),
                          regions[pick(4)], pick(330));
  sql += "INSERT INTO flink_cdc.orders (order_revenue, order_region, customer_id) VALUES " +
         values + ";";
  for (int i = 0; i < orders / 10; ++i) {
    int id = 1 + pick(orders * 3);
    if (pick(3) == 0)
      sql += fmt::format("DELETE FROM flink_cdc.orders WHERE order_id = {};", id);
    else
      sql += fmt::format("UPDATE flink_cdc.orders SET order_region = '{}', customer_id = {} "
                         "WHERE order_id = {};", regions[pick(4)], pick(330), id);
  }
  // Several changes in one transaction land together.
  return "START TRANSACTION;" + sql + "COMMIT;";
}

std::vector<std::vector<std::string>> tsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto& row = rows.emplace_back();
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) row.push_back(cell);
  }
  return rows;
}

// DWD and DWS recomputed from the database's tables as they are now.
std::pair<std::string, std::string> expected(const mariadb_server& server) {
  std::map<int64_t, std::pair<double, std::string>> customers;
  for (const auto& row : tsv(server.sql("SELECT customer_id, customer_age, customer_name FROM "
                                        "flink_cdc.customers")))
    customers[std::stoll(row[0])] = {std::stod(row[1]), row[2]};
  std::vector<json> dwd, dws;
  std::map<std::string, std::pair<int64_t, double>> by_region;
  for (const auto& row : tsv(server.sql("SELECT order_id, CAST(order_revenue AS DOUBLE), "
                                        "order_region, customer_id FROM flink_cdc.orders"))) {
    auto customer = customers.find(std::stoll(row[3]));
    if (customer == customers.end()) continue;
    double revenue = std::stod(row[1]);
    dwd.push_back({{"order_id", std::stoll(row[0])}, {"order_revenue", revenue},
                   {"order_region", row[2]}, {"customer_id", customer->first},
                   {"customer_age", customer->second.first},
                   {"customer_name", customer->second.second}});
    auto& region = by_region[row[2]];
    ++region.first;
    region.second += revenue;
  }
  for (const auto& [region, totals] : by_region)
    dws.push_back({{"order_region", region}, {"order_cnt", totals.first},
                   {"order_total_revenue", totals.second}});
  return {rows_text(dwd), rows_text(dws)};
}

struct cdc_fixture : job_fixture {
  mariadb_server server;

  cdc_fixture() {
    server.sql(fmt::format(
        "CREATE DATABASE flink_cdc;"
        "CREATE TABLE flink_cdc.orders (order_id INT NOT NULL AUTO_INCREMENT, order_revenue "
        "FLOAT NOT NULL, order_region VARCHAR(40) NOT NULL, customer_id INT NOT NULL, "
        "PRIMARY KEY (order_id));"
        "CREATE TABLE flink_cdc.customers (customer_id INT NOT NULL, customer_age INT NOT NULL, "
        "customer_name VARCHAR(40) NOT NULL, PRIMARY KEY (customer_id));"
        "CREATE USER 'sluice'@'%' IDENTIFIED BY '{}';"
        "GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR ON *.* TO "
        "'sluice'@'%';",
        password));
    sql("CREATE TABLE dwd_order_customer_valid (order_id BIGINT, order_revenue DOUBLE, "
        "order_region STRING, customer_id BIGINT, customer_age DOUBLE, customer_name STRING, "
        "PRIMARY KEY (order_id));"
        "CREATE TABLE dws_agg_by_region (order_region STRING, order_cnt BIGINT, "
        "order_total_revenue DOUBLE, PRIMARY KEY (order_region))");
  }

  // Whether DWD and DWS equal the recomputation, polled until `deadline`.
  bool converges(std::chrono::seconds within) {
    auto want = expected(server);
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (rows_text(scan_jsonl("dwd_order_customer_valid")) == want.first &&
          rows_text(scan_jsonl("dws_agg_by_region")) == want.second)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    CHECK(rows_text(scan_jsonl("dwd_order_customer_valid")) == want.first);
    CHECK(rows_text(scan_jsonl("dws_agg_by_region")) == want.second);
    return false;
  }
};

TEST_CASE("seed 004 from a real MariaDB: DWD and DWS stay exact through changes, a SIGKILL and a "
          "database restart") {
  if (!mariadb_server::installed()) {
    MESSAGE("skipped: MariaDB is not installed (scripts/setup installs mariadb-server)");
    return;
  }
  cdc_fixture f;
  std::mt19937 random(4004);
  f.server.sql(changes(random, 3000, 400));
  const auto jobs = f.script("seed004.sql", pipeline(f.server.port()));
  const std::vector<std::string> run_args = {SLUICE_BINARY, "run", "--data", f.data, jobs.string()};
  {
    background_process run(run_args);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    f.server.sql(changes(random, 500, 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    run.stop();  // SIGKILL, in the middle of whatever it does
  }
  f.server.sql(changes(random, 500, 100));
  background_process run(run_args);
  f.server.sql(changes(random, 500, 100));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  f.server.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  f.server.start();
  f.server.sql(changes(random, 500, 100));
  CHECK(f.converges(std::chrono::seconds(60)));
  auto ended = run.terminate(std::chrono::seconds(30));
  CHECK_MESSAGE(ended.exit_code == 0, ended.err);
  CHECK_MESSAGE(ended.err.find("retrying") != std::string::npos, ended.err);
  CHECK(ended.out.find(password) == std::string::npos);
  CHECK(ended.err.find(password) == std::string::npos);
  // The drained run catches up with the binlog first and stays exact.
  f.server.sql(changes(random, 300, 50));
  auto drained = f.run(jobs);
  CHECK(drained.out.find("caught up with the binlog") != std::string::npos);
  CHECK(f.converges(std::chrono::seconds(1)));
}

TEST_CASE("a mysql-cdc table naming what the server lacks is refused with what is wrong") {
  if (!mariadb_server::installed()) {
    MESSAGE("skipped: MariaDB is not installed (scripts/setup installs mariadb-server)");
    return;
  }
  cdc_fixture f;
  auto refused = [&](const std::string& table, const std::string& column, const std::string& user,
                     const std::string& pass) {
    auto text = fmt::format(
        "CREATE TABLE t ({} INT, PRIMARY KEY ({}) NOT ENFORCED) WITH ('connector' = 'mysql-cdc', "
        "'hostname' = '127.0.0.1', 'port' = '{}', 'username' = '{}', 'password' = '{}', "
        "'database-name' = 'flink_cdc', 'table-name' = '{}');"
        "INSERT INTO dws_agg_by_region SELECT 'all', count(*), 0 FROM t;",
        column, column, f.server.port(), user, pass, table);
    auto result = f.sluice("run", {"--until-drained", "-e", text});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find(pass) == std::string::npos);
    return result.err;
  };
  CHECK_MESSAGE(refused("nosuch", "order_id", "sluice", password)
                        .find("the server has no table flink_cdc.nosuch") != std::string::npos,
                "");
  auto no_column = refused("orders", "order_no", "sluice", password);
  CHECK_MESSAGE(no_column.find("flink_cdc.orders has no column order_no; it has order_id, "
                               "order_revenue, order_region, customer_id") != std::string::npos,
                no_column);
  auto denied = refused("orders", "order_id", "sluice", "wrong-password");
  CHECK_MESSAGE(denied.find("Access denied") != std::string::npos, denied);
}

}  // namespace
}  // namespace sluice::testing

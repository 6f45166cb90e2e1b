// Seed 004's pipeline from a real MariaDB, run from examples/sql/seed_004 as written: its orders
// and customers tables are mirrored through Flink CDC tables ('connector' = 'mysql-cdc': a
// snapshot, then the binlog), copied into the ODS tables with LOCALTIMESTAMP, joined into the
// detail table (DWD) and aggregated per region and 10-minute bucket from that table's tunnel
// (DWS). Inserts, updates and deletes come on both tables while the jobs run, `sluice run` is
// killed with SIGKILL and MariaDB is restarted under it; at the end ODS, DWD and DWS must equal
// the copies, the join and the aggregate recomputed here from the database's final tables.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/cluster.hpp"
#include "tests/support/job_fixture.hpp"
#include "tests/support/mariadb_server.hpp"

namespace sluice::testing {
namespace {

// The seed's account, as demo.sql names it.
const char* user = "emr_test";
const char* password = "@EMR!010beijing";
const char* regions[] = {"beijing", "shanghai", "hangzhou", "shenzhen"};

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

// The ODS, DWD and DWS tables as they must be, recomputed here from the database's tables as
// they are now. ODS rows carry the time their copy job first started (LOCALTIMESTAMP: one
// value per job, `orders_loaded` and `customers_loaded`), DWD rows the order's, and DWS groups
// them per region in the 10-minute bucket of that time, with the revenue truncated to INT.
struct layers {
  std::string ods_orders, ods_customers, dwd, dws;
  bool operator==(const layers&) const = default;
};
layers expected(const mariadb_server& server, const std::string& orders_loaded,
                const std::string& customers_loaded) {
  std::vector<json> ods_orders, ods_customers, dwd, dws;
  std::map<int64_t, std::pair<double, std::string>> customers;
  for (const auto& row : tsv(server.sql("SELECT customer_id, customer_age, customer_name FROM "
                                        "flink_cdc.customers"))) {
    customers[std::stoll(row[0])] = {std::stod(row[1]), row[2]};
    ods_customers.push_back({{"timestamp", customers_loaded}, {"customer_id", std::stoll(row[0])},
                             {"customer_age", std::stod(row[1])}, {"customer_name", row[2]}});
  }
  std::map<std::string, std::pair<int64_t, double>> by_region;
  for (const auto& row : tsv(server.sql("SELECT order_id, CAST(order_revenue AS DOUBLE), "
                                        "order_region, customer_id FROM flink_cdc.orders"))) {
    double revenue = std::stod(row[1]);
    ods_orders.push_back({{"timestamp", orders_loaded}, {"order_id", std::stoll(row[0])},
                          {"order_revenue", revenue}, {"order_region", row[2]},
                          {"customer_id", std::stoll(row[3])}});
    auto customer = customers.find(std::stoll(row[3]));
    if (customer == customers.end()) continue;
    dwd.push_back({{"timestamp", orders_loaded}, {"order_id", std::stoll(row[0])},
                   {"order_revenue", revenue}, {"order_region", row[2]},
                   {"customer_id", customer->first}, {"customer_age", customer->second.first},
                   {"customer_name", customer->second.second}});
    auto& region = by_region[row[2]];
    ++region.first;
    region.second += revenue;
  }
  // "yyyy-MM-dd HH:mm..." -> "yyyy-MM-dd HH:m0:00"
  const std::string bucket = orders_loaded.substr(0, 15) + "0:00";
  for (const auto& [region, totals] : by_region)
    dws.push_back({{"timestamp", bucket}, {"order_region", region}, {"order_cnt", totals.first},
                   {"order_total_revenue", static_cast<int64_t>(totals.second)}});
  return {rows_text(ods_orders), rows_text(ods_customers), rows_text(dwd), rows_text(dws)};
}

struct cdc_fixture : job_fixture {
  mariadb_server server;

  // The seed's MySQL tables (step 1) and its account, and its StarRocks tables (step 2) in the
  // store, from examples/sql/seed_004 as written.
  cdc_fixture() {
    server.sql(read_file(examples_sql() / "seed_004" / "mysql.sql") +
               fmt::format("CREATE USER '{}'@'%' IDENTIFIED BY '{}';"
                           "GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, "
                           "BINLOG MONITOR ON *.* TO '{}'@'%';",
                           user, password, user));
    ok(sluice("sql", {(examples_sql() / "seed_004" / "starrocks.sql").string()}), "starrocks.sql");
  }

  // The seed's Flink CDC job (step 3) as written, its port this server's.
  std::filesystem::path demo() const {
    auto text = read_file(examples_sql() / "seed_004" / "demo.sql");
    const std::string written = "'port' = '3306'";
    for (auto at = text.find(written); at != std::string::npos; at = text.find(written))
      text.replace(at, written.size(), fmt::format("'port' = '{}'", server.port()));
    return script("demo.sql", text);
  }

  // The one load time of an ODS table's rows ("" when empty; two or more fail the test).
  std::string loaded(const std::string& table) const {
    std::set<std::string> times;
    for (const auto& row : scan_jsonl(table)) times.insert(row["timestamp"].get<std::string>());
    CHECK_MESSAGE(times.size() <= 1, table << " rows carry " << times.size() << " load times");
    return times.empty() ? std::string() : *times.begin();
  }

  layers actual() const {
    return {rows_text(scan_jsonl("orders")), rows_text(scan_jsonl("customers")),
            rows_text(scan_jsonl("dwd_order_customer_valid")),
            rows_text(scan_jsonl("dws_agg_by_region"))};
  }

  // Whether every layer equals the recomputation, polled until `within` has passed.
  bool converges(std::chrono::seconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (actual() == expected(server, loaded("orders"), loaded("customers"))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    auto want = expected(server, loaded("orders"), loaded("customers"));
    auto got = actual();
    CHECK(got.ods_orders == want.ods_orders);
    CHECK(got.ods_customers == want.ods_customers);
    CHECK(got.dwd == want.dwd);
    CHECK(got.dws == want.dws);
    return false;
  }
};

TEST_CASE("seed 004's scripts as written, from a real MariaDB: ODS, DWD and DWS stay exact "
          "through changes, a SIGKILL and a database restart") {
  if (!mariadb_server::installed()) {
    MESSAGE("skipped: MariaDB is not installed (scripts/setup installs mariadb-server)");
    return;
  }
  cdc_fixture f;
  std::mt19937 random(4004);
  f.server.sql(changes(random, 3000, 400));
  const auto demo = f.demo();
  const auto layers = examples_sql() / "seed_004" / "layers.sql";
  const std::vector<std::string> run_args = {SLUICE_BINARY, "run", "--data", f.data,
                                             demo.string(), layers.string()};
  std::string first_load;
  {
    background_process run(run_args);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    f.server.sql(changes(random, 500, 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    run.stop();  // SIGKILL, in the middle of whatever it does
  }
  first_load = f.loaded("orders");
  f.server.sql(changes(random, 500, 100));
  background_process run(run_args);
  f.server.sql(changes(random, 500, 100));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  f.server.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  f.server.start();
  f.server.sql(changes(random, 500, 100));
  CHECK(f.converges(std::chrono::seconds(60)));
  // A restart keeps LOCALTIMESTAMP: rows written before the kill and after carry one time.
  if (!first_load.empty()) CHECK(f.loaded("orders") == first_load);
  auto ended = run.terminate(std::chrono::seconds(30));
  CHECK_MESSAGE(ended.exit_code == 0, ended.err);
  CHECK_MESSAGE(ended.err.find("retrying") != std::string::npos, ended.err);
  CHECK(ended.out.find(password) == std::string::npos);
  CHECK(ended.err.find(password) == std::string::npos);
  // The drained run catches up with the binlog first and stays exact.
  f.server.sql(changes(random, 300, 50));
  auto drained = f.ok(f.sluice("run", {"--until-drained", demo.string(), layers.string()}),
                      "run --until-drained");
  CHECK(drained.out.find("caught up with the binlog") != std::string::npos);
  CHECK(f.converges(std::chrono::seconds(1)));
}

TEST_CASE("seed 004 on a cluster: the coordinator follows the mysql-cdc tables, also after it is "
          "killed and started again") {
  if (!mariadb_server::installed()) {
    MESSAGE("skipped: MariaDB is not installed (scripts/setup installs mariadb-server)");
    return;
  }
  cdc_fixture f;
  std::mt19937 random(4005);
  f.server.sql(changes(random, 2000, 300));
  cluster c;
  c.start_store();
  c.start_coordinator();
  c.start_worker();
  c.start_worker();
  c.wait_for_workers(2);
  c.sluice({"sql", "--coordinator", c.coordinator_address,
            (examples_sql() / "seed_004" / "starrocks.sql").string()},
           "starrocks.sql");
  c.sluice({"sql", "--coordinator", c.coordinator_address, f.demo().string(),
            (examples_sql() / "seed_004" / "layers.sql").string()},
           "demo.sql layers.sql");
  f.server.sql(changes(random, 500, 100));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  c.coordinator->stop();  // SIGKILL: its mirrors die with it
  f.server.sql(changes(random, 500, 100));
  c.start_coordinator();
  f.server.sql(changes(random, 500, 100));
  auto actual = [&] {
    return layers{rows_text(c.scan("orders")), rows_text(c.scan("customers")),
                  rows_text(c.scan("dwd_order_customer_valid")),
                  rows_text(c.scan("dws_agg_by_region"))};
  };
  auto loaded = [&](const std::string& table) {
    std::set<std::string> times;
    for (const auto& row : c.scan(table)) times.insert(row["timestamp"].get<std::string>());
    CHECK_MESSAGE(times.size() <= 1, table << " rows carry " << times.size() << " load times");
    return times.empty() ? std::string() : *times.begin();
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline &&
         actual() != expected(f.server, loaded("orders"), loaded("customers")))
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto want = expected(f.server, loaded("orders"), loaded("customers"));
  auto got = actual();
  CHECK(got.ods_orders == want.ods_orders);
  CHECK(got.ods_customers == want.ods_customers);
  CHECK(got.dwd == want.dwd);
  CHECK(got.dws == want.dws);
  CHECK(c.logs().find(password) == std::string::npos);
}

TEST_CASE("DATETIME and TIMESTAMP columns are mirrored as UTC times, from the snapshot and the "
          "binlog") {
  if (!mariadb_server::installed()) {
    MESSAGE("skipped: MariaDB is not installed (scripts/setup installs mariadb-server)");
    return;
  }
  cdc_fixture f;
  // The server's own zone is not UTC: a TIMESTAMP is still read as the instant it is.
  f.server.sql("CREATE TABLE flink_cdc.events (id INT PRIMARY KEY, at DATETIME(6), "
               "seen TIMESTAMP(3) NULL, day DATETIME);"
               "SET time_zone = '+05:00';"
               "INSERT INTO flink_cdc.events VALUES (1, '2026-12-06 01:02:03.456789', "
               "'2026-12-06 06:00:00.250', '1969-07-20 20:17:40'), (2, NULL, NULL, NULL);");
  const auto job = f.script("events.sql", fmt::format(R"(
CREATE TABLE events (id INT, at TIMESTAMP, seen TIMESTAMP, day TIMESTAMP,
  PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'mysql-cdc', 'hostname' = '127.0.0.1',
  'port' = '{}', 'username' = '{}', 'password' = '{}', 'database-name' = 'flink_cdc',
  'table-name' = 'events');
CREATE TABLE IF NOT EXISTS event_copy (id INT, at TIMESTAMP, seen TIMESTAMP, day TIMESTAMP,
  PRIMARY KEY (id)) WITH ('connector' = 'starrocks', 'table-name' = 'event_copy');
INSERT INTO event_copy SELECT id, at, seen, day FROM events;
)",
                                                      f.server.port(), user, password));
  f.sql("CREATE TABLE event_copy (id BIGINT, at TIMESTAMP, seen TIMESTAMP, day TIMESTAMP, "
        "PRIMARY KEY (id))");
  auto expect = [&](const std::vector<json>& rows) {
    CHECK(rows_text(f.scan_jsonl("events")) == rows_text(rows));
    CHECK(rows_text(f.scan_jsonl("event_copy")) == rows_text(rows));
  };
  f.run(job);  // the snapshot
  const json nothing;
  expect({{{"id", 1}, {"at", "2026-12-06 01:02:03.456789"}, {"seen", "2026-12-06 01:00:00.25"},
           {"day", "1969-07-20 20:17:40"}},
          {{"id", 2}, {"at", nothing}, {"seen", nothing}, {"day", nothing}}});
  f.server.sql("SET time_zone = '+05:00';"
               "UPDATE flink_cdc.events SET at = '2027-01-01 00:00:00.000001', "
               "seen = '2026-12-06 05:00:00' WHERE id = 2;"
               "INSERT INTO flink_cdc.events VALUES (3, '2000-02-29 23:59:59.5', NULL, "
               "'2026-12-06 00:00:00');"
               "DELETE FROM flink_cdc.events WHERE id = 1;");
  f.run(job);  // the binlog
  expect({{{"id", 2}, {"at", "2027-01-01 00:00:00.000001"}, {"seen", "2026-12-06 00:00:00"},
           {"day", nothing}},
          {{"id", 3}, {"at", "2000-02-29 23:59:59.5"}, {"seen", nothing},
           {"day", "2026-12-06 00:00:00"}}});
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
        "INSERT INTO dws_agg_by_region SELECT LOCALTIMESTAMP, 'all', count(*), 0 FROM t;",
        column, column, f.server.port(), user, pass, table);
    auto result = f.sluice("run", {"--until-drained", "-e", text});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find(pass) == std::string::npos);
    return result.err;
  };
  CHECK_MESSAGE(refused("nosuch", "order_id", user, password)
                        .find("the server has no table flink_cdc.nosuch") != std::string::npos,
                "");
  auto no_column = refused("orders", "order_no", user, password);
  CHECK_MESSAGE(no_column.find("flink_cdc.orders has no column order_no; it has order_id, "
                               "order_revenue, order_region, customer_id") != std::string::npos,
                no_column);
  auto denied = refused("orders", "order_id", user, "wrong-password");
  CHECK_MESSAGE(denied.find("Access denied") != std::string::npos, denied);
}

}  // namespace
}  // namespace sluice::testing

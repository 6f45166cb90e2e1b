// Results in a real PostgreSQL (Debian's, started here in a temporary directory): the seed's
// 10 s job writes a PostgreSQL table through Spark's CREATE TABLE ... USING postgres, a keyed job
// through Flink's 'connector' = 'jdbc'. Orders are deleted and updated between runs, `sluice
// run` is killed with SIGKILL at random moments and PostgreSQL is restarted under a running job;
// at the end both PostgreSQL tables must equal a recomputation from the source rows.
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/cluster.hpp"
#include "tests/support/job_fixture.hpp"
#include "tests/support/postgres_server.hpp"

namespace sluice::testing {
namespace {

// Tab-separated rows as JSON objects with the given columns; numbers where `numeric` says.
std::vector<json> rows_of(const std::string& tsv, const std::vector<std::string>& columns,
                          const std::vector<bool>& numeric) {
  std::vector<json> rows;
  std::istringstream lines(tsv);
  for (std::string line; std::getline(lines, line);) {
    json row = json::object();
    std::istringstream cells(line);
    std::string cell;
    for (size_t c = 0; c < columns.size() && std::getline(cells, cell, '\t'); ++c)
      row[columns[c]] = numeric[c] ? json(std::stod(cell)) : json(cell);
    rows.push_back(row);
  }
  return rows;
}

// The seed's 10 s job as written, its sink a table of PostgreSQL, which this creates.
std::string windows_script(const postgres_server& pg) {
  pg.sql("CREATE TABLE IF NOT EXISTS order_windows (begin text PRIMARY KEY, \"end\" text, "
         "count bigint, totalprice double precision)");
  auto text = replace_once(read_file(examples_sql() / "seed_10s_window.sql"),
                           "outputMode='update'", "outputMode='update', checkpoint.interval='200'");
  text = replace_once(text, "insert into ots_order_sink_test", "insert into pg_windows");
  return fmt::format("CREATE TABLE pg_windows USING postgres OPTIONS(url='{}', "
                     "table='order_windows');\n{}",
                     pg.url(), text);
}

std::vector<json> pg_windows(const postgres_server& pg) {
  return rows_of(pg.sql("SELECT begin, \"end\", count, totalprice FROM order_windows"),
                 {"begin", "end", "count", "totalPrice"}, {false, false, true, true});
}

struct sink_fixture : job_fixture {
  postgres_server pg;

  std::filesystem::path windows_job() const { return script("windows.sql", windows_script(pg)); }

  // Orders and revenue per user in Flink's dialect; its PostgreSQL table is created by the sink.
  std::filesystem::path users_job() const {
    return script(
        "users.sql",
        fmt::format(
            "CREATE TABLE orders (UserId VARCHAR, OrderId VARCHAR, price DOUBLE, `timestamp` "
            "BIGINT) WITH (type = 'ots', tableName = 'OrderSource');\n"
            "CREATE TABLE user_totals (UserId VARCHAR, orders BIGINT, revenue DOUBLE, PRIMARY KEY "
            "(UserId) NOT ENFORCED) WITH ('connector' = 'jdbc', 'url' = "
            "'jdbc:postgresql://127.0.0.1:{}/postgres', 'table-name' = 'user_totals', "
            "'username' = 'postgres', 'sink.buffer-flush.max-rows' = '1000');\n"
            "INSERT INTO user_totals SELECT UserId, count(*), sum(price) FROM orders GROUP BY "
            "UserId;\n",
            pg.port()));
  }

  // Deletes every order of two users (their rows go from the sink), some orders of others, and
  // changes the price of some.
  void change_orders(std::mt19937& random) const {
    auto orders = source_orders();
    std::set<std::string> gone = {orders[random() % orders.size()].user,
                                  orders[random() % orders.size()].user};
    std::string changes;
    for (const auto& o : orders) {
      auto pick = random() % 50;
      if (gone.contains(o.user) || pick == 0)
        changes += json({{"_op", "delete"}, {"UserId", o.user}, {"OrderId", o.id}}).dump() + "\n";
      else if (pick == 1)
        changes += json({{"_op", "update"}, {"UserId", o.user}, {"OrderId", o.id},
                         {"price", o.price + 1.25}}).dump() + "\n";
    }
    put("OrderSource", changes);
  }

  void check_results() const {
    auto orders = source_orders();
    check_rows(pg_windows(pg), window_rows(orders, 10), {"begin"},
               {{"end", match::exact}, {"count", match::exact}, {"totalPrice", match::relative}});
    std::vector<json> expected;
    for (const auto& [user, t] : per_user(orders, [](const order&) { return true; }))
      expected.push_back({{"userid", user}, {"orders", t.count}, {"revenue", t.sum()}});
    auto users = rows_of(pg.sql("SELECT userid, orders, revenue FROM user_totals"),
                         {"userid", "orders", "revenue"}, {false, true, true});
    CHECK(users.size() == expected.size());
    check_rows(users, expected, {"userid"},
               {{"orders", match::exact}, {"revenue", match::relative}});
  }
};

TEST_CASE_FIXTURE(sink_fixture, "postgres: sinks land exactly in PostgreSQL across SIGKILLs, "
                                "deletes and a PostgreSQL restart") {
  create_order_tables();
  gen({"--rows", "300000", "--users", "3000", "--seed", "11", "--disorder-ms", "3000"});
  settle_store();
  const auto windows = windows_job(), users = users_job();
  const auto seed = std::random_device{}();
  MESSAGE("random seed ", seed);
  std::mt19937 random(seed);
  for (int round = 0; round < 4; ++round) {
    background_process process({SLUICE_BINARY, "run", "--data", data, "--http", "off",
                                windows.string(), users.string()});
    if (round == 1) {  // PostgreSQL goes away under the running sinks, and comes back
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      pg.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
      pg.start();
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1500)(random)));
    const bool was_running = process.running();
    auto result = process.stop();
    INFO("round " << round << "; stderr: " << result.err);
    CHECK(was_running);
    CHECK(result.exit_code == 128 + SIGKILL);
    change_orders(random);
    settle_store();
  }
  auto last = ok(sluice("run", {"--until-drained", windows.string(), users.string()}),
                 "run --until-drained");
  CHECK(contains(last.out, "pg_windows names a store table, written to PostgreSQL table "
                           "order_windows"));
  check_results();
  // The offsets PostgreSQL keeps are where the sinks stand: a run with nothing new writes nothing.
  pg.sql("UPDATE order_windows SET count = -1");
  ok(sluice("run", {"--until-drained", windows.string()}), "run again");
  CHECK(pg.sql("SELECT count(*) FROM order_windows WHERE count <> -1") == "0\n");
}

TEST_CASE("postgres: a cluster's coordinator writes its jobs' PostgreSQL tables, also after it is "
          "killed and started again") {
  postgres_server pg;
  cluster c;
  c.start_store();
  c.start_coordinator();
  c.start_worker();
  c.start_worker();
  c.wait_for_workers(2);
  c.submit(read_file(examples_sql() / "orders_schema.sql"));
  auto gen = [&](const std::string& seed) {
    c.sluice({"gen", "--store", c.store_address, "--rows", "100000", "--seed", seed,
              "--disorder-ms", "3000"},
             "gen");
  };
  gen("21");
  c.submit(windows_script(pg));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  c.coordinator->stop();  // SIGKILL: its sinks die with it
  gen("22");
  c.start_coordinator();
  gen("23");
  auto orders = orders_of(
      c.sluice({"scan", "OrderSource", "--store", c.store_address, "--format", "jsonl"}, "scan").out);
  REQUIRE(orders.size() == 300000);
  // Until PostgreSQL counts every order (or a minute has passed).
  auto counted = [&] {
    return pg.sql("SELECT coalesce(sum(count), 0) FROM order_windows") == "300000\n";
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && !counted())
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  INFO(c.logs());
  check_rows(pg_windows(pg), window_rows(orders, 10), {"begin"},
             {{"end", match::exact}, {"count", match::exact}, {"totalPrice", match::relative}});
}

TEST_CASE_FIXTURE(sink_fixture, "postgres: a batch job's rows land in PostgreSQL with sluice sql") {
  create_order_tables();
  gen({"--rows", "20000", "--users", "50", "--seed", "3"});
  sql("CREATE TABLE UserTotals (UserId STRING, orders BIGINT, revenue DOUBLE, PRIMARY KEY "
      "(UserId))");
  auto done = ok(sluice("sql", {"-e", fmt::format("CREATE TABLE UserTotals USING postgres "
                                                  "OPTIONS(url='{}', table='user_totals', "
                                                  "user='postgres');"
                                                  "INSERT INTO UserTotals SELECT UserId, count(*), "
                                                  "sum(price) FROM OrderSource GROUP BY UserId",
                                                  pg.url())}),
                 "batch job into PostgreSQL");
  CHECK(contains(done.out, "written"));
  std::vector<json> expected;
  for (const auto& [user, t] : per_user(source_orders(), [](const order&) { return true; }))
    expected.push_back({{"userid", user}, {"orders", t.count}, {"revenue", t.sum()}});
  check_rows(rows_of(pg.sql("SELECT userid, orders, revenue FROM user_totals"),
                     {"userid", "orders", "revenue"}, {false, true, true}),
             expected, {"userid"}, {{"orders", match::exact}, {"revenue", match::relative}});
}

TEST_CASE_FIXTURE(sink_fixture, "postgres: a sink PostgreSQL cannot take is refused before any job runs") {
  create_order_tables();
  pg.sql("CREATE TABLE no_key (begin text, \"end\" text, count bigint, totalprice float8);"
         "CREATE TABLE text_count (begin text PRIMARY KEY, \"end\" text, count text, "
         "totalprice float8)");
  auto refused = [&](const std::string& statements, const std::string& message) {
    auto result = sluice("run", {"--until-drained", "-e", statements});
    INFO(statements);
    CHECK(result.exit_code != 0);
    CHECK_MESSAGE(contains(result.err, message), result.err);
  };
  const std::string job = "INSERT INTO sink SELECT CAST(window.start AS STRING), "
                          "CAST(window.end AS STRING), count(*), sum(price) FROM scan GROUP BY "
                          "window(to_timestamp(timestamp / 1000), '10 seconds')";
  auto spark = [&](const std::string& table) {
    return fmt::format("CREATE TABLE sink USING postgres OPTIONS(url='{}', table='{}');"
                       "CREATE SCAN scan ON OrderSource USING STREAM;"
                       "CREATE STREAM s OPTIONS(checkpointLocation='{}') {}",
                       pg.url(), table, (dir.path / "cp").string(), job);
  };
  refused(spark("no_key"), "PostgreSQL table no_key has no primary key");
  refused(spark("missing"), "has no table missing");
  sql("CREATE TABLE sink (begin STRING, `end` STRING, count BIGINT, totalprice DOUBLE, PRIMARY "
      "KEY (begin))");
  refused(spark("text_count"), "column count of PostgreSQL table text_count is text");
  refused(spark("no_key"), "no primary key or unique index on (\"begin\")");
  refused(fmt::format("CREATE TABLE sink (begin STRING, PRIMARY KEY (begin) NOT ENFORCED) WITH "
                      "('connector' = 'jdbc', 'url' = 'jdbc:mysql://127.0.0.1/db', 'table-name' "
                      "= 't')"),
          "Sluice writes jdbc tables to PostgreSQL");
  refused(fmt::format("CREATE TABLE sink USING postgres OPTIONS(url='postgresql://127.0.0.1:{}/"
                      "postgres', table='text_count', user='nobody', password='secret')",
                      pg.port()),
          "role \"nobody\" does not exist");
  CHECK(pg.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'sluice_sink_offsets'") == "0\n");
}

}  // namespace
}  // namespace sluice::testing

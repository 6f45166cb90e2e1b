#include "chaos/recompute.hpp"

#include <doctest/doctest.h>

#include "runtime/sql/parser.hpp"

namespace sluice::chaos {
namespace {

table_schema orders() {
  return *table_schema::create(1, "OrderSource",
                               {{"UserId", column_type::string},
                                {"OrderId", column_type::string},
                                {"price", column_type::double_},
                                {"timestamp", column_type::bigint}},
                               {"UserId", "OrderId"}, 8);
}

sql::select_query query_of(const std::string& text) {
  auto statements = sql::parse_script(text);
  REQUIRE(statements.ok());
  return std::get<sql::select_statement>(statements->front()).query;
}

TEST_CASE("the recomputation: the seed's 10 s windows, by hand") {
  auto job = recomputation::create(
      query_of("SELECT CAST(window.start AS String) AS begin, CAST(window.end AS String) AS end, "
               "count(*) AS count, sum(price) AS totalPrice FROM s GROUP BY "
               "window(to_timestamp(timestamp / 1000), \"10 seconds\")"));
  REQUIRE(job.ok());
  rows source = {{std::string("u1"), std::string("o1"), 1.5, int64_t{1700000000000}},
                 {std::string("u1"), std::string("o2"), 2.25, int64_t{1700000009999}},
                 {std::string("u2"), std::string("o3"), 4.0, int64_t{1700000010000}},
                 {std::string("u2"), std::string("o4"), 8.0, int64_t{-1500}}};
  const auto schema = orders();
  auto result = job->run({{&schema, &source}});
  REQUIRE(result.ok());
  rows expected = {
      {std::string("1969-12-31 23:59:50"), std::string("1970-01-01 00:00:00"), int64_t{1}, 8.0},
      {std::string("2023-11-14 22:13:20"), std::string("2023-11-14 22:13:30"), int64_t{2}, 3.75},
      {std::string("2023-11-14 22:13:30"), std::string("2023-11-14 22:13:40"), int64_t{1}, 4.0}};
  CHECK(differences(*result, expected, {0}).empty());
  // A difference is named.
  rows wrong = expected;
  std::get<int64_t>(wrong[1][2]) = 3;
  wrong.pop_back();
  auto found = differences(wrong, *result, {0});
  REQUIRE(found.size() == 2);
  CHECK(found[0].find("expected") != std::string::npos);
  CHECK(found[1].find("missing from the sink") != std::string::npos);
}

TEST_CASE("the recomputation: keyed totals with a filter, and what it refuses") {
  auto job = recomputation::create(
      query_of("SELECT UserId, count(*), avg(price) FROM s WHERE price > 2 GROUP BY UserId"));
  REQUIRE(job.ok());
  rows source = {{std::string("u1"), std::string("o1"), 1.5, int64_t{0}},
                 {std::string("u1"), std::string("o2"), 3.0, int64_t{0}},
                 {std::string("u2"), std::string("o3"), 4.0, int64_t{0}},
                 {std::string("u2"), std::string("o4"), 5.0, int64_t{0}}};
  const auto schema = orders();
  auto result = job->run({{&schema, &source}});
  REQUIRE(result.ok());
  CHECK(differences(*result, {{std::string("u1"), int64_t{1}, 3.0},
                              {std::string("u2"), int64_t{2}, 4.5}},
                    {0})
            .empty());
  CHECK(absl::IsInvalidArgument(job->run({}).status()));
  auto unknown = recomputation::create(query_of("SELECT upper(UserId) FROM s"));
  REQUIRE(absl::IsUnimplemented(unknown.status()));
  CHECK(std::string(unknown.status().message()).find("function upper") != std::string::npos);
}

TEST_CASE("the recomputation: a join, and a layer over its result") {
  const auto order_schema = orders();
  const auto region_schema = *table_schema::create(
      2, "UserRegions", {{"UserId", column_type::string}, {"region", column_type::string}},
      {"UserId"}, 1);
  rows order_rows = {{std::string("u1"), std::string("o1"), 1.5, int64_t{1000}},
                     {std::string("u1"), std::string("o2"), 2.5, int64_t{12000}},
                     {std::string("u2"), std::string("o3"), 4.0, int64_t{2000}},
                     {std::string("u3"), std::string("o4"), 8.0, int64_t{3000}}};
  rows region_rows = {{std::string("u1"), std::string("north")},
                      {std::string("u2"), std::string("north")}};
  // Both tables have UserId: qualified, each is its table's.
  auto join = recomputation::create(query_of(
      "SELECT o.UserId, o.OrderId, o.price, o.timestamp, r.region FROM OrderSource o JOIN "
      "UserRegions r ON o.UserId = r.UserId"));
  REQUIRE(join.ok());
  CHECK(absl::IsInvalidArgument(join->run({{&order_schema, &order_rows}}).status()));
  auto joined = join->run({{&order_schema, &order_rows}, {&region_schema, &region_rows}});
  REQUIRE(joined.ok());
  CHECK(differences(*joined,
                    {{std::string("u1"), std::string("o1"), 1.5, int64_t{1000}, std::string("north")},
                     {std::string("u1"), std::string("o2"), 2.5, int64_t{12000}, std::string("north")},
                     {std::string("u2"), std::string("o3"), 4.0, int64_t{2000}, std::string("north")}},
                    {0, 1})
            .empty());
  auto left = recomputation::create(query_of(
      "SELECT o.OrderId, r.region FROM OrderSource o LEFT JOIN UserRegions r ON o.UserId = r.UserId"));
  REQUIRE(left.ok());
  auto all = left->run({{&order_schema, &order_rows}, {&region_schema, &region_rows}});
  REQUIRE(all.ok());
  CHECK(differences(*all, {{std::string("o1"), std::string("north")},
                           {std::string("o2"), std::string("north")},
                           {std::string("o3"), std::string("north")},
                           {std::string("o4"), value{}}},
                    {0})
            .empty());

  const auto joined_schema = *table_schema::create(
      3, "OrderRegionSink",
      {{"UserId", column_type::string}, {"OrderId", column_type::string},
       {"price", column_type::double_}, {"timestamp", column_type::bigint},
       {"region", column_type::string}},
      {"UserId", "OrderId"}, 1);
  auto layer = recomputation::create(query_of(
      "SELECT CAST(window.start AS String) AS begin, region, count(*), sum(price) FROM "
      "OrderRegionSink GROUP BY window(to_timestamp(timestamp / 1000), \"10 seconds\"), region"));
  REQUIRE(layer.ok());
  auto totals = layer->run({{&joined_schema, &*joined}});
  REQUIRE(totals.ok());
  CHECK(differences(*totals,
                    {{std::string("1970-01-01 00:00:00"), std::string("north"), int64_t{2}, 5.5},
                     {std::string("1970-01-01 00:00:10"), std::string("north"), int64_t{1}, 2.5}},
                    {0, 1})
            .empty());
}

}  // namespace
}  // namespace sluice::chaos

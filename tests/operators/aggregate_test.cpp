// Windows, exact sums and aggregates: boundaries, retraction (min/max included), and partials
// merged in any split equal a single pass.
#include <doctest/doctest.h>

#include <capnp/message.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>

#include "operators/aggregate.hpp"
#include "operators/exact_sum.hpp"
#include "operators/group_table.hpp"
#include "operators/window.hpp"

namespace sluice::ops {
namespace {

constexpr int64_t second = 1'000'000;

TEST_CASE("tumbling windows are aligned to the epoch and hold their start but not their end") {
  auto ten = time_window::parse("10 seconds").value();
  CHECK(ten.size() == 10 * second);
  CHECK(ten.start(0) == 0);
  CHECK(ten.start(10 * second - 1) == 0);
  CHECK(ten.start(10 * second) == 10 * second);  // exactly on a boundary: the later window
  CHECK(ten.start(-1) == -10 * second);           // before the epoch
  CHECK(ten.start(-10 * second) == -10 * second);
  CHECK(ten.start(-10 * second - 1) == -20 * second);
  // 2023-11-14 22:13:25.123 UTC in microseconds
  CHECK(ten.start(1700000005123000) == 1700000000000000);
  CHECK(time_window::parse("30 second")->size() == 30 * second);
  CHECK(time_window::parse("1 minute")->size() == 60 * second);
  CHECK(time_window::parse("500 ms")->size() == 500'000);
  CHECK(time_window::parse(" 2 Hours ")->size() == 7200 * second);
  CHECK(absl::IsInvalidArgument(time_window::parse("ten seconds").status()));
  CHECK(absl::IsInvalidArgument(time_window::parse("10 fortnights").status()));
  CHECK(absl::IsInvalidArgument(time_window::parse("0 seconds").status()));
}

TEST_CASE("a row belongs to every sliding window that covers it") {
  auto windows = [](const time_window& w, int64_t t) {
    std::vector<int64_t> starts;
    w.for_each_start(t, [&](int64_t start) { starts.push_back(start); });
    return starts;
  };
  auto sliding = time_window::parse("10 seconds", "5 seconds").value();
  CHECK(sliding.size() == 10 * second);
  CHECK(sliding.slide() == 5 * second);
  CHECK(windows(sliding, 12 * second) == std::vector<int64_t>{10 * second, 5 * second});
  CHECK(windows(sliding, 10 * second) == std::vector<int64_t>{10 * second, 5 * second});
  CHECK(windows(sliding, 10 * second - 1) == std::vector<int64_t>{5 * second, 0});
  CHECK(windows(sliding, -1) == std::vector<int64_t>{-5 * second, -10 * second});
  // A slide that does not divide the window: 10 s windows every 3 s.
  auto uneven = time_window::parse("10 seconds", "3 seconds").value();
  CHECK(windows(uneven, 10 * second) ==
        std::vector<int64_t>{9 * second, 6 * second, 3 * second});
  auto tumbling = time_window::parse("10 seconds").value();
  CHECK(windows(tumbling, 12 * second) == std::vector<int64_t>{10 * second});
  CHECK(time_window::parse("10 seconds", "10 seconds")->slide() == 10 * second);
  CHECK(absl::IsInvalidArgument(time_window::parse("10 seconds", "20 seconds").status()));
  CHECK(absl::IsInvalidArgument(time_window::parse("10 seconds", "0 seconds").status()));
}

TEST_CASE("an exact sum is the correctly rounded true sum in any order") {
  exact_sum a;
  for (double x : {1e100, 1.0, -1e100}) a.add(x);
  CHECK(a.value() == 1.0);
  exact_sum tenths;
  for (int i = 0; i < 10; ++i) tenths.add(0.1);
  CHECK(tenths.value() == 1.0);  // a naive loop gives 0.9999999999999999
  exact_sum b;
  for (double x : {1e-16, 1.0, 1e16}) b.add(x);
  CHECK(b.value() == 1.0000000000000002e16);

  std::mt19937_64 random(3);
  std::vector<double> prices;
  for (int i = 0; i < 20000; ++i) prices.push_back((1000 + random() % 99000) / 100.0);
  exact_sum forward, shuffled, split_a, split_b;
  for (double p : prices) forward.add(p);
  std::shuffle(prices.begin(), prices.end(), random);
  for (size_t i = 0; i < prices.size(); ++i) {
    shuffled.add(prices[i]);
    (i % 3 ? split_a : split_b).add(prices[i]);
  }
  split_a.merge(split_b);
  CHECK(shuffled.value() == forward.value());
  CHECK(split_a.value() == forward.value());
  // Retracting everything but the first 100 leaves exactly their sum.
  exact_sum few;
  for (size_t i = 0; i < 100; ++i) few.add(prices[i]);
  for (size_t i = 100; i < prices.size(); ++i) shuffled.retract(prices[i]);
  CHECK(shuffled.value() == few.value());
  for (size_t i = 0; i < 100; ++i) shuffled.retract(prices[i]);
  CHECK(shuffled.is_zero());

  exact_sum special;
  special.add(INFINITY);
  CHECK(special.value() == INFINITY);
  special.add(-INFINITY);
  CHECK(std::isnan(special.value()));
  special.retract(-INFINITY);
  CHECK(special.value() == INFINITY);
}

value result(const aggregate_state& state, const aggregate_spec& spec) {
  return state.result(spec).value();
}

TEST_CASE("every aggregate adds and retracts and min and max survive retracting the extreme") {
  aggregate_spec count_star{aggregate_kind::count_star, dtype::null};
  aggregate_spec count{aggregate_kind::count, dtype::double_};
  aggregate_spec sum{aggregate_kind::sum, dtype::double_};
  aggregate_spec isum{aggregate_kind::sum, dtype::bigint};
  aggregate_spec min{aggregate_kind::min, dtype::double_};
  aggregate_spec max{aggregate_kind::max, dtype::string};
  aggregate_spec avg{aggregate_kind::avg, dtype::bigint};
  aggregate_state s_count_star, s_count, s_sum, s_isum, s_min, s_max, s_avg;
  auto add = [&](std::optional<double> x, int64_t i, std::string_view name, int sign) {
    datum d = x ? datum::of_double(*x) : datum::null();
    s_count_star.add(count_star, datum::null(), sign);
    s_count.add(count, d, sign);
    s_sum.add(sum, d, sign);
    s_min.add(min, d, sign);
    s_max.add(max, datum::of_string(name), sign);
    s_isum.add(isum, datum::of_bigint(i), sign);
    s_avg.add(avg, datum::of_bigint(i), sign);
  };
  CHECK(is_null(result(s_sum, sum)));
  CHECK(result(s_count, count) == value{int64_t{0}});
  add(5.0, 10, "b", +1);
  add(3.0, 20, "c", +1);
  add(std::nullopt, 30, "a", +1);
  add(7.5, 40, "c", +1);
  CHECK(result(s_count_star, count_star) == value{int64_t{4}});
  CHECK(result(s_count, count) == value{int64_t{3}});
  CHECK(result(s_sum, sum) == value{15.5});
  CHECK(result(s_min, min) == value{3.0});
  CHECK(result(s_max, max) == value{std::string("c")});
  CHECK(result(s_isum, isum) == value{int64_t{100}});
  CHECK(result(s_avg, avg) == value{25.0});
  add(3.0, 20, "c", -1);  // the minimum, and one of two maxima, go away
  CHECK(result(s_min, min) == value{5.0});
  CHECK(result(s_max, max) == value{std::string("c")});
  add(7.5, 40, "c", -1);
  CHECK(result(s_max, max) == value{std::string("b")});
  CHECK(result(s_sum, sum) == value{5.0});
  add(5.0, 10, "b", -1);
  add(std::nullopt, 30, "a", -1);
  for (auto* s : {&s_count_star, &s_count, &s_sum, &s_isum, &s_min, &s_max, &s_avg})
    CHECK(s->empty());
  CHECK(is_null(result(s_min, min)));

  aggregate_state huge;
  huge.add(isum, datum::of_bigint(INT64_MAX), +1);
  huge.add(isum, datum::of_bigint(INT64_MAX), +1);
  CHECK(absl::IsOutOfRange(huge.result(isum).status()));
  huge.add(isum, datum::of_bigint(INT64_MAX), -1);  // back in range: exact in 128 bits
  CHECK(result(huge, isum) == value{INT64_MAX});
}

TEST_CASE("partials split any way and shipped as messages merge to the single-pass result") {
  std::vector<aggregate_spec> specs = {{aggregate_kind::count_star, dtype::null},
                                       {aggregate_kind::sum, dtype::double_},
                                       {aggregate_kind::min, dtype::double_},
                                       {aggregate_kind::max, dtype::bigint}};
  std::mt19937_64 random(11);
  struct row {
    std::string user;
    int64_t window;
    double price;
    int64_t qty;
    int sign;
  };
  std::vector<row> rows;
  for (int i = 0; i < 5000; ++i) {
    rows.push_back({"user_" + std::to_string(random() % 20), static_cast<int64_t>(random() % 3),
                    (1000 + random() % 99000) / 100.0, static_cast<int64_t>(random() % 1000), +1});
    if (random() % 4 == 0) {  // retract an earlier row
      row old = rows[random() % rows.size()];
      if (old.sign > 0) {
        old.sign = -1;
        rows.push_back(old);
      }
    }
  }
  auto feed = [&](group_table& table, const row& r) {
    datum key[] = {datum::of_string(r.user)};
    datum inputs[] = {datum::null(), datum::of_double(r.price), datum::of_double(r.price),
                      datum::of_bigint(r.qty)};
    table.add(table.at(key, r.window), inputs, r.sign);
  };
  group_table single(specs, SIZE_MAX, false);
  for (const auto& r : rows) feed(single, r);

  group_table reducer(specs, SIZE_MAX, false);
  for (size_t first = 0; first < rows.size();) {
    size_t count = 1 + random() % 700;
    group_table partial(specs, SIZE_MAX, false);
    for (size_t i = first; i < std::min(rows.size(), first + count); ++i) feed(partial, rows[i]);
    first += count;
    capnp::MallocMessageBuilder message;
    auto groups = message.initRoot<wire::PartialBatch>().initGroups(partial.size());
    size_t i = 0;
    partial.for_each([&](const group_state& g) { group_table::to_wire(g, groups[i++]); });
    for (auto g : message.getRoot<wire::PartialBatch>().asReader().getGroups()) reducer.merge(g);
  }
  auto results = [&](group_table& table) {
    std::map<std::pair<std::vector<value>, int64_t>, std::vector<value>> out;
    table.take_changed([&](group_state& g) {
      if (g.rows == 0) return;
      auto& values = out[{std::vector<value>(g.key.begin(), g.key.end()), g.window_start}];
      for (size_t a = 0; a < specs.size(); ++a) values.push_back(g.aggregates[a].result(specs[a]).value());
    });
    return out;
  };
  auto expected = results(single);
  CHECK(expected.size() > 40);
  CHECK(results(reducer) == expected);
}

TEST_CASE("a group lands in the same key group at the source and at the reducer, whatever its key types") {
  std::vector<aggregate_spec> specs = {{aggregate_kind::count_star, dtype::null}};
  group_table source(specs, SIZE_MAX, false), reducer(specs, SIZE_MAX, false);
  std::vector<std::vector<datum>> keys = {{datum::of_timestamp(1700000000000000)},
                                          {datum::of_bigint(42), datum::of_string("u1")},
                                          {datum::of_double(-0.0), datum::of_bool(true)}};
  for (const auto& key : keys) {
    auto& group = source.at(key, 10);
    source.add(group, std::vector<datum>{datum::null()}, +1);
    capnp::MallocMessageBuilder message;
    auto wire_group = message.initRoot<wire::PartialGroup>();
    group_table::to_wire(group, wire_group);
    CHECK(reducer.merge(wire_group.asReader()) == group.key_group);
  }
}

}  // namespace
}  // namespace sluice::ops

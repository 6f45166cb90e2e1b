// Orders as the CLI tests see them (rows of OrderSource in JSON lines), and the independent
// recomputation of the seeds' sinks that every end-to-end test compares Sluice's results with:
// plain loops over the source rows, never Sluice's operators. Counts, keys, min and max must
// match exactly; sums and averages within a relative 1e-12 (the recomputation adds prices as
// whole cents).
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::testing {

using json = nlohmann::json;

// examples/sql of this source tree: this file is tests/support/orders.hpp.
inline std::filesystem::path examples_sql() {
  auto dir = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
             "examples" / "sql";
  REQUIRE_MESSAGE(std::filesystem::exists(dir / "seed_10s_window.sql"), "no " << dir);
  return dir;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `text` with its one occurrence of `from` replaced by `to`.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "no '" << from << "' in the script");
  REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos, "'" << from << "' twice");
  return text.replace(at, from.size(), to);
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// --- orders and their recomputation

struct order {
  std::string user, id;
  double price = 0;
  int64_t timestamp = 0;  // ms since the epoch
};

inline order order_of(const json& row) {
  return {row.at("UserId").get<std::string>(), row.at("OrderId").get<std::string>(),
          row.at("price").get<double>(), row.at("timestamp").get<int64_t>()};
}

inline std::vector<json> parse_jsonl(const std::string& text) {
  std::vector<json> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded()) FAIL("not JSON: " << line);
    rows.push_back(std::move(row));
  }
  return rows;
}

// JSON rows as sorted lines, to compare result tables whatever order rows come in.
inline std::string rows_text(const std::vector<json>& rows) {
  std::vector<std::string> lines;
  for (const auto& row : rows) lines.push_back(row.dump());
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

inline std::vector<order> orders_of(const std::string& jsonl) {
  std::vector<order> orders;
  for (const auto& row : parse_jsonl(jsonl)) orders.push_back(order_of(row));
  return orders;
}

inline std::string jsonl_of(const std::vector<order>& orders) {
  std::string out;
  for (const auto& o : orders)
    out += fmt::format(R"({{"UserId":"{}","OrderId":"{}","price":{:.2f},"timestamp":{}}})"
                       "\n",
                       o.user, o.id, o.price, o.timestamp);
  return out;
}

inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// `yyyy-MM-dd HH:mm:ss` in UTC, as CAST(window.start AS STRING) prints it.
inline std::string utc_text(int64_t ms) {
  using namespace std::chrono;
  sys_seconds t{seconds{floor_div(ms, 1000)}};
  auto day = floor<days>(t);
  year_month_day date{day};
  hh_mm_ss time{t - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

// A group's aggregates, the sum kept exactly in whole cents (every price here has cents).
struct totals {
  int64_t count = 0;
  int64_t cents = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void add(double price) {
    auto c = std::llround(price * 100);
    if (std::fabs(static_cast<double>(c) / 100 - price) > 1e-6)
      FAIL("price " << price << " does not have whole cents");
    ++count;
    cents += c;
    min = std::min(min, price);
    max = std::max(max, price);
  }
  double sum() const { return static_cast<double>(cents) / 100; }
  double avg() const { return sum() / static_cast<double>(count); }
};

// The seeds' sink rows: per epoch-aligned window of `seconds`, begin and end as UTC text, the
// number of orders and their total price.
inline std::vector<json> window_rows(const std::vector<order>& orders, int64_t seconds) {
  const int64_t size = seconds * 1000;
  std::map<int64_t, totals> windows;
  for (const auto& o : orders) windows[floor_div(o.timestamp, size)].add(o.price);
  std::vector<json> rows;
  for (const auto& [w, t] : windows)
    rows.push_back({{"begin", utc_text(w * size)},
                    {"end", utc_text((w + 1) * size)},
                    {"count", t.count},
                    {"totalPrice", t.sum()}});
  return rows;
}

template <typename Keep>
inline std::map<std::string, totals> per_user(const std::vector<order>& orders, Keep keep) {
  std::map<std::string, totals> users;
  for (const auto& o : orders)
    if (keep(o)) users[o.user].add(o.price);
  return users;
}

// How one sink column is compared with the recomputation.
enum class match { exact, relative };

// Checks that the sink holds exactly the expected rows: the same keys, each once, and the
// same values (`relative` columns within 1e-12 of the larger magnitude). Lists what differs.
inline void check_rows(const std::vector<json>& sink, const std::vector<json>& expected,
                const std::vector<std::string>& key,
                const std::map<std::string, match>& columns) {
  auto key_of = [&](const json& row) {
    std::string k;
    for (const auto& column : key) k += (k.empty() ? "" : " | ") + row.value(column, json()).dump();
    return k;
  };
  std::vector<std::string> problems;
  std::map<std::string, const json*> actual;
  for (const auto& row : sink)
    if (!actual.emplace(key_of(row), &row).second) problems.push_back("twice in the sink: " + row.dump());
  std::set<std::string> seen;
  for (const auto& want : expected) {
    auto k = key_of(want);
    seen.insert(k);
    auto it = actual.find(k);
    if (it == actual.end()) {
      problems.push_back("missing: " + want.dump());
      continue;
    }
    const json& got = *it->second;
    for (const auto& [column, how] : columns) {
      if (!got.contains(column) || got[column].is_number() != want[column].is_number()) {
        problems.push_back(fmt::format("{}: column {} is {}, expected {}", k, column,
                                       got.value(column, json()).dump(), want[column].dump()));
        continue;
      }
      bool same = got[column] == want[column];
      if (!same && how == match::relative && got[column].is_number()) {
        double a = got[column].get<double>(), b = want[column].get<double>();
        same = std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
      }
      if (!same)
        problems.push_back(fmt::format("{}: column {} is {}, expected {}", k, column,
                                       got[column].dump(), want[column].dump()));
    }
  }
  for (const auto& [k, row] : actual)
    if (!seen.contains(k)) problems.push_back("not expected: " + row->dump());
  std::string listed;
  for (size_t i = 0; i < problems.size() && i < 12; ++i) listed += "\n  " + problems[i];
  CHECK_MESSAGE(problems.empty(), problems.size() << " differences between the sink ("
                                                  << sink.size() << " rows) and the recomputation ("
                                                  << expected.size() << " rows):" << listed);
}

inline void check_windows(const std::vector<json>& sink, const std::vector<order>& orders,
                   int64_t seconds) {
  auto expected = window_rows(orders, seconds);
  CHECK(sink.size() == expected.size());
  check_rows(sink, expected, {"begin", "end"},
             {{"count", match::exact}, {"totalPrice", match::relative}});
}

}  // namespace sluice::testing

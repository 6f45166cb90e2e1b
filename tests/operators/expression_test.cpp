// Compiled scalar expressions: Spark's semantics for every operator and type, NULL and
// three-valued logic, time conversions in UTC and another zone, and every compile error with its
// SQL line and column. Expressions are built as AST trees, without the parser.
#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "operators/expression.hpp"
#include "runtime/sql/ast.hpp"

namespace sluice::ops {
namespace {

using kind = sql::expr::kind;
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t int64_min = std::numeric_limits<int64_t>::min();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

// AST builders.
sql::expr node(kind what, std::string name = "", std::vector<sql::expr> args = {}) {
  sql::expr e;
  e.what = what;
  e.name = std::move(name);
  e.args = std::move(args);
  return e;
}
sql::expr at(int line, int column, sql::expr e) {
  e.pos = {line, column};
  return e;
}
sql::expr col(std::string name) { return node(kind::column, std::move(name)); }
sql::expr literal(value v) {
  sql::expr e = node(kind::literal);
  e.literal = std::move(v);
  return e;
}
sql::expr big(int64_t i) { return literal(i); }
sql::expr dbl(double d) { return literal(d); }
sql::expr str(std::string s) { return literal(std::move(s)); }
sql::expr boolean(bool b) { return literal(b); }
sql::expr null() { return literal(std::monostate{}); }
sql::expr un(std::string op, sql::expr x) {
  return node(kind::unary, std::move(op), {std::move(x)});
}
sql::expr bin(std::string op, sql::expr x, sql::expr y) {
  return node(kind::binary, std::move(op), {std::move(x), std::move(y)});
}
sql::expr call(std::string name, std::vector<sql::expr> args) {
  return node(kind::call, std::move(name), std::move(args));
}
sql::expr cast(sql::expr x, std::string type) {
  sql::expr e = node(kind::cast, "", {std::move(x)});
  e.type_name = std::move(type);
  return e;
}
sql::expr star() { return node(kind::star); }

// A typed input cell.
struct arg {
  dtype type;
  datum value;
};
arg I(int64_t i) { return {dtype::bigint, datum::of_bigint(i)}; }
arg D(double d) { return {dtype::double_, datum::of_double(d)}; }
arg S(std::string_view s) { return {dtype::string, datum::of_string(s)}; }
arg B(bool b) { return {dtype::boolean, datum::of_bool(b)}; }
arg T(int64_t micros) { return {dtype::timestamp, datum::of_timestamp(micros)}; }
arg N(dtype type) { return {type, datum::null()}; }

// The same value as a literal, when there is one (no typed NULL, no TIMESTAMP literal).
std::optional<sql::expr> literal_of(const arg& a) {
  switch (a.value.type) {
    case dtype::boolean: return boolean(a.value.boolean);
    case dtype::bigint: return big(a.value.bigint);
    case dtype::double_: return dbl(a.value.double_);
    case dtype::string: return str(std::string(a.value.string));
    default: return std::nullopt;
  }
}

// "TYPE value", "TYPE NULL": the expression's type and the value.
std::string render(dtype type, const datum& d) {
  std::string text;
  switch (d.type) {
    case dtype::null: text = "NULL"; break;
    case dtype::boolean: text = d.boolean ? "true" : "false"; break;
    case dtype::bigint:
    case dtype::timestamp: text = std::to_string(d.bigint); break;
    case dtype::double_: text = fmt::format("{}", d.double_); break;
    case dtype::string: text = fmt::format("'{}'", d.string); break;
  }
  return fmt::format("{} {}", dtype_name(type), text);
}

// Input columns and one row of values, named as given.
struct rig {
  explicit rig(std::vector<std::pair<std::string, arg>> cells = {},
               absl::TimeZone zone = absl::UTCTimeZone())
      : cells(std::move(cells)), zone(zone) {}

  std::vector<std::pair<std::string, arg>> cells;
  absl::TimeZone zone;
  sql_dialect dialect = sql_dialect::spark;
  string_arena arena;

  std::vector<input_column> input() const {
    std::vector<input_column> out;
    for (const auto& [name, a] : cells) out.push_back({name, a.type});
    return out;
  }
  std::vector<datum> row() const {
    std::vector<datum> out;
    for (const auto& [name, a] : cells) out.push_back(a.value);
    return out;
  }

  std::string run(const sql::expr& e) {
    const auto input_columns = input();
    auto compiled = expression::compile(e, input_columns, zone, dialect);
    REQUIRE_MESSAGE(compiled.ok(), compiled.status().ToString());
    const auto values = row();
    const datum d = compiled->eval(values, arena);
    if (!d.is_null()) CHECK(d.type == compiled->type());
    return render(compiled->type(), d);
  }

  std::string error(const sql::expr& e) {
    const auto input_columns = input();
    auto compiled = expression::compile(e, input_columns, zone);
    REQUIRE(!compiled.ok());
    CHECK(compiled.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(compiled.status().message());
  }
};

// `x op y` over columns x and y; where both have literals, also over literals (folded when
// compiling) and over a column and a literal, which must agree.
std::string binary(std::string op, arg x, arg y) {
  rig r{{{"x", x}, {"y", y}}};
  const std::string by_columns = r.run(bin(op, col("x"), col("y")));
  const auto lx = literal_of(x), ly = literal_of(y);
  if (lx && ly) {
    CHECK(r.run(bin(op, *lx, *ly)) == by_columns);
    CHECK(r.run(bin(op, col("x"), *ly)) == by_columns);
    CHECK(r.run(bin(op, *lx, col("y"))) == by_columns);
  }
  return by_columns;
}

std::string unary(std::string op, arg x) {
  rig r{{{"x", x}}};
  const std::string by_column = r.run(un(op, col("x")));
  if (auto lx = literal_of(x)) CHECK(r.run(un(op, *lx)) == by_column);
  return by_column;
}

std::string cast_of(arg x, std::string type, const absl::TimeZone& zone = absl::UTCTimeZone()) {
  rig r{{{"x", x}}, zone};
  const std::string by_column = r.run(cast(col("x"), type));
  if (auto lx = literal_of(x)) CHECK(r.run(cast(*lx, type)) == by_column);
  return by_column;
}

std::string to_timestamp_of(const sql::expr& e, std::vector<std::pair<std::string, arg>> cells = {},
                            const absl::TimeZone& zone = absl::UTCTimeZone()) {
  rig r{std::move(cells), zone};
  return r.run(call("to_timestamp", {e}));
}

absl::TimeZone shanghai() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return zone;
}

TEST_CASE("literals and columns") {
  rig r{{{"price", D(2.5)}, {"window.start", T(60'000'000)}, {"name", S("apple")}}};
  CHECK(r.run(big(42)) == "BIGINT 42");
  CHECK(r.run(dbl(1.5)) == "DOUBLE 1.5");
  CHECK(r.run(str("it's")) == "STRING 'it's'");
  CHECK(r.run(boolean(true)) == "BOOLEAN true");
  CHECK(r.run(null()) == "NULL NULL");
  CHECK(r.run(col("price")) == "DOUBLE 2.5");
  CHECK(r.run(col("window.start")) == "TIMESTAMP 60000000");

  // A column is the row's datum itself: a string borrows from the row, nothing is copied.
  const auto input = r.input();
  const auto values = r.row();
  auto e = expression::compile(col("name"), input, absl::UTCTimeZone());
  REQUIRE(e.ok());
  CHECK(e->eval(values, r.arena).string.data() == values[2].string.data());
}

TEST_CASE("arithmetic on BIGINT stays BIGINT, with DOUBLE it is DOUBLE") {
  CHECK(binary("+", I(40), I(2)) == "BIGINT 42");
  CHECK(binary("-", I(40), I(42)) == "BIGINT -2");
  CHECK(binary("*", I(-6), I(7)) == "BIGINT -42");
  CHECK(binary("%", I(17), I(5)) == "BIGINT 2");
  CHECK(binary("%", I(-7), I(3)) == "BIGINT -1");  // the sign of the dividend, as Spark
  CHECK(binary("%", I(7), I(-3)) == "BIGINT 1");
  CHECK(binary("+", I(1), D(0.5)) == "DOUBLE 1.5");
  CHECK(binary("-", D(0.5), I(1)) == "DOUBLE -0.5");
  CHECK(binary("*", D(1.5), D(4)) == "DOUBLE 6");
  CHECK(binary("%", D(7.5), I(2)) == "DOUBLE 1.5");
  CHECK(binary("%", D(-7.5), D(2)) == "DOUBLE -1.5");
  CHECK(unary("-", I(5)) == "BIGINT -5");
  CHECK(unary("-", D(-2.5)) == "DOUBLE 2.5");
  CHECK(unary("-", I(int64_max)) == fmt::format("BIGINT {}", -int64_max));
}

TEST_CASE("BIGINT overflow gives NULL instead of wrapping around") {
  CHECK(binary("+", I(int64_max), I(1)) == "BIGINT NULL");
  CHECK(binary("+", I(int64_min), I(-1)) == "BIGINT NULL");
  CHECK(binary("-", I(int64_min), I(1)) == "BIGINT NULL");
  CHECK(binary("-", I(0), I(int64_min)) == "BIGINT NULL");
  CHECK(binary("*", I(int64_max / 2 + 1), I(2)) == "BIGINT NULL");
  CHECK(binary("*", I(int64_min), I(-1)) == "BIGINT NULL");
  CHECK(unary("-", I(int64_min)) == "BIGINT NULL");
  // Close to the limits but not over.
  CHECK(binary("+", I(int64_max - 1), I(1)) == fmt::format("BIGINT {}", int64_max));
  CHECK(binary("*", I(int64_min / 2), I(2)) == fmt::format("BIGINT {}", int64_min));
  CHECK(binary("%", I(int64_min), I(-1)) == "BIGINT 0");
  // DOUBLE follows IEEE.
  CHECK(binary("*", D(1e308), D(10)) == "DOUBLE inf");
}

TEST_CASE("division is DOUBLE division and a zero divisor gives NULL, as Spark") {
  CHECK(binary("/", I(7), I(2)) == "DOUBLE 3.5");
  CHECK(binary("/", I(-7), I(2)) == "DOUBLE -3.5");
  CHECK(binary("/", I(1), I(3)) == "DOUBLE 0.3333333333333333");
  CHECK(binary("/", D(1), I(4)) == "DOUBLE 0.25");
  CHECK(binary("/", I(int64_min), I(-1)) == "DOUBLE 9.223372036854776e+18");
  CHECK(binary("/", I(1), I(0)) == "DOUBLE NULL");
  CHECK(binary("/", I(0), I(0)) == "DOUBLE NULL");
  CHECK(binary("/", D(1.5), D(0.0)) == "DOUBLE NULL");
  CHECK(binary("/", D(1.5), D(-0.0)) == "DOUBLE NULL");
  CHECK(binary("%", I(1), I(0)) == "BIGINT NULL");
  CHECK(binary("%", D(1.5), D(0)) == "DOUBLE NULL");
  CHECK(binary("%", D(1.5), I(0)) == "DOUBLE NULL");
}

TEST_CASE("in the Flink dialect BIGINT / BIGINT is integer division, truncated toward zero") {
  auto flink = [](arg x, arg y) {
    rig r{{{"x", x}, {"y", y}}};
    r.dialect = sql_dialect::flink;
    std::string by_columns = r.run(bin("/", col("x"), col("y")));
    CHECK(r.run(bin("/", *literal_of(x), *literal_of(y))) == by_columns);
    return by_columns;
  };
  CHECK(flink(I(7), I(2)) == "BIGINT 3");
  CHECK(flink(I(-7), I(2)) == "BIGINT -3");
  CHECK(flink(I(8999999), I(3600000)) == "BIGINT 2");
  CHECK(flink(I(1), I(0)) == "BIGINT NULL");
  CHECK(flink(I(int64_min), I(-1)) == "BIGINT NULL");
  CHECK(flink(D(7), I(2)) == "DOUBLE 3.5");
}

TEST_CASE("TO_TIMESTAMP_LTZ takes seconds (precision 0) or milliseconds (3)") {
  rig r;
  CHECK(r.run(call("to_timestamp_ltz", {literal(int64_t{1700000000123}), literal(int64_t{3})})) ==
        r.run(call("to_timestamp", {literal(1700000000.123)})));
  CHECK(r.run(call("to_timestamp_ltz", {literal(int64_t{1700000000}), literal(int64_t{0})})) ==
        r.run(call("to_timestamp", {literal(int64_t{1700000000})})));
  CHECK(r.run(call("to_timestamp_ltz", {literal(int64_t{1}), literal(int64_t{6})})) == "TIMESTAMP NULL");
}

TEST_CASE("comparisons of numbers, strings, booleans and timestamps") {
  const std::vector<std::string> ops = {"=", "<>", "<", "<=", ">", ">="};
  auto all = [&](arg x, arg y) {
    std::string out;
    for (const auto& op : ops) {
      const std::string result = binary(op, x, y);
      REQUIRE(result.rfind("BOOLEAN ", 0) == 0);
      out += result == "BOOLEAN true" ? "T" : result == "BOOLEAN false" ? "F" : "N";
    }
    return out;  // one letter per operator: = <> < <= > >=
  };
  CHECK(all(I(1), I(2)) == "FTTTFF");
  CHECK(all(I(2), I(2)) == "TFFTFT");
  CHECK(all(I(3), I(2)) == "FTFFTT");
  CHECK(all(I(2), D(2.0)) == "TFFTFT");
  CHECK(all(D(2.5), I(2)) == "FTFFTT");
  CHECK(all(I(-1), D(-0.5)) == "FTTTFF");
  CHECK(all(D(-0.0), D(0.0)) == "TFFTFT");
  // NaN equals NaN and is above every other value, as Spark orders doubles.
  CHECK(all(D(nan), D(nan)) == "TFFTFT");
  CHECK(all(D(nan), D(infinity)) == "FTFFTT");
  CHECK(all(I(1), D(nan)) == "FTTTFF");
  // Strings compare by their bytes (so by code point for UTF-8).
  CHECK(all(S("apple"), S("banana")) == "FTTTFF");
  CHECK(all(S("b"), S("b")) == "TFFTFT");
  CHECK(all(S("Zebra"), S("apple")) == "FTTTFF");
  CHECK(all(S("ab"), S("a")) == "FTFFTT");
  CHECK(all(S("\xC3\xA9"), S("z")) == "FTFFTT");  // é > z
  CHECK(all(S(""), S("a")) == "FTTTFF");
  CHECK(all(B(false), B(true)) == "FTTTFF");
  CHECK(all(B(true), B(true)) == "TFFTFT");
  CHECK(all(T(-1), T(0)) == "FTTTFF");
  CHECK(all(T(1'000'000), T(1'000'000)) == "TFFTFT");
  // NULL on either side.
  CHECK(all(N(dtype::bigint), I(1)) == "NNNNNN");
  CHECK(all(S("a"), N(dtype::string)) == "NNNNNN");
  CHECK(all(N(dtype::timestamp), N(dtype::timestamp)) == "NNNNNN");
  rig r{{{"x", I(1)}}};
  CHECK(r.run(bin("=", null(), null())) == "BOOLEAN NULL");
  CHECK(r.run(bin("<", col("x"), null())) == "BOOLEAN NULL");
  CHECK(r.run(bin("=", null(), str("a"))) == "BOOLEAN NULL");
}

TEST_CASE("AND, OR and NOT follow SQL three-valued logic") {
  const std::vector<arg> values = {B(true), B(false), N(dtype::boolean)};
  auto letter = [](const std::string& result) {
    return result == "BOOLEAN true" ? 'T' : result == "BOOLEAN false" ? 'F' : 'N';
  };
  std::string and_table, or_table, not_table;
  for (const arg& x : values) {
    for (const arg& y : values) {
      and_table += letter(binary("AND", x, y));
      or_table += letter(binary("OR", x, y));
    }
    not_table += letter(unary("NOT", x));
  }
  // Rows x = T, F, N; columns y = T, F, N.
  CHECK(and_table == "TFN" "FFF" "NFN");
  CHECK(or_table == "TTT" "TFN" "TNN");
  CHECK(not_table == "FTN");
  // NULL literals and lower-case spellings.
  rig r{{{"b", B(true)}, {"f", B(false)}}};
  CHECK(r.run(bin("and", col("b"), null())) == "BOOLEAN NULL");
  CHECK(r.run(bin("or", null(), col("b"))) == "BOOLEAN true");
  CHECK(r.run(bin("AND", null(), col("f"))) == "BOOLEAN false");
  CHECK(r.run(un("not", null())) == "BOOLEAN NULL");
  // A filter over compared columns.
  rig row{{{"price", D(12.5)}, {"qty", I(3)}, {"sym", S("AAPL")}}};
  CHECK(row.run(bin("AND", bin(">", col("price"), big(10)),
                    bin("OR", bin("=", col("sym"), str("MSFT")), bin(">=", col("qty"), big(3))))) ==
        "BOOLEAN true");
}

TEST_CASE("NULL propagates through operators, functions and casts, keeping the type") {
  CHECK(binary("+", N(dtype::bigint), I(1)) == "BIGINT NULL");
  CHECK(binary("*", D(2), N(dtype::bigint)) == "DOUBLE NULL");
  CHECK(binary("/", N(dtype::bigint), I(1)) == "DOUBLE NULL");
  CHECK(binary("%", I(1), N(dtype::double_)) == "DOUBLE NULL");
  CHECK(unary("-", N(dtype::double_)) == "DOUBLE NULL");
  CHECK(cast_of(N(dtype::string), "BIGINT") == "BIGINT NULL");
  CHECK(cast_of(N(dtype::timestamp), "STRING") == "STRING NULL");
  CHECK(to_timestamp_of(col("x"), {{"x", N(dtype::double_)}}) == "TIMESTAMP NULL");
  rig r{{{"x", I(5)}}};
  CHECK(r.run(bin("+", col("x"), null())) == "BIGINT NULL");
  CHECK(r.run(bin("+", null(), dbl(1))) == "DOUBLE NULL");
  CHECK(r.run(bin("/", null(), null())) == "DOUBLE NULL");
  CHECK(r.run(un("-", null())) == "BIGINT NULL");
  CHECK(r.run(cast(null(), "timestamp")) == "TIMESTAMP NULL");
  CHECK(r.run(call("to_timestamp", {null()})) == "TIMESTAMP NULL");
  CHECK(r.run(bin("+", cast(null(), "DOUBLE"), col("x"))) == "DOUBLE NULL");
}

TEST_CASE("to_timestamp of seconds: BIGINT, DOUBLE, ms / 1000 and ns / 1e9") {
  CHECK(to_timestamp_of(big(1'700'000'000)) == "TIMESTAMP 1700000000000000");
  CHECK(to_timestamp_of(big(-1)) == "TIMESTAMP -1000000");
  CHECK(to_timestamp_of(dbl(1.5)) == "TIMESTAMP 1500000");
  CHECK(to_timestamp_of(dbl(-0.5)) == "TIMESTAMP -500000");
  CHECK(to_timestamp_of(dbl(1e-7)) == "TIMESTAMP 0");  // rounded down
  CHECK(to_timestamp_of(dbl(-1e-7)) == "TIMESTAMP -1");

  // Milliseconds and nanoseconds since the epoch, divided as in the seeds.
  auto from_ms = [](int64_t ms) {
    return to_timestamp_of(bin("/", col("ms"), big(1000)), {{"ms", I(ms)}});
  };
  CHECK(from_ms(1'700'000'000'123) == "TIMESTAMP 1700000000123000");
  CHECK(from_ms(1'700'000'000'999) == "TIMESTAMP 1700000000999000");
  CHECK(from_ms(1) == "TIMESTAMP 1000");
  CHECK(from_ms(-1) == "TIMESTAMP -1000");
  CHECK(from_ms(-1'500) == "TIMESTAMP -1500000");
  CHECK(from_ms(-1'700'000'000'123) == "TIMESTAMP -1700000000123000");
  CHECK(from_ms(9'000'000'000'123) == "TIMESTAMP 9000000000123000");  // year 2255
  // Every millisecond of a day in 2023 and one in 1900 comes out exact.
  for (int64_t start : {int64_t{1'700'000'000'000}, int64_t{-2'208'988'800'000}}) {
    for (int64_t ms = start; ms < start + 86'400'000; ms += 997) {
      INFO("ms = ", ms);
      REQUIRE(from_ms(ms) == fmt::format("TIMESTAMP {}", ms * 1000));
    }
  }
  auto from_ns = [](int64_t ns) {
    return to_timestamp_of(bin("/", col("ns"), dbl(1e9)), {{"ns", I(ns)}});
  };
  CHECK(from_ns(1'700'000'000'123'456'789) == "TIMESTAMP 1700000000123456");
  CHECK(from_ns(1'700'000'000'123'456'000) == "TIMESTAMP 1700000000123456");
  CHECK(from_ns(-1'700'000'000'123'456'789) == "TIMESTAMP -1700000000123457");
  CHECK(from_ns(1'500) == "TIMESTAMP 1");
  CHECK(from_ns(-1) == "TIMESTAMP -1");
  CHECK(from_ns(-999) == "TIMESTAMP -1");
  CHECK(from_ns(-1'000) == "TIMESTAMP -1");
  CHECK(from_ns(-1'001) == "TIMESTAMP -2");

  // Out of range or not a number: NULL.
  CHECK(to_timestamp_of(big(int64_max / 1000)) == "TIMESTAMP NULL");
  CHECK(to_timestamp_of(dbl(1e300)) == "TIMESTAMP NULL");
  CHECK(to_timestamp_of(col("x"), {{"x", D(nan)}}) == "TIMESTAMP NULL");
  CHECK(to_timestamp_of(col("x"), {{"x", D(-infinity)}}) == "TIMESTAMP NULL");
  rig upper;  // function names are case-insensitive, as in Spark
  CHECK(upper.run(call("TO_TIMESTAMP", {big(1)})) == "TIMESTAMP 1000000");
}

TEST_CASE("to_timestamp of 'yyyy-MM-dd HH:mm:ss[.fff]' strings in the job's zone") {
  CHECK(to_timestamp_of(str("2023-11-14 22:13:20")) == "TIMESTAMP 1700000000000000");
  CHECK(to_timestamp_of(str("2023-11-14 22:13:20.5")) == "TIMESTAMP 1700000000500000");
  CHECK(to_timestamp_of(str("2023-11-14 22:13:20.123456789")) == "TIMESTAMP 1700000000123456");
  CHECK(to_timestamp_of(str(" 2023-11-14T22:13:20 ")) == "TIMESTAMP 1700000000000000");
  CHECK(to_timestamp_of(str("1969-12-31 23:59:59.999")) == "TIMESTAMP -1000");
  CHECK(to_timestamp_of(str("2024-02-29 00:00:00")) == "TIMESTAMP 1709164800000000");
  CHECK(to_timestamp_of(str("2023-11-15 06:13:20"), {}, shanghai()) ==
        "TIMESTAMP 1700000000000000");
  CHECK(to_timestamp_of(col("s"), {{"s", S("1970-01-01 08:00:00")}}, shanghai()) ==
        "TIMESTAMP 0");
  for (std::string bad : {"", "abc", "2023-11-14", "2023-11-14 22:13", "2023-11-14 22:13:20.",
                          "2023-11-14 22:13:20x", "2023-1-14 22:13:20", "2023-02-29 00:00:00",
                          "2023-11-31 00:00:00", "2023-13-01 00:00:00", "2023-11-14 24:00:00",
                          "2023-11-14 22:60:00", "2023-11-14 22:13:60", "2023/11/14 22:13:20",
                          "2023-11-14 22:13:20.1234567890", "+023-11-14 22:13:20"}) {
    INFO("'", bad, "'");
    CHECK(to_timestamp_of(col("s"), {{"s", S(bad)}}) == "TIMESTAMP NULL");
  }
}

TEST_CASE("CAST of timestamps to strings in UTC and in Asia/Shanghai") {
  CHECK(cast_of(T(1'700'000'000'000'000), "STRING") == "STRING '2023-11-14 22:13:20'");
  CHECK(cast_of(T(1'700'000'000'123'000), "STRING") == "STRING '2023-11-14 22:13:20.123'");
  CHECK(cast_of(T(1'700'000'000'000'100), "STRING") == "STRING '2023-11-14 22:13:20.0001'");
  CHECK(cast_of(T(1'700'000'000'000'001), "STRING") == "STRING '2023-11-14 22:13:20.000001'");
  CHECK(cast_of(T(1'700'000'000'500'000), "STRING") == "STRING '2023-11-14 22:13:20.5'");
  CHECK(cast_of(T(0), "STRING") == "STRING '1970-01-01 00:00:00'");
  CHECK(cast_of(T(-1), "STRING") == "STRING '1969-12-31 23:59:59.999999'");
  CHECK(cast_of(T(-1'500'000), "STRING") == "STRING '1969-12-31 23:59:58.5'");
  CHECK(cast_of(T(-2'208'988'800'000'000), "STRING") == "STRING '1900-01-01 00:00:00'");
  CHECK(cast_of(T(253'402'300'799'000'000), "STRING") == "STRING '9999-12-31 23:59:59'");

  const absl::TimeZone zone = shanghai();
  CHECK(cast_of(T(1'700'000'000'000'000), "STRING", zone) == "STRING '2023-11-15 06:13:20'");
  CHECK(cast_of(T(0), "string", zone) == "STRING '1970-01-01 08:00:00'");
  CHECK(cast_of(T(-1), "String", zone) == "STRING '1970-01-01 07:59:59.999999'");
  // Shanghai kept daylight saving time in 1988 (+09:00).
  CHECK(cast_of(T(583'689'600'000'000), "STRING", zone) == "STRING '1988-07-01 01:00:00'");

  // Strings back to timestamps, in the same zone.
  for (int64_t micros : {int64_t{0}, int64_t{-1}, int64_t{1'700'000'000'123'456},
                         int64_t{583'689'600'000'000}, int64_t{-2'208'988'800'000'001}}) {
    for (const absl::TimeZone& z : {absl::UTCTimeZone(), zone}) {
      rig r{{{"t", T(micros)}}, z};
      CHECK(r.run(cast(cast(col("t"), "STRING"), "TIMESTAMP")) ==
            fmt::format("TIMESTAMP {}", micros));
    }
  }
}

TEST_CASE("CAST between every pair of types") {
  // STRING to numbers and booleans: whole-string parses, NULL when they fail.
  CHECK(cast_of(S("42"), "BIGINT") == "BIGINT 42");
  CHECK(cast_of(S(" -42 "), "bigint") == "BIGINT -42");
  CHECK(cast_of(S("+7"), "Long") == "BIGINT 7");
  CHECK(cast_of(S("9223372036854775807"), "INT") == fmt::format("BIGINT {}", int64_max));
  for (std::string bad :
       {"", " ", "4x", "1.5", "1e3", "0x10", "--1", "+-1", "9223372036854775808"}) {
    INFO("'", bad, "'");
    CHECK(cast_of(S(bad), "INTEGER") == "BIGINT NULL");
  }
  CHECK(cast_of(S("1.5"), "DOUBLE") == "DOUBLE 1.5");
  CHECK(cast_of(S("-1e3"), "float") == "DOUBLE -1000");
  CHECK(cast_of(S(".5"), "DOUBLE") == "DOUBLE 0.5");
  CHECK(cast_of(S("NaN"), "DOUBLE") == "DOUBLE nan");
  CHECK(cast_of(S("-Infinity"), "DOUBLE") == "DOUBLE -inf");
  for (std::string bad : {"", "abc", "1.5.5", "1,5", "1e"}) {
    INFO("'", bad, "'");
    CHECK(cast_of(S(bad), "DOUBLE") == "DOUBLE NULL");
  }
  CHECK(cast_of(S("true"), "BOOLEAN") == "BOOLEAN true");
  CHECK(cast_of(S("FALSE"), "boolean") == "BOOLEAN false");
  CHECK(cast_of(S("yes"), "BOOLEAN") == "BOOLEAN true");
  CHECK(cast_of(S("0"), "BOOLEAN") == "BOOLEAN false");
  CHECK(cast_of(S("maybe"), "BOOLEAN") == "BOOLEAN NULL");
  CHECK(cast_of(S("abc"), "VARCHAR") == "STRING 'abc'");

  // Numbers to strings: DOUBLE in the shortest form that reads back the same.
  CHECK(cast_of(I(-42), "STRING") == "STRING '-42'");
  CHECK(cast_of(I(int64_min), "STRING") == fmt::format("STRING '{}'", int64_min));
  CHECK(cast_of(D(0.1), "STRING") == "STRING '0.1'");
  CHECK(cast_of(D(2.5), "STRING") == "STRING '2.5'");
  CHECK(cast_of(D(1e20), "STRING") == "STRING '1e+20'");
  CHECK(cast_of(D(nan), "STRING") == "STRING 'NaN'");
  CHECK(cast_of(D(-infinity), "STRING") == "STRING '-Infinity'");
  rig third{};
  CHECK(third.run(cast(bin("/", big(1), big(3)), "STRING")) == "STRING '0.3333333333333333'");
  CHECK(cast_of(B(true), "STRING") == "STRING 'true'");
  CHECK(cast_of(B(false), "STRING") == "STRING 'false'");

  // Between numbers and booleans.
  CHECK(cast_of(D(2.9), "BIGINT") == "BIGINT 2");
  CHECK(cast_of(D(-2.9), "BIGINT") == "BIGINT -2");  // toward zero
  CHECK(cast_of(D(-9.223372036854775e18), "BIGINT") == "BIGINT -9223372036854774784");
  CHECK(cast_of(D(9.3e18), "BIGINT") == "BIGINT NULL");
  CHECK(cast_of(D(nan), "BIGINT") == "BIGINT NULL");
  CHECK(cast_of(D(infinity), "BIGINT") == "BIGINT NULL");
  CHECK(cast_of(I(3), "DOUBLE") == "DOUBLE 3");
  CHECK(cast_of(I(0), "BOOLEAN") == "BOOLEAN false");
  CHECK(cast_of(I(-3), "BOOLEAN") == "BOOLEAN true");
  CHECK(cast_of(D(0.5), "BOOLEAN") == "BOOLEAN true");
  CHECK(cast_of(B(true), "BIGINT") == "BIGINT 1");
  CHECK(cast_of(B(false), "DOUBLE") == "DOUBLE 0");

  // Timestamps and seconds.
  CHECK(cast_of(I(1'700'000'000), "TIMESTAMP") == "TIMESTAMP 1700000000000000");
  CHECK(cast_of(D(-1.25), "TIMESTAMP") == "TIMESTAMP -1250000");
  CHECK(cast_of(I(int64_max), "TIMESTAMP") == "TIMESTAMP NULL");
  CHECK(cast_of(S("2023-11-14 22:13:20.25"), "TIMESTAMP") == "TIMESTAMP 1700000000250000");
  CHECK(cast_of(S("2023-11-15 06:13:20"), "TIMESTAMP", shanghai()) ==
        "TIMESTAMP 1700000000000000");
  CHECK(cast_of(S("not a time"), "TIMESTAMP") == "TIMESTAMP NULL");
  CHECK(cast_of(T(1'500'000), "BIGINT") == "BIGINT 1");
  CHECK(cast_of(T(-1), "BIGINT") == "BIGINT -1");  // seconds, rounded down
  CHECK(cast_of(T(-1'500'000), "DOUBLE") == "DOUBLE -1.5");

  // To the same type: the value itself.
  CHECK(cast_of(I(7), "BIGINT") == "BIGINT 7");
  CHECK(cast_of(T(7), "TIMESTAMP") == "TIMESTAMP 7");
  CHECK(cast_of(B(true), "BOOLEAN") == "BOOLEAN true");
}

sql::expr timestamp_literal(std::string text) {
  sql::expr e = cast(str(std::move(text)), "TIMESTAMP");
  e.name = "TIMESTAMP";
  return e;
}

TEST_CASE("string literals next to a TIMESTAMP, TIMESTAMP literals, DATE_ADD and DATE_SUB") {
  const int64_t ten = 1'796'205'600'000'000;  // 2026-12-02 10:00:00 UTC
  rig r{{{"ts", T(ten)}, {"s", S("2026-12-02 10:00:00")}}};
  CHECK(r.run(bin(">=", col("ts"), str("2026-12-02 10:00:00"))) == "BOOLEAN true");
  CHECK(r.run(bin(">", col("ts"), str("2026-12-02T10:00:00"))) == "BOOLEAN false");
  CHECK(r.run(bin("<", str("2026-12-02 09:59:59.999999"), col("ts"))) == "BOOLEAN true");
  CHECK(r.run(bin("=", col("ts"), timestamp_literal("2026-12-02 10:00:00"))) == "BOOLEAN true");
  CHECK(r.run(bin("<>", col("ts"), timestamp_literal("2026-12-02 10:00:00"))) == "BOOLEAN false");
  CHECK(r.run(timestamp_literal("2026-12-02 10:00:00")) == fmt::format("TIMESTAMP {}", ten));
  // A CAST stays Spark's: NULL for a string that is no time, also a constant one.
  CHECK(r.run(cast(str("soon"), "TIMESTAMP")) == "TIMESTAMP NULL");
  CHECK(r.run(cast(col("s"), "DateTime")) == fmt::format("TIMESTAMP {}", ten));

  const int64_t minute = 60'000'000;
  CHECK(r.run(call("DATE_ADD", {col("ts"), str("10 MINUTE")})) ==
        fmt::format("TIMESTAMP {}", ten + 10 * minute));
  CHECK(r.run(call("date_sub", {col("ts"), str("1 HOUR")})) ==
        fmt::format("TIMESTAMP {}", ten - 60 * minute));
  CHECK(r.run(call("date_add", {col("ts"), str("2 seconds")})) ==
        fmt::format("TIMESTAMP {}", ten + 2'000'000));
  CHECK(r.run(call("date_add", {str("2026-12-02 10:00:00"), str("1 day")})) ==
        fmt::format("TIMESTAMP {}", ten + 1440 * minute));
  CHECK(r.run(bin("<", col("ts"), call("date_add", {str("2026-12-02 09:55:00"), str("10 minute")}))) ==
        "BOOLEAN true");
  CHECK(r.run(call("date_add", {null(), str("1 day")})) == "TIMESTAMP NULL");

  CHECK(r.error(bin(">=", col("ts"), at(2, 9, str("2026-13-02 10:00:00")))) ==
        "line 2, column 9: '2026-13-02 10:00:00' is not a TIMESTAMP; write 'yyyy-MM-dd "
        "HH:mm:ss[.ffffff]'");
  CHECK(r.error(at(1, 1, timestamp_literal("noon"))) ==
        "line 1, column 1: 'noon' is not a TIMESTAMP; write 'yyyy-MM-dd HH:mm:ss[.ffffff]'");
  CHECK(r.error(at(1, 1, call("date_add", {at(1, 10, col("s")), str("1 day")}))) ==
        "line 1, column 10: date_add takes a TIMESTAMP, not STRING");
  CHECK(r.error(at(1, 1, call("date_add", {col("ts"), at(1, 14, str("1 fortnight"))}))) ==
        "line 1, column 14: duration '1 fortnight' is not understood; write a whole number and a "
        "unit, as in \"10 seconds\" (units: milliseconds, seconds, minutes, hours, days)");
  CHECK(r.error(at(1, 1, call("date_add", {col("ts"), at(1, 14, col("ts"))}))) ==
        "line 1, column 14: date_add's interval is written INTERVAL n unit, as in INTERVAL 10 "
        "MINUTE");
  CHECK(r.error(at(1, 1, call("date_sub", {col("ts")}))) ==
        "line 1, column 1: date_sub(time, INTERVAL n unit) takes two arguments, got 1");
}

TEST_CASE("constant sub-expressions are folded and the expression owns their strings") {
  rig r{{{"t", T(1'700'000'000'000'000)}}};
  const auto input = r.input();
  const auto values = r.row();
  // A constant string made while compiling, compared with one made per row.
  const sql::expr e =
      bin("=", cast(col("t"), "STRING"),
          cast(call("to_timestamp", {bin("/", big(1'700'000'000'000), big(1000))}), "STRING"));
  std::optional<expression> copy;
  {
    auto compiled = expression::compile(e, input, absl::UTCTimeZone());
    REQUIRE(compiled.ok());
    auto moved = std::move(*compiled);
    copy = moved;  // the original is gone after this block
  }
  CHECK(render(copy->type(), copy->eval(values, r.arena)) == "BOOLEAN true");
  auto text = expression::compile(bin("<", str("2023"), cast(big(2024), "STRING")), input,
                                   absl::UTCTimeZone());
  REQUIRE(text.ok());
  const expression moved = std::move(*text);
  CHECK(render(moved.type(), moved.eval(values, r.arena)) == "BOOLEAN true");
}

TEST_CASE("a string arena keeps strings until clear() and reuses its memory") {
  string_arena arena;
  std::vector<std::string_view> views;
  std::vector<std::string> expected;
  for (int i = 0; i < 2000; ++i) {
    expected.push_back(std::string(static_cast<size_t>(i % 97), static_cast<char>('a' + i % 26)));
    views.push_back(arena.keep(expected.back()));
  }
  views.push_back(arena.keep(std::string(100'000, 'x')));  // larger than a block
  expected.push_back(std::string(100'000, 'x'));
  for (size_t i = 0; i < views.size(); ++i) REQUIRE(views[i] == expected[i]);
  const char* first = views[1].data();
  arena.clear();
  CHECK(arena.keep("hello").data() == first);
  CHECK(arena.keep("").empty());
}

TEST_CASE("compile errors say what is wrong, where, and what is accepted") {
  rig r{{{"price", D(1)}, {"qty", I(1)}, {"symbol", S("a")}, {"ok", B(true)},
         {"window.start", T(0)}}};
  CHECK(r.error(at(2, 8, col("Price"))) == "line 2, column 8: unknown column 'Price'; did you "
                                           "mean 'price'?");
  CHECK(r.error(at(1, 3, col("volume"))) ==
        "line 1, column 3: unknown column 'volume'; the columns are: price, qty, symbol, ok, "
        "window.start");
  CHECK(r.error(at(1, 3, col("start"))) ==
        "line 1, column 3: unknown column 'start'; the columns are: price, qty, symbol, ok, "
        "window.start");
  rig empty{};
  CHECK(empty.error(at(1, 1, col("x"))) ==
        "line 1, column 1: unknown column 'x'; the input has no columns");
  // An error inside an expression names its own position.
  CHECK(r.error(bin("+", at(1, 1, col("qty")), at(3, 14, col("qtty")))) ==
        "line 3, column 14: unknown column 'qtty'; the columns are: price, qty, symbol, ok, "
        "window.start");

  CHECK(r.error(at(4, 2, call("tumble", {col("qty")}))) ==
        "line 4, column 2: unknown function 'tumble'; known functions: to_timestamp, "
        "to_timestamp_ltz, date_add, date_sub");
  CHECK(r.error(at(1, 8, call("sum", {col("qty")}))) ==
        "line 1, column 8: aggregate function sum is not allowed here");
  CHECK(r.error(at(1, 8, call("COUNT", {at(1, 14, star())}))) ==
        "line 1, column 8: aggregate function count is not allowed here");
  for (std::string aggregate : {"min", "Max", "avg"})
    CHECK(r.error(at(1, 1, call(aggregate, {col("qty")}))).find("aggregate function") !=
          std::string::npos);
  CHECK(r.error(at(1, 8, star())) == "line 1, column 8: `*` is only allowed in count(*)");
  CHECK(r.error(at(1, 1, call("to_timestamp", {at(1, 14, star())}))) ==
        "line 1, column 14: `*` is only allowed in count(*)");
  CHECK(r.error(at(5, 1, call("to_timestamp", {}))) ==
        "line 5, column 1: function to_timestamp takes 1 argument, got 0");
  CHECK(r.error(at(5, 1, call("to_timestamp", {col("qty"), col("qty")}))) ==
        "line 5, column 1: function to_timestamp takes 1 argument, got 2");
  CHECK(r.error(at(5, 1, call("to_timestamp", {col("ok")}))) ==
        "line 5, column 1: function to_timestamp does not accept (BOOLEAN); it accepts "
        "to_timestamp(BIGINT), to_timestamp(DOUBLE), to_timestamp(STRING)");
  CHECK(r.error(at(5, 1, call("to_timestamp", {col("window.start")}))) ==
        "line 5, column 1: function to_timestamp does not accept (TIMESTAMP); it accepts "
        "to_timestamp(BIGINT), to_timestamp(DOUBLE), to_timestamp(STRING)");

  CHECK(r.error(at(1, 13, bin("+", col("symbol"), col("qty")))) ==
        "line 1, column 13: operator + cannot be applied to STRING and BIGINT; it takes BIGINT "
        "or DOUBLE operands");
  CHECK(r.error(at(1, 13, bin("/", col("qty"), str("2")))) ==
        "line 1, column 13: operator / cannot be applied to BIGINT and STRING; it takes BIGINT "
        "or DOUBLE operands");
  CHECK(r.error(at(1, 13, bin("-", col("window.start"), big(1)))) ==
        "line 1, column 13: operator - cannot be applied to TIMESTAMP and BIGINT; it takes "
        "BIGINT or DOUBLE operands");
  CHECK(r.error(at(1, 13, bin("*", col("ok"), big(1)))) ==
        "line 1, column 13: operator * cannot be applied to BOOLEAN and BIGINT; it takes BIGINT "
        "or DOUBLE operands");
  CHECK(r.error(at(2, 2, un("-", col("symbol")))) ==
        "line 2, column 2: operator - cannot be applied to STRING; it takes BIGINT or DOUBLE");
  CHECK(r.error(at(2, 2, un("NOT", col("qty")))) ==
        "line 2, column 2: operator NOT takes a BOOLEAN operand, got BIGINT");
  CHECK(r.error(at(2, 9, bin("AND", col("ok"), col("qty")))) ==
        "line 2, column 9: operator AND takes BOOLEAN operands, got BOOLEAN and BIGINT");
  CHECK(r.error(at(2, 9, bin("OR", col("symbol"), col("ok")))) ==
        "line 2, column 9: operator OR takes BOOLEAN operands, got STRING and BOOLEAN");
  CHECK(r.error(at(3, 7, bin("=", col("symbol"), big(1)))) ==
        "line 3, column 7: cannot compare STRING with BIGINT (=); both sides must be numbers, "
        "strings, booleans or timestamps; convert one side with CAST");
  CHECK(r.error(bin(">", col("window.start"), at(3, 22, str("2023-01-01 25:00:00")))) ==
        "line 3, column 22: '2023-01-01 25:00:00' is not a TIMESTAMP; write 'yyyy-MM-dd "
        "HH:mm:ss[.ffffff]'");
  CHECK(r.error(at(3, 7, bin(">", col("window.start"), col("symbol")))) ==
        "line 3, column 7: cannot compare TIMESTAMP with STRING (>); both sides must be numbers, "
        "strings, booleans or timestamps; convert one side with CAST");
  CHECK(r.error(at(3, 7, bin("<>", col("ok"), big(1)))) ==
        "line 3, column 7: cannot compare BOOLEAN with BIGINT (<>); both sides must be numbers, "
        "strings, booleans or timestamps; convert one side with CAST");

  CHECK(r.error(at(6, 5, cast(col("qty"), "TEXT"))) ==
        "line 6, column 5: unknown type 'TEXT' in CAST; accepted: STRING, VARCHAR, BIGINT, "
        "LONG, INT, INTEGER, DOUBLE, FLOAT, BOOLEAN, TIMESTAMP, DATETIME");
  CHECK(r.error(at(6, 5, cast(col("ok"), "TIMESTAMP"))) ==
        "line 6, column 5: cannot cast BOOLEAN to TIMESTAMP");
  CHECK(r.error(at(6, 5, cast(col("window.start"), "BOOLEAN"))) ==
        "line 6, column 5: cannot cast TIMESTAMP to BOOLEAN");
}

}  // namespace
}  // namespace sluice::ops

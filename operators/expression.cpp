// Type rules (Spark SQL):
// - Arithmetic + - * % on BIGINT stays BIGINT (overflow gives NULL, where Spark would wrap), with a
//   DOUBLE operand it is DOUBLE; / is always DOUBLE division. A zero divisor of / or % gives NULL.
//   In the Flink dialect, / of two BIGINTs is BIGINT division (truncated toward zero), as Flink's.
// - Comparisons take two numbers (BIGINT vs DOUBLE compares as DOUBLE, as Spark), two strings
//   (bytewise), two booleans (false < true) or two timestamps. DOUBLE compares as Spark: NaN
//   equals NaN and is larger than every other value.
// - AND, OR, NOT take BOOLEAN, with SQL three-valued logic.
// - A NULL literal fits any operand; every operator and function gives NULL on a NULL operand,
//   except AND/OR (FALSE AND NULL is FALSE, TRUE OR NULL is TRUE).
#include "operators/expression.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include <absl/time/civil_time.h>
#include <fmt/format.h>

#include "runtime/core/status.hpp"
#include "runtime/core/timestamp_text.hpp"
#include "operators/window.hpp"
#include "runtime/sql/ast.hpp"

namespace sluice::ops {

enum class expression::opcode : uint8_t {
  constant,         // a: index into constants_
  string_constant,  // a, b: offset and size in strings_
  column,           // a: index of the column in the row
  // Operators; a and b are the operands.
  negate_bigint,
  negate_double,
  add_bigint,
  subtract_bigint,
  multiply_bigint,
  modulo_bigint,
  divide_bigint,
  add_double,
  subtract_double,
  multiply_double,
  divide_double,
  modulo_double,
  add_timestamp,   // a TIMESTAMP plus b BIGINT microseconds
  compare_bigint,  // also TIMESTAMP; `cmp` says which of = <> < <= > >=
  compare_double,
  compare_string,
  compare_boolean,
  and_,
  or_,
  not_,
  // Conversions (CAST, the implicit BIGINT -> DOUBLE, functions); a is the operand.
  boolean_to_bigint,
  boolean_to_double,
  boolean_to_string,
  bigint_to_boolean,
  bigint_to_double,
  bigint_to_string,
  seconds_to_timestamp,  // BIGINT seconds since the epoch
  epoch_to_timestamp,    // Flink's TO_TIMESTAMP_LTZ(n, precision): seconds (0) or ms (3)
  double_to_boolean,
  double_to_bigint,
  double_to_string,
  double_seconds_to_timestamp,
  string_to_boolean,
  string_to_bigint,
  string_to_double,
  string_to_timestamp,
  timestamp_to_bigint,  // seconds, rounded down
  timestamp_to_double,  // seconds
  timestamp_to_string,
};

namespace {

absl::Status error_at(const sql::position& pos, std::string_view message) {
  return absl::InvalidArgumentError(
      fmt::format("line {}, column {}: {}", pos.line, pos.column, message));
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool equals_ignore_case(std::string_view x, std::string_view y) {
  return x.size() == y.size() &&
         std::equal(x.begin(), x.end(), y.begin(),
                    [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
}

template <class T>
int three_way(T x, T y) {
  return (x > y) - (x < y);
}

// Spark orders doubles with NaN above everything and NaN = NaN (and -0.0 = 0.0).
int compare_doubles(double x, double y) {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x == y) return 0;
  return static_cast<int>(std::isnan(x)) - static_cast<int>(std::isnan(y));
}

// floor(d * 1e6) for the decimal d that `seconds` prints as (the shortest that round-trips).
std::optional<int64_t> floor_micros_of_printed(double seconds) {
  char buffer[40];
  const auto printed = fmt::format_to_n(buffer, sizeof buffer, "{}", seconds);
  std::string_view s(buffer, std::min(printed.size, sizeof buffer));
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  uint64_t significand = 0;
  int exponent = 0;  // the value is significand * 10^exponent
  bool fraction = false;
  size_t i = 0;
  for (; i < s.size() && s[i] != 'e'; ++i) {
    if (s[i] == '.') {
      fraction = true;
      continue;
    }
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    if (__builtin_mul_overflow(significand, 10u, &significand) ||
        __builtin_add_overflow(significand, static_cast<uint64_t>(s[i] - '0'), &significand))
      return std::nullopt;
    if (fraction) --exponent;
  }
  if (i < s.size()) {
    std::string_view e = s.substr(i + 1);
    if (!e.empty() && e.front() == '+') e.remove_prefix(1);
    int value = 0;
    auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), value);
    if (ec != std::errc() || end != e.data() + e.size()) return std::nullopt;
    exponent += value;
  }
  uint64_t magnitude = significand;
  bool remainder = false;
  for (int scale = exponent + 6; scale > 0; --scale)
    if (__builtin_mul_overflow(magnitude, 10u, &magnitude)) return std::nullopt;
  for (int scale = exponent + 6; scale < 0 && magnitude != 0; ++scale) {
    remainder = remainder || magnitude % 10 != 0;
    magnitude /= 10;
  }
  constexpr uint64_t limit = uint64_t{1} << 63;
  if (!negative) {
    if (magnitude >= limit) return std::nullopt;
    return static_cast<int64_t>(magnitude);
  }
  if (remainder) ++magnitude;  // rounds toward negative infinity
  if (magnitude > limit) return std::nullopt;
  return magnitude == limit ? std::numeric_limits<int64_t>::min()
                            : -static_cast<int64_t>(magnitude);
}

// Microseconds since the epoch of `seconds`, rounded down: floor(d * 1e6), where d is the decimal
// the double stands for (the shortest that round-trips, as it prints). So `ms / 1000` is exactly
// ms * 1000 even when the double nearest to ms / 1000 is a hair below it. NULL for NaN, infinities
// and values out of range.
std::optional<int64_t> micros_of_seconds(double seconds) {
  const double micros = seconds * 1e6;
  if (!(micros >= -0x1p63 && micros < 0x1p63)) return std::nullopt;
  // Below 2^33 s (years 1698 to 2242) a double is finer than a microsecond: at most one whole
  // number of microseconds rounds to it, and if one does, that is the decimal it prints as.
  if (std::fabs(seconds) >= 0x1p33) return floor_micros_of_printed(seconds);
  const double nearest = std::nearbyint(micros);
  if (nearest / 1e6 == seconds) return static_cast<int64_t>(nearest);
  double floor = std::floor(micros);
  if (floor == micros && std::fma(seconds, 1e6, -micros) < 0) floor -= 1;  // rounded up to floor
  return static_cast<int64_t>(floor);
}

// Whole-string parses (surrounding whitespace ignored, a leading '+' allowed, as Spark).
std::string_view number_text(std::string_view s) {
  s = trim_value_text(s);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

std::optional<int64_t> parse_bigint(std::string_view s) {
  s = number_text(s);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view s) {
  s = number_text(s);
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Spark's spellings, case-insensitive.
std::optional<bool> parse_boolean(std::string_view s) {
  s = trim_value_text(s);
  for (std::string_view yes : {"true", "t", "yes", "y", "1"})
    if (equals_ignore_case(s, yes)) return true;
  for (std::string_view no : {"false", "f", "no", "n", "0"})
    if (equals_ignore_case(s, no)) return false;
  return std::nullopt;
}

std::string_view format_double(double x, string_arena& arena) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buffer[40];
  const auto out = fmt::format_to_n(buffer, sizeof buffer, "{}", x);
  return arena.keep({buffer, std::min(out.size, sizeof buffer)});
}

datum of_optional_bigint(std::optional<int64_t> value) {
  return value ? datum::of_bigint(*value) : datum::null();
}

datum of_optional_timestamp(std::optional<int64_t> value) {
  return value ? datum::of_timestamp(*value) : datum::null();
}

bool numeric(dtype type) {
  return type == dtype::bigint || type == dtype::double_ || type == dtype::null;
}

// The name and type of every CAST target.
struct type_name_entry {
  std::string_view name;
  dtype type;
};
constexpr type_name_entry cast_types[] = {
    {"STRING", dtype::string},   {"VARCHAR", dtype::string}, {"BIGINT", dtype::bigint},
    {"LONG", dtype::bigint},     {"INT", dtype::bigint},     {"INTEGER", dtype::bigint},
    {"DOUBLE", dtype::double_},  {"FLOAT", dtype::double_},  {"BOOLEAN", dtype::boolean},
    {"TIMESTAMP", dtype::timestamp}, {"DATETIME", dtype::timestamp},
};

constexpr std::string_view aggregate_functions[] = {"count", "sum", "min", "max", "avg"};

}  // namespace


// Forced inline: the calls they save are most of the cost of a small expression.
[[gnu::always_inline]] inline datum expression::operand(uint32_t index,
                                                        std::span<const datum> row,
                                                        string_arena& arena) const {
  const node& n = nodes_[index];
  if (n.op == opcode::column) return row[n.a];
  if (n.op == opcode::constant) return constants_[n.a];
  if (n.op == opcode::string_constant)
    return datum::of_string(std::string_view(strings_.data() + n.a, n.b));
  return eval_node(index, row, arena);
}

[[gnu::always_inline]] inline bool expression::operands(const node& n,
                                                        std::span<const datum> row,
                                                        string_arena& arena, datum& x,
                                                        datum& y) const {
  x = operand(n.a, row, arena);
  if (x.is_null()) return false;
  y = operand(n.b, row, arena);
  return !y.is_null();
}

datum expression::eval_node(uint32_t index, std::span<const datum> row,
                            string_arena& arena) const {
  const node& n = nodes_[index];
  datum x, y;
  int64_t result = 0;
  switch (n.op) {
    case opcode::constant: return constants_[n.a];
    case opcode::string_constant:
      return datum::of_string(std::string_view(strings_.data() + n.a, n.b));
    case opcode::column: return row[n.a];
    case opcode::add_bigint:
      if (!operands(n, row, arena, x, y) || __builtin_add_overflow(x.bigint, y.bigint, &result))
        return datum::null();
      return datum::of_bigint(result);
    case opcode::subtract_bigint:
      if (!operands(n, row, arena, x, y) || __builtin_sub_overflow(x.bigint, y.bigint, &result))
        return datum::null();
      return datum::of_bigint(result);
    case opcode::multiply_bigint:
      if (!operands(n, row, arena, x, y) || __builtin_mul_overflow(x.bigint, y.bigint, &result))
        return datum::null();
      return datum::of_bigint(result);
    case opcode::modulo_bigint:
      if (!operands(n, row, arena, x, y) || y.bigint == 0) return datum::null();
      return datum::of_bigint(y.bigint == -1 ? 0 : x.bigint % y.bigint);  // min % -1 overflows
    case opcode::add_double:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_double(x.double_ + y.double_);
    case opcode::subtract_double:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_double(x.double_ - y.double_);
    case opcode::multiply_double:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_double(x.double_ * y.double_);
    case opcode::add_timestamp:
      if (!operands(n, row, arena, x, y) || __builtin_add_overflow(x.bigint, y.bigint, &result))
        return datum::null();
      return datum::of_timestamp(result);
    case opcode::epoch_to_timestamp: {
      if (!operands(n, row, arena, x, y) || (y.bigint != 0 && y.bigint != 3)) return datum::null();
      const int64_t scale = y.bigint == 0 ? micros_per_second : 1000;
      if (__builtin_mul_overflow(x.bigint, scale, &result)) return datum::null();
      return datum::of_timestamp(result);
    }
    case opcode::divide_bigint:
      if (!operands(n, row, arena, x, y) || y.bigint == 0 ||
          (y.bigint == -1 && x.bigint == std::numeric_limits<int64_t>::min()))
        return datum::null();
      return datum::of_bigint(x.bigint / y.bigint);
    case opcode::divide_double:
      if (!operands(n, row, arena, x, y) || y.double_ == 0) return datum::null();
      return datum::of_double(x.double_ / y.double_);
    case opcode::modulo_double:
      if (!operands(n, row, arena, x, y) || y.double_ == 0) return datum::null();
      return datum::of_double(std::fmod(x.double_, y.double_));
    case opcode::compare_bigint:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_bool((n.cmp >> (three_way(x.bigint, y.bigint) + 1)) & 1);
    case opcode::compare_double:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_bool((n.cmp >> (compare_doubles(x.double_, y.double_) + 1)) & 1);
    case opcode::compare_string:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_bool((n.cmp >> (three_way(x.string.compare(y.string), 0) + 1)) & 1);
    case opcode::compare_boolean:
      if (!operands(n, row, arena, x, y)) return datum::null();
      return datum::of_bool((n.cmp >> (three_way(x.boolean, y.boolean) + 1)) & 1);
    case opcode::and_:
      x = operand(n.a, row, arena);
      if (x.type == dtype::boolean && !x.boolean) return x;
      y = operand(n.b, row, arena);
      if (y.type == dtype::boolean && !y.boolean) return y;
      return x.is_null() || y.is_null() ? datum::null() : datum::of_bool(true);
    case opcode::or_:
      x = operand(n.a, row, arena);
      if (x.type == dtype::boolean && x.boolean) return x;
      y = operand(n.b, row, arena);
      if (y.type == dtype::boolean && y.boolean) return y;
      return x.is_null() || y.is_null() ? datum::null() : datum::of_bool(false);
    default: break;
  }

  // The rest take one operand and give NULL for NULL.
  x = operand(n.a, row, arena);
  if (x.is_null()) return x;
  switch (n.op) {
    case opcode::negate_bigint:
      if (x.bigint == std::numeric_limits<int64_t>::min()) return datum::null();
      return datum::of_bigint(-x.bigint);
    case opcode::negate_double: return datum::of_double(-x.double_);
    case opcode::not_: return datum::of_bool(!x.boolean);
    case opcode::boolean_to_bigint: return datum::of_bigint(x.boolean ? 1 : 0);
    case opcode::boolean_to_double: return datum::of_double(x.boolean ? 1 : 0);
    case opcode::boolean_to_string: return datum::of_string(x.boolean ? "true" : "false");
    case opcode::bigint_to_boolean: return datum::of_bool(x.bigint != 0);
    case opcode::bigint_to_double: return datum::of_double(static_cast<double>(x.bigint));
    case opcode::bigint_to_string: {
      char buffer[24];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x.bigint);
      return datum::of_string(arena.keep({buffer, static_cast<size_t>(end - buffer)}));
    }
    case opcode::seconds_to_timestamp:
      if (__builtin_mul_overflow(x.bigint, micros_per_second, &result)) return datum::null();
      return datum::of_timestamp(result);
    case opcode::double_to_boolean: return datum::of_bool(x.double_ != 0);
    case opcode::double_to_bigint:
      if (!(x.double_ >= -0x1p63 && x.double_ < 0x1p63)) return datum::null();
      return datum::of_bigint(static_cast<int64_t>(x.double_));  // truncates toward zero
    case opcode::double_to_string: return datum::of_string(format_double(x.double_, arena));
    case opcode::double_seconds_to_timestamp:
      return of_optional_timestamp(micros_of_seconds(x.double_));
    case opcode::string_to_boolean: {
      const auto value = parse_boolean(x.string);
      return value ? datum::of_bool(*value) : datum::null();
    }
    case opcode::string_to_bigint: return of_optional_bigint(parse_bigint(x.string));
    case opcode::string_to_double: {
      const auto value = parse_double(x.string);
      return value ? datum::of_double(*value) : datum::null();
    }
    case opcode::string_to_timestamp:
      return of_optional_timestamp(parse_timestamp(x.string, zone_));
    case opcode::timestamp_to_bigint:
      return datum::of_bigint(timestamp_seconds(x.bigint));
    case opcode::timestamp_to_double:
      return datum::of_double(static_cast<double>(x.bigint) / micros_per_second);
    case opcode::timestamp_to_string: {
      char buffer[64];
      return datum::of_string(arena.keep(format_timestamp(x.bigint, zone_, buffer)));
    }
    default: break;
  }
  return datum::null();  // not reached: every opcode is handled above
}

// Binds the AST into expression::nodes_, children first. Every compiled sub-expression without
// a column reference is evaluated once here and replaced by its constant.
class expression::compiler {
 public:
  compiler(expression& out, std::span<const input_column> input, sql_dialect dialect)
      : out_(out), input_(input), dialect_(dialect) {}

  absl::StatusOr<uint32_t> compile(const sql::expr& e) {
    const size_t nodes = out_.nodes_.size();
    const size_t constants = out_.constants_.size();
    const size_t strings = out_.strings_.size();
    SLUICE_ASSIGN_OR_RETURN(const uint32_t root, compile_node(e));
    const node& n = out_.nodes_[root];
    if (n.op == opcode::constant || n.op == opcode::string_constant) return root;
    for (size_t i = nodes; i < out_.nodes_.size(); ++i)
      if (out_.nodes_[i].op == opcode::column) return root;
    string_arena scratch;
    const dtype type = n.type;
    const datum value = out_.eval_node(root, {}, scratch);
    const std::string text(value.type == dtype::string ? value.string : std::string_view());
    out_.nodes_.resize(nodes);
    out_.constants_.resize(constants);
    out_.strings_.resize(strings);
    return value.type == dtype::string ? push_string(text) : push_constant(type, value);
  }

 private:
  // A function's overload: up to two parameters (the node's operands a and b).
  struct signature {
    size_t arity;
    std::array<dtype, 2> params;
    dtype result;
    opcode op;
  };
  struct function {
    std::string_view name;  // lower case; calls match case-insensitively, as Spark
    std::span<const signature> signatures;
  };

  // The scalar functions. To add one: its opcode, a case in eval_node, and a row here.
  static std::span<const function> functions() {
    static constexpr signature to_timestamp[] = {
        {1, {dtype::bigint}, dtype::timestamp, opcode::seconds_to_timestamp},
        {1, {dtype::double_}, dtype::timestamp, opcode::double_seconds_to_timestamp},
        {1, {dtype::string}, dtype::timestamp, opcode::string_to_timestamp},
    };
    static constexpr signature to_timestamp_ltz[] = {
        {2, {dtype::bigint, dtype::bigint}, dtype::timestamp, opcode::epoch_to_timestamp},
    };
    static constexpr function table[] = {{"to_timestamp", to_timestamp},
                                         {"to_timestamp_ltz", to_timestamp_ltz}};
    return table;
  }

  enum class operator_kind { arithmetic, divide, comparison, logic };
  struct binary_operator {
    std::string_view name;
    operator_kind kind;
    opcode bigint_op;  // logic: the opcode
    opcode double_op;
    uint8_t cmp;  // comparisons: bit (c + 1) set when the three-way result c makes it true
  };

  static std::span<const binary_operator> binary_operators() {
    using k = operator_kind;
    static constexpr binary_operator table[] = {
        {"+", k::arithmetic, opcode::add_bigint, opcode::add_double, 0},
        {"-", k::arithmetic, opcode::subtract_bigint, opcode::subtract_double, 0},
        {"*", k::arithmetic, opcode::multiply_bigint, opcode::multiply_double, 0},
        {"%", k::arithmetic, opcode::modulo_bigint, opcode::modulo_double, 0},
        {"/", k::divide, opcode::divide_double, opcode::divide_double, 0},
        {"=", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b010},
        {"<>", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b101},
        {"!=", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b101},
        {"<", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b001},
        {"<=", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b011},
        {">", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b100},
        {">=", k::comparison, opcode::compare_bigint, opcode::compare_double, 0b110},
        {"AND", k::logic, opcode::and_, opcode::and_, 0},
        {"OR", k::logic, opcode::or_, opcode::or_, 0},
    };
    return table;
  }

  // The conversion CAST uses from one type to another (not the same); nullopt if not allowed.
  static std::optional<opcode> cast_op(dtype from, dtype to) {
    switch (from) {
      case dtype::boolean:
        switch (to) {
          case dtype::bigint: return opcode::boolean_to_bigint;
          case dtype::double_: return opcode::boolean_to_double;
          case dtype::string: return opcode::boolean_to_string;
          default: return std::nullopt;
        }
      case dtype::bigint:
        switch (to) {
          case dtype::boolean: return opcode::bigint_to_boolean;
          case dtype::double_: return opcode::bigint_to_double;
          case dtype::string: return opcode::bigint_to_string;
          case dtype::timestamp: return opcode::seconds_to_timestamp;
          default: return std::nullopt;
        }
      case dtype::double_:
        switch (to) {
          case dtype::boolean: return opcode::double_to_boolean;
          case dtype::bigint: return opcode::double_to_bigint;
          case dtype::string: return opcode::double_to_string;
          case dtype::timestamp: return opcode::double_seconds_to_timestamp;
          default: return std::nullopt;
        }
      case dtype::string:
        switch (to) {
          case dtype::boolean: return opcode::string_to_boolean;
          case dtype::bigint: return opcode::string_to_bigint;
          case dtype::double_: return opcode::string_to_double;
          case dtype::timestamp: return opcode::string_to_timestamp;
          default: return std::nullopt;
        }
      case dtype::timestamp:
        switch (to) {
          case dtype::bigint: return opcode::timestamp_to_bigint;
          case dtype::double_: return opcode::timestamp_to_double;
          case dtype::string: return opcode::timestamp_to_string;
          default: return std::nullopt;
        }
      case dtype::null: break;
    }
    return std::nullopt;
  }

  absl::StatusOr<uint32_t> compile_node(const sql::expr& e) {
    using kind = sql::expr::kind;
    size_t operands = e.args.size();  // a call takes any number
    if (e.what == kind::unary || e.what == kind::cast) operands = 1;
    if (e.what == kind::binary) operands = 2;
    if (e.args.size() != operands)
      return error_at(e.pos, fmt::format("malformed expression: {} operands, expected {}",
                                         e.args.size(), operands));
    switch (e.what) {
      case kind::column: return column(e);
      case kind::literal: return literal(e);
      case kind::unary: return unary(e);
      case kind::binary: return binary(e);
      case kind::call: return call(e);
      case kind::cast: return cast(e);
      case kind::star: return error_at(e.pos, "`*` is only allowed in count(*)");
    }
    return error_at(e.pos, "malformed expression");
  }

  absl::StatusOr<uint32_t> column(const sql::expr& e) {
    for (size_t i = 0; i < input_.size(); ++i)
      if (input_[i].name == e.name) return push(opcode::column, input_[i].type, i);
    for (const input_column& c : input_)
      if (equals_ignore_case(c.name, e.name))
        return error_at(e.pos,
                        fmt::format("unknown column '{}'; did you mean '{}'?", e.name, c.name));
    if (input_.empty())
      return error_at(e.pos, fmt::format("unknown column '{}'; the input has no columns", e.name));
    std::string names;
    for (const input_column& c : input_) names += (names.empty() ? "" : ", ") + c.name;
    return error_at(e.pos, fmt::format("unknown column '{}'; the columns are: {}", e.name, names));
  }

  uint32_t literal(const sql::expr& e) {
    switch (e.literal.index()) {
      case 1: return push_constant(dtype::boolean, datum::of_bool(std::get<bool>(e.literal)));
      case 2: return push_constant(dtype::bigint, datum::of_bigint(std::get<int64_t>(e.literal)));
      case 3: return push_constant(dtype::double_, datum::of_double(std::get<double>(e.literal)));
      case 4: return push_string(std::get<std::string>(e.literal));
      case 5:
        return push_constant(dtype::timestamp,
                             datum::of_timestamp(std::get<timestamp>(e.literal).micros));
      default: return push_constant(dtype::null, datum::null());
    }
  }

  absl::StatusOr<uint32_t> unary(const sql::expr& e) {
    SLUICE_ASSIGN_OR_RETURN(const uint32_t operand, compile(e.args[0]));
    const dtype type = type_of(operand);
    if (e.name == "-") {
      if (type == dtype::double_) return push(opcode::negate_double, dtype::double_, operand);
      if (numeric(type)) return push(opcode::negate_bigint, dtype::bigint, operand);
      return error_at(e.pos, fmt::format("operator - cannot be applied to {}; it takes BIGINT "
                                         "or DOUBLE",
                                         dtype_name(type)));
    }
    if (equals_ignore_case(e.name, "NOT")) {
      if (type == dtype::boolean || type == dtype::null)
        return push(opcode::not_, dtype::boolean, operand);
      return error_at(e.pos, fmt::format("operator NOT takes a BOOLEAN operand, got {}",
                                         dtype_name(type)));
    }
    return error_at(e.pos, fmt::format("unknown unary operator '{}'; accepted: -, NOT", e.name));
  }

  absl::StatusOr<uint32_t> binary(const sql::expr& e) {
    const binary_operator* op = nullptr;
    for (const binary_operator& candidate : binary_operators())
      if (equals_ignore_case(candidate.name, e.name)) op = &candidate;
    if (op == nullptr)
      return error_at(e.pos, fmt::format("unknown operator '{}'; accepted: + - * / % = <> < <= > "
                                         ">= AND OR",
                                         e.name));
    SLUICE_ASSIGN_OR_RETURN(uint32_t left, compile(e.args[0]));
    SLUICE_ASSIGN_OR_RETURN(uint32_t right, compile(e.args[1]));
    dtype lt = type_of(left), rt = type_of(right);
    switch (op->kind) {
      case operator_kind::arithmetic:
      case operator_kind::divide:
        if (!numeric(lt) || !numeric(rt))
          return error_at(e.pos, fmt::format("operator {} cannot be applied to {} and {}; it "
                                             "takes BIGINT or DOUBLE operands",
                                             op->name, dtype_name(lt), dtype_name(rt)));
        if (lt != dtype::double_ && rt != dtype::double_) {
          if (op->kind == operator_kind::arithmetic)
            return push(op->bigint_op, dtype::bigint, left, right);
          if (dialect_ == sql_dialect::flink)
            return push(opcode::divide_bigint, dtype::bigint, left, right);
        }
        left = as_double(left);
        right = as_double(right);
        return push(op->double_op, dtype::double_, left, right);
      case operator_kind::comparison:
        if (lt == dtype::timestamp && rt == dtype::string) {
          SLUICE_RETURN_IF_ERROR(string_constant_to_timestamp(right, e.args[1]));
          rt = type_of(right);
        } else if (lt == dtype::string && rt == dtype::timestamp) {
          SLUICE_RETURN_IF_ERROR(string_constant_to_timestamp(left, e.args[0]));
          lt = type_of(left);
        }
        // A NULL side makes the result NULL whatever the other side's type.
        if (lt == dtype::null || rt == dtype::null ||
            (lt == dtype::bigint && rt == dtype::bigint) ||
            (lt == dtype::timestamp && rt == dtype::timestamp))
          return push(opcode::compare_bigint, dtype::boolean, left, right, op->cmp);
        if (numeric(lt) && numeric(rt)) {
          left = as_double(left);
          right = as_double(right);
          return push(opcode::compare_double, dtype::boolean, left, right, op->cmp);
        }
        if (lt == dtype::string && rt == dtype::string)
          return push(opcode::compare_string, dtype::boolean, left, right, op->cmp);
        if (lt == dtype::boolean && rt == dtype::boolean)
          return push(opcode::compare_boolean, dtype::boolean, left, right, op->cmp);
        return error_at(e.pos, fmt::format("cannot compare {} with {} ({}); both sides must be "
                                           "numbers, strings, booleans or timestamps; convert "
                                           "one side with CAST",
                                           dtype_name(lt), dtype_name(rt), op->name));
      case operator_kind::logic:
        if ((lt != dtype::boolean && lt != dtype::null) ||
            (rt != dtype::boolean && rt != dtype::null))
          return error_at(e.pos, fmt::format("operator {} takes BOOLEAN operands, got {} and {}",
                                             op->name, dtype_name(lt), dtype_name(rt)));
        return push(op->bigint_op, dtype::boolean, left, right);
    }
    return error_at(e.pos, "malformed expression");
  }

  absl::StatusOr<uint32_t> call(const sql::expr& e) {
    const std::string name = lower(e.name);
    if (name == "date_add") return date_add(e, 1);
    if (name == "date_sub") return date_add(e, -1);
    for (std::string_view aggregate : aggregate_functions)
      if (name == aggregate)
        return error_at(e.pos, fmt::format("aggregate function {} is not allowed here", name));
    const function* f = nullptr;
    for (const function& candidate : functions())
      if (candidate.name == name) f = &candidate;
    if (f == nullptr) {
      std::string known;
      for (const function& candidate : functions()) known += std::string(candidate.name) + ", ";
      known += "date_add, date_sub";
      return error_at(e.pos,
                      fmt::format("unknown function '{}'; known functions: {}", e.name, known));
    }
    if (std::none_of(f->signatures.begin(), f->signatures.end(),
                     [&](const signature& s) { return s.arity == e.args.size(); })) {
      std::vector<size_t> arities;
      for (const signature& s : f->signatures)
        if (std::find(arities.begin(), arities.end(), s.arity) == arities.end())
          arities.push_back(s.arity);
      return error_at(e.pos, fmt::format("function {} takes {} argument{}, got {}", f->name,
                                         fmt::join(arities, " or "),
                                         arities == std::vector<size_t>{1} ? "" : "s",
                                         e.args.size()));
    }

    std::array<uint32_t, 2> args{};
    std::array<dtype, 2> types{};
    for (size_t i = 0; i < e.args.size(); ++i) {
      SLUICE_ASSIGN_OR_RETURN(args[i], compile(e.args[i]));
      types[i] = type_of(args[i]);
    }
    // An exact match first, then one that needs BIGINT -> DOUBLE.
    auto matches = [&](const signature& s, bool promote) {
      if (s.arity != e.args.size()) return false;
      for (size_t i = 0; i < s.arity; ++i) {
        const bool ok = types[i] == s.params[i] || types[i] == dtype::null ||
                        (promote && types[i] == dtype::bigint && s.params[i] == dtype::double_);
        if (!ok) return false;
      }
      return true;
    };
    const signature* chosen = nullptr;
    for (bool promote : {false, true})
      for (const signature& s : f->signatures)
        if (chosen == nullptr && matches(s, promote)) chosen = &s;
    if (chosen == nullptr) {
      std::string given, accepted;
      for (size_t i = 0; i < e.args.size(); ++i)
        given += fmt::format("{}{}", i == 0 ? "" : ", ", dtype_name(types[i]));
      for (const signature& s : f->signatures) {
        std::string params;
        for (size_t i = 0; i < s.arity; ++i)
          params += fmt::format("{}{}", i == 0 ? "" : ", ", dtype_name(s.params[i]));
        accepted += fmt::format("{}{}({})", accepted.empty() ? "" : ", ", f->name, params);
      }
      return error_at(e.pos, fmt::format("function {} does not accept ({}); it accepts {}",
                                         f->name, given, accepted));
    }
    for (size_t i = 0; i < chosen->arity; ++i)
      if (chosen->params[i] == dtype::double_) args[i] = as_double(args[i]);
    return push(chosen->op, chosen->result, args[0], args[1]);
  }

  absl::StatusOr<uint32_t> cast(const sql::expr& e) {
    const type_name_entry* target = nullptr;
    for (const type_name_entry& t : cast_types)
      if (equals_ignore_case(t.name, e.type_name)) target = &t;
    if (target == nullptr) {
      std::string accepted;
      for (const type_name_entry& t : cast_types)
        accepted += (accepted.empty() ? "" : ", ") + std::string(t.name);
      return error_at(e.pos, fmt::format("unknown type '{}' in CAST; accepted: {}", e.type_name,
                                         accepted));
    }
    SLUICE_ASSIGN_OR_RETURN(const uint32_t operand, compile(e.args[0]));
    const dtype from = type_of(operand);
    if (from == target->type) return operand;
    if (from == dtype::null) {
      // A NULL literal (or a column of NULL type): always NULL, now of the target type.
      out_.nodes_[operand].type = target->type;
      return operand;
    }
    if (!e.name.empty()) {  // TIMESTAMP '...'
      SLUICE_RETURN_IF_ERROR(string_constant_to_timestamp(operand, e.args[0]));
      if (type_of(operand) == dtype::timestamp) return operand;
    }
    const std::optional<opcode> op = cast_op(from, target->type);
    if (!op)
      return error_at(e.pos, fmt::format("cannot cast {} to {}", dtype_name(from),
                                         dtype_name(target->type)));
    return push(*op, target->type, operand);
  }

  dtype type_of(uint32_t index) const { return out_.nodes_[index].type; }

  // A string constant where a TIMESTAMP is meant (compared with one, TIMESTAMP '...') becomes that
  // TIMESTAMP now, in place, so that a mistyped time is an error rather than NULL on every row.
  // Other nodes stay as they are.
  absl::Status string_constant_to_timestamp(uint32_t index, const sql::expr& written) {
    node& n = out_.nodes_[index];
    if (n.op != opcode::string_constant) return absl::OkStatus();
    const std::string_view text(out_.strings_.data() + n.a, n.b);
    const auto micros = parse_timestamp(text, out_.zone_);
    if (!micros)
      return error_at(written.pos, fmt::format("'{}' is not a TIMESTAMP; write 'yyyy-MM-dd "
                                               "HH:mm:ss[.ffffff]'",
                                               text));
    out_.constants_.push_back(datum::of_timestamp(*micros));
    n = {opcode::constant, dtype::timestamp, 0, static_cast<uint32_t>(out_.constants_.size() - 1), 0};
    return absl::OkStatus();
  }

  // DATE_ADD(time, INTERVAL n unit) and DATE_SUB, as StarRocks: the interval is a constant, read
  // when compiling.
  absl::StatusOr<uint32_t> date_add(const sql::expr& e, int sign) {
    if (e.args.size() != 2)
      return error_at(e.pos, fmt::format("{}(time, INTERVAL n unit) takes two arguments, got {}",
                                         e.name, e.args.size()));
    SLUICE_ASSIGN_OR_RETURN(uint32_t time, compile(e.args[0]));
    SLUICE_RETURN_IF_ERROR(string_constant_to_timestamp(time, e.args[0]));
    if (type_of(time) != dtype::timestamp && type_of(time) != dtype::null)
      return error_at(e.args[0].pos, fmt::format("{} takes a TIMESTAMP, not {}", e.name,
                                                 dtype_name(type_of(time))));
    const sql::expr& interval = e.args[1];
    if (interval.what != sql::expr::kind::literal ||
        !std::holds_alternative<std::string>(interval.literal))
      return error_at(interval.pos, fmt::format("{}'s interval is written INTERVAL n unit, as in "
                                                "INTERVAL 10 MINUTE",
                                                e.name));
    const auto micros = parse_duration(std::get<std::string>(interval.literal));
    if (!micros.ok()) return error_at(interval.pos, std::string(micros.status().message()));
    const uint32_t delta = push_constant(dtype::bigint, datum::of_bigint(sign * *micros));
    return push(opcode::add_timestamp, dtype::timestamp, time, delta);
  }

  uint32_t push(opcode op, dtype type, size_t a = 0, size_t b = 0, uint8_t cmp = 0) {
    out_.nodes_.push_back(
        {op, type, cmp, static_cast<uint32_t>(a), static_cast<uint32_t>(b)});
    return static_cast<uint32_t>(out_.nodes_.size() - 1);
  }

  uint32_t push_constant(dtype type, const datum& value) {
    out_.constants_.push_back(value);
    return push(opcode::constant, type, out_.constants_.size() - 1);
  }

  uint32_t push_string(std::string_view text) {
    const size_t offset = out_.strings_.size();
    out_.strings_.append(text);
    return push(opcode::string_constant, dtype::string, offset, text.size());
  }

  // `index` as a DOUBLE operand: BIGINT is converted (a constant at once), others stay.
  uint32_t as_double(uint32_t index) {
    if (type_of(index) != dtype::bigint) return index;
    node& n = out_.nodes_[index];
    if (n.op == opcode::constant) {
      datum& value = out_.constants_[n.a];
      if (!value.is_null()) value = datum::of_double(static_cast<double>(value.bigint));
      n.type = dtype::double_;
      return index;
    }
    return push(opcode::bigint_to_double, dtype::double_, index);
  }

  expression& out_;
  std::span<const input_column> input_;
  sql_dialect dialect_;
};

absl::StatusOr<expression> expression::compile(const sql::expr& e,
                                               std::span<const input_column> input,
                                               const absl::TimeZone& zone, sql_dialect dialect) {
  expression out;
  out.zone_ = zone;
  compiler c(out, input, dialect);
  SLUICE_ASSIGN_OR_RETURN(const uint32_t root, c.compile(e));
  if (root + 1 != out.nodes_.size())
    return absl::InternalError("expression compiler: the root is not the last node");
  return out;
}

void expression::mark_columns(std::vector<bool>& used) const {
  for (const auto& n : nodes_)
    if (n.op == opcode::column && n.a < used.size()) used[n.a] = true;
}

}  // namespace sluice::ops

// Typed cell values of Sluice tables and their column types.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sluice {

enum class column_type : uint8_t { string, bigint, double_, boolean, timestamp };

// The SQL name of a type: STRING, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP.
std::string_view type_name(column_type type);

// A TIMESTAMP cell: microseconds since the epoch, UTC, as Spark's TIMESTAMP.
struct timestamp {
  int64_t micros = 0;
  friend auto operator<=>(const timestamp&, const timestamp&) = default;
};

// One cell. std::monostate is SQL NULL. Strings are UTF-8. The alternatives' indexes are used in
// switches (0 NULL ... 5 TIMESTAMP).
using value = std::variant<std::monostate, bool, int64_t, double, std::string, timestamp>;

inline bool is_null(const value& v) { return std::holds_alternative<std::monostate>(v); }

// Whether `v` may be stored in a column of `type` (NULL fits any column).
bool fits(const value& v, column_type type);

// A short description of a value's kind for error messages: "null", "string", "integer", ...
std::string_view kind_name(const value& v);

}  // namespace sluice

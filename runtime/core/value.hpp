// Typed cell values of Sluice tables and their column types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sluice {

enum class column_type : uint8_t { string, bigint, double_, boolean };

// The SQL name of a type: STRING, BIGINT, DOUBLE, BOOLEAN.
std::string_view type_name(column_type type);

// One cell. std::monostate is SQL NULL. Strings are UTF-8.
using value = std::variant<std::monostate, bool, int64_t, double, std::string>;

inline bool is_null(const value& v) { return std::holds_alternative<std::monostate>(v); }

// Whether `v` may be stored in a column of `type` (NULL fits any column).
bool fits(const value& v, column_type type);

// A short description of a value's kind for error messages: "null", "string", "integer", ...
std::string_view kind_name(const value& v);

}  // namespace sluice

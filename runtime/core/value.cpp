#include "runtime/core/value.hpp"

namespace sluice {

std::string_view type_name(column_type type) {
  switch (type) {
    case column_type::string: return "STRING";
    case column_type::bigint: return "BIGINT";
    case column_type::double_: return "DOUBLE";
    case column_type::boolean: return "BOOLEAN";
    case column_type::timestamp: return "TIMESTAMP";
  }
  return "?";
}

bool fits(const value& v, column_type type) {
  switch (v.index()) {
    case 0: return true;
    case 1: return type == column_type::boolean;
    case 2: return type == column_type::bigint;
    case 3: return type == column_type::double_;
    case 4: return type == column_type::string;
    case 5: return type == column_type::timestamp;
  }
  return false;
}

std::string_view kind_name(const value& v) {
  static constexpr std::string_view names[] = {"null", "boolean", "integer", "double", "string",
                                                    "timestamp"};
  return names[v.index()];
}

}  // namespace sluice

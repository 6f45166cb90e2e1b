#include "operators/datum.hpp"

#include <string>

#include "runtime/core/row_codec.hpp"

namespace sluice::ops {

std::string_view dtype_name(dtype type) {
  switch (type) {
    case dtype::null: return "NULL";
    case dtype::boolean: return "BOOLEAN";
    case dtype::bigint: return "BIGINT";
    case dtype::double_: return "DOUBLE";
    case dtype::string: return "STRING";
    case dtype::timestamp: return "TIMESTAMP";
  }
  return "?";
}

dtype to_dtype(column_type type) {
  switch (type) {
    case column_type::string: return dtype::string;
    case column_type::bigint: return dtype::bigint;
    case column_type::double_: return dtype::double_;
    case column_type::boolean: return dtype::boolean;
    case column_type::timestamp: return dtype::timestamp;
  }
  return dtype::null;
}

value to_value(const datum& d) {
  switch (d.type) {
    case dtype::null: return std::monostate{};
    case dtype::boolean: return d.boolean;
    case dtype::bigint: return d.bigint;
    case dtype::timestamp: return timestamp{d.bigint};
    case dtype::double_: return d.double_;
    case dtype::string: return std::string(d.string);
  }
  return std::monostate{};
}

datum to_datum(const value& v) {
  switch (v.index()) {
    case 1: return datum::of_bool(std::get<bool>(v));
    case 2: return datum::of_bigint(std::get<int64_t>(v));
    case 3: return datum::of_double(std::get<double>(v));
    case 4: return datum::of_string(std::get<std::string>(v));
    case 5: return datum::of_timestamp(std::get<timestamp>(v).micros);
    default: return datum::null();
  }
}

bool to_datums(std::string_view row, const std::vector<bool>& used, std::vector<datum>& out) {
  out.assign(used.size(), datum::null());
  cell_cursor cells(row);
  cell_view cell;
  for (size_t i = 0; i < used.size() && cells.next(cell); ++i) {
    if (!used[i]) continue;
    switch (cell.kind) {
      case cell_view::null: break;
      case cell_view::boolean: out[i] = datum::of_bool(cell.boolean_value); break;
      case cell_view::bigint: out[i] = datum::of_bigint(cell.bigint_value); break;
      case cell_view::double_: out[i] = datum::of_double(cell.double_value); break;
      case cell_view::string: out[i] = datum::of_string(cell.string_value); break;
      case cell_view::timestamp: out[i] = datum::of_timestamp(cell.bigint_value); break;
    }
  }
  return !cells.corrupt();
}

}  // namespace sluice::ops

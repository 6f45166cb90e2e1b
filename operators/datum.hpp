// The values expressions compute with. A datum borrows strings from the batch it was read from
// (or from the expression's constants), so evaluating a row allocates nothing; a datum must not
// outlive that batch.
#pragma once

#include <cstdint>
#include <string_view>

#include <vector>

#include "runtime/core/value.hpp"
#include "schemas/change.capnp.h"

namespace sluice::ops {

enum class dtype : uint8_t { null, boolean, bigint, double_, string, timestamp };

// "NULL", "BOOLEAN", "BIGINT", "DOUBLE", "STRING", "TIMESTAMP"
std::string_view dtype_name(dtype type);
dtype to_dtype(column_type type);

struct datum {
  dtype type = dtype::null;
  union {
    bool boolean;
    int64_t bigint;      // BIGINT, and TIMESTAMP as microseconds since the epoch (as Spark)
    double double_;
  };
  std::string_view string;

  datum() : bigint(0) {}
  static datum null() { return {}; }
  static datum of_bool(bool b) { datum d; d.type = dtype::boolean; d.boolean = b; return d; }
  static datum of_bigint(int64_t i) { datum d; d.type = dtype::bigint; d.bigint = i; return d; }
  static datum of_double(double x) { datum d; d.type = dtype::double_; d.double_ = x; return d; }
  static datum of_string(std::string_view s) { datum d; d.type = dtype::string; d.string = s; return d; }
  static datum of_timestamp(int64_t micros) {
    datum d;
    d.type = dtype::timestamp;
    d.bigint = micros;
    return d;
  }
  bool is_null() const { return type == dtype::null; }
};

// An owning copy, for state that outlives the batch (group keys, min/max values).
value to_value(const datum& d);
// A view of `v` (strings borrow from it).
datum to_datum(const value& v);
// A view of a cell of a Cap'n Proto message (strings borrow from the message). Inline: it runs
// for every cell a job reads.
inline datum to_datum(wire::Value::Reader cell) {
  switch (cell.which()) {
    case wire::Value::NULL_: return datum::null();
    case wire::Value::BOOLEAN: return datum::of_bool(cell.getBoolean());
    case wire::Value::BIGINT: return datum::of_bigint(cell.getBigint());
    case wire::Value::DOUBLE: return datum::of_double(cell.getDouble());
    case wire::Value::STRING: {
      auto text = cell.getString();
      return datum::of_string(std::string_view(text.begin(), text.size()));
    }
    case wire::Value::TIMESTAMP: return datum::of_timestamp(cell.getTimestamp());
  }
  return datum::null();
}

// Views of the cells of a row image from a change batch (row_codec bytes) that `used` selects
// (the others are NULL: a job reads only the columns it needs); strings borrow from the batch.
// False for a malformed image.
bool to_datums(std::string_view row, const std::vector<bool>& used, std::vector<datum>& out);

}  // namespace sluice::ops

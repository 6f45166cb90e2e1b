// Writes table rows as text for `sluice scan TABLE --format csv|jsonl`.
//
// CSV: a header of column names, then one record per row; NULL is an empty field and the empty
// string is "". JSONL: one object per row with keys in schema order and NULL as null.
// Numbers print so that reading them back gives the same value: doubles in their shortest
// round-trip form, always with a '.' or exponent (12.0, not 12) so JSON readers keep them doubles.
// JSON has no NaN or infinity; those doubles are written as null there (CSV writes nan, inf).
#pragma once

#include <absl/status/statusor.h>

#include <ostream>
#include <string>
#include <string_view>
#include <span>

#include "runtime/core/table_schema.hpp"
#include "runtime/core/value.hpp"
#include "runtime/format/csv.hpp"

namespace sluice::format {

enum class output_format { csv, jsonl };

// "csv" or "jsonl"; anything else is InvalidArgument listing those.
absl::StatusOr<output_format> parse_output_format(std::string_view name);

// The shortest text that reads back as exactly `number`, with a '.' or exponent when finite.
std::string format_double(double number);

// Borrows `out` and `schema`, which must outlive the writer. Each row is written to `out` as one
// piece, so the stream holds only whole rows between calls.
class row_writer {
 public:
  row_writer(std::ostream& out, output_format format, const table_schema& schema);

  // CSV: the column names in schema order; JSONL: nothing.
  void write_header();
  // `row` holds one value per column, in schema order.
  void write_row(std::span<const value> row);

 private:
  void write_csv_row(std::span<const value> row);
  void write_json_row(std::span<const value> row);

  std::ostream& out_;
  output_format format_;
  const table_schema& schema_;
  csv_writer csv_;
  std::string line_;
};

}  // namespace sluice::format

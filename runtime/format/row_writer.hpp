// Writes rows as text: `sluice scan TABLE --format csv|jsonl|table` and query results.
//
// Table: aligned columns under a header, as psql prints them (numbers to the right, NULL empty),
// then "(N rows)"; the rows are kept until finish(), which knows the widths. CSV: a header of column names, then one record per row; NULL is an empty field and the empty
// string is "". JSONL: one object per row with keys in schema order and NULL as null.
// Numbers print so that reading them back gives the same value: doubles in their shortest
// round-trip form, always with a '.' or exponent (12.0, not 12) so JSON readers keep them doubles.
// JSON has no NaN or infinity; those doubles are written as null there (CSV writes nan, inf).
#pragma once

#include <absl/status/statusor.h>

#include <ostream>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/core/table_schema.hpp"
#include "runtime/core/value.hpp"
#include "runtime/format/csv.hpp"

namespace sluice::format {

enum class output_format { csv, jsonl, table };

// "csv", "jsonl" or "table"; anything else is InvalidArgument listing those.
absl::StatusOr<output_format> parse_output_format(std::string_view name);

// The shortest text that reads back as exactly `number`, with a '.' or exponent when finite.
std::string format_double(double number);

std::vector<std::string> column_names(const table_schema& schema);

// Borrows `out`, which must outlive the writer. CSV and JSONL rows are written to `out` as one
// piece each, so the stream holds only whole rows between calls.
class row_writer {
 public:
  row_writer(std::ostream& out, output_format format, std::vector<std::string> columns);

  // CSV: the column names; others: nothing.
  void write_header();
  // `row` holds one value per column, in the columns' order.
  void write_row(std::span<const value> row);
  // Table: the header, the rows kept so far and the row count; others: nothing.
  void finish();

 private:
  void write_csv_row(std::span<const value> row);
  void write_json_row(std::span<const value> row);

  std::ostream& out_;
  output_format format_;
  std::vector<std::string> columns_;
  csv_writer csv_;
  std::string line_;
  std::vector<std::vector<value>> kept_;  // table only
};

}  // namespace sluice::format

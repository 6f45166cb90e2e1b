// Parses the input of `sluice put TABLE --format jsonl|csv` into row batches for a table.
//
// JSONL: one object per line, keys are column names (exact case) plus an optional "_op" of
// "put" (the default), "update" or "delete". CSV: a header row naming columns (and optionally
// _op), then one record per row; an empty unquoted field is NULL, "" is the empty string.
// A put sets the given columns and leaves the others NULL, an update changes only the given
// columns, a delete takes only the key columns. In CSV every header column is given, so an
// update sets an empty field to NULL: leave a column out of the header to keep its values.
// If the table itself has a column named _op, that name means the column.
#pragma once

#include <absl/status/statusor.h>

#include <cstddef>
#include <istream>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/core/row_batch.hpp"
#include "runtime/core/table_schema.hpp"

namespace sluice::format {

enum class input_format { jsonl, csv };

// "jsonl" or "csv"; anything else is InvalidArgument listing those.
absl::StatusOr<input_format> parse_input_format(std::string_view name);

// At most this many errors are reported before reading stops.
inline constexpr size_t max_reported_errors = 10;

// Reads and checks the whole of `in` before returning, so that the caller writes all of it or
// nothing. Rows come back in input order in batches of at most `batch_rows` rows (none for an
// input without rows). Bad input is one InvalidArgument listing up to max_reported_errors
// problems, one per line, each naming the input line (counted from 1; the CSV header is line 1)
// and the column, and ending with "N errors; nothing was written".
absl::StatusOr<std::vector<row_batch>> read_rows(std::istream& in, input_format format,
                                                 std::shared_ptr<const table_schema> schema,
                                                 size_t batch_rows);

}  // namespace sluice::format

// RFC 4180 CSV: a streaming record reader and a writer that quotes only where needed.
// Sluice gives CSV one extra rule: an empty unquoted field is NULL and a quoted empty field ("")
// is the empty string, so the reader reports which fields were quoted and the writer quotes
// every empty string.
#pragma once

#include <absl/status/statusor.h>

#include <cstddef>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::format {

struct csv_field {
  std::string text;
  bool quoted = false;

  // An empty unquoted field: SQL NULL.
  bool is_null() const { return !quoted && text.empty(); }
};

struct csv_record {
  // 1-based physical line on which the record starts.
  size_t line = 0;
  std::vector<csv_field> fields;
};

// Reads records one at a time. Line ends are LF or CRLF; quoted fields may hold commas, quotes
// (doubled) and line ends. A UTF-8 byte order mark at the start of the input is skipped. An empty
// line is a record of one empty unquoted field; skipping it is the caller's choice.
// The reader borrows `in`, which must outlive it.
class csv_reader {
 public:
  explicit csv_reader(std::istream& in);

  // Reads the next record into `record`: true if one was read, false at the end of the input.
  // Malformed input (an unterminated quote, text after a closing quote, a quote inside an unquoted
  // field, a CR not followed by LF outside quotes) is InvalidArgument naming the line; the reader
  // is not usable after an error.
  absl::StatusOr<bool> read(csv_record& record);

  // The 1-based physical line the reader is on.
  size_t line() const { return line_; }

 private:
  std::streambuf* buffer_;
  size_t line_ = 1;
  bool at_start_ = true;
};

// Appends `text` as one CSV field, quoted if it is empty or holds a comma, quote, CR or LF, or
// starts or ends with a space (which other tools tend to trim).
void append_csv_field(std::string& out, std::string_view text);

// Writes records field by field; records end with LF. The writer borrows `out`.
class csv_writer {
 public:
  explicit csv_writer(std::ostream& out) : out_(out) {}

  void write_field(std::string_view text);
  // Writes an empty unquoted field.
  void write_null();
  void end_record();

 private:
  void separate();

  std::ostream& out_;
  std::string record_;
  bool first_in_record_ = true;
};

}  // namespace sluice::format

#include "runtime/format/row_writer.hpp"

#include <fmt/format.h>

#include <cassert>
#include <charconv>
#include <cmath>

#include "runtime/format/utf8.hpp"

namespace sluice::format {
namespace {

// Appends `text` as a JSON string. Non-ASCII UTF-8 is kept as is; a byte that is not part of
// well-formed UTF-8 becomes U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  while (!text.empty()) {
    const size_t valid = valid_utf8_prefix(text);
    for (char c : text.substr(0, valid)) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20)
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
          else
            out.push_back(c);
      }
    }
    if (valid == text.size()) break;
    out += "\\ufffd";
    text.remove_prefix(valid + 1);
  }
  out.push_back('"');
}

void append_json_value(std::string& out, const value& v) {
  switch (v.index()) {
    case 0: out += "null"; break;
    case 1: out += std::get<bool>(v) ? "true" : "false"; break;
    case 2: fmt::format_to(std::back_inserter(out), "{}", std::get<int64_t>(v)); break;
    case 3: {
      const double number = std::get<double>(v);
      out += std::isfinite(number) ? format_double(number) : "null";
      break;
    }
    case 4: append_json_string(out, std::get<std::string>(v)); break;
  }
}

}  // namespace

absl::StatusOr<output_format> parse_output_format(std::string_view name) {
  if (name == "csv") return output_format::csv;
  if (name == "jsonl") return output_format::jsonl;
  return absl::InvalidArgumentError(
      fmt::format("unknown output format '{}'; accepted: csv, jsonl", name));
}

std::string format_double(double number) {
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, number).ptr;
  std::string text(buffer, end);
  if (std::isfinite(number) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

row_writer::row_writer(std::ostream& out, output_format format, const table_schema& schema)
    : out_(out), format_(format), schema_(schema), csv_(out) {}

void row_writer::write_header() {
  if (format_ != output_format::csv) return;
  for (const auto& column : schema_.columns()) csv_.write_field(column.name);
  csv_.end_record();
}

void row_writer::write_row(std::span<const value> row) {
  assert(row.size() == schema_.column_count());
  if (format_ == output_format::csv)
    write_csv_row(row);
  else
    write_json_row(row);
}

void row_writer::write_csv_row(std::span<const value> row) {
  for (const value& v : row) {
    switch (v.index()) {
      case 0: csv_.write_null(); break;
      case 1: csv_.write_field(std::get<bool>(v) ? "true" : "false"); break;
      case 2: csv_.write_field(fmt::format("{}", std::get<int64_t>(v))); break;
      case 3: csv_.write_field(format_double(std::get<double>(v))); break;
      case 4: csv_.write_field(std::get<std::string>(v)); break;
    }
  }
  csv_.end_record();
}

void row_writer::write_json_row(std::span<const value> row) {
  line_.clear();
  line_.push_back('{');
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) line_.push_back(',');
    append_json_string(line_, schema_.column(i).name);
    line_.push_back(':');
    append_json_value(line_, row[i]);
  }
  line_ += "}\n";
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

}  // namespace sluice::format

#include "runtime/format/row_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

#include "runtime/core/timestamp_text.hpp"
#include "runtime/format/utf8.hpp"

namespace sluice::format {
namespace {

// Stored TIMESTAMPs are UTC and print so: read back, the text gives the same value.
std::string utc_text(timestamp t) { return timestamp_text(t.micros, absl::UTCTimeZone()); }

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
    case 5: append_json_string(out, utc_text(std::get<timestamp>(v))); break;
  }
}

// A cell as the table format shows it: NULL is empty, strings as they are.
std::string cell_text(const value& v) {
  switch (v.index()) {
    case 1: return std::get<bool>(v) ? "true" : "false";
    case 2: return fmt::format("{}", std::get<int64_t>(v));
    case 3: return format_double(std::get<double>(v));
    case 4: return std::get<std::string>(v);
    case 5: return utc_text(std::get<timestamp>(v));
    default: return "";
  }
}

// Characters, not bytes: what a terminal gives a UTF-8 string (wide characters aside).
size_t text_width(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void pad(std::string& out, size_t n) { out.append(n, ' '); }

}  // namespace

absl::StatusOr<output_format> parse_output_format(std::string_view name) {
  if (name == "csv") return output_format::csv;
  if (name == "jsonl") return output_format::jsonl;
  if (name == "table") return output_format::table;
  return absl::InvalidArgumentError(
      fmt::format("unknown output format '{}'; accepted: csv, jsonl, table", name));
}

std::vector<std::string> column_names(const table_schema& schema) {
  std::vector<std::string> names;
  for (const auto& column : schema.columns()) names.push_back(column.name);
  return names;
}

std::string format_double(double number) {
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, number).ptr;
  std::string text(buffer, end);
  if (std::isfinite(number) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

row_writer::row_writer(std::ostream& out, output_format format, std::vector<std::string> columns)
    : out_(out), format_(format), columns_(std::move(columns)), csv_(out) {}

void row_writer::write_header() {
  if (format_ != output_format::csv) return;
  for (const auto& column : columns_) csv_.write_field(column);
  csv_.end_record();
}

void row_writer::write_row(std::span<const value> row) {
  assert(row.size() == columns_.size());
  switch (format_) {
    case output_format::csv: write_csv_row(row); break;
    case output_format::jsonl: write_json_row(row); break;
    case output_format::table: kept_.emplace_back(row.begin(), row.end()); break;
  }
}

void row_writer::finish() {
  if (format_ != output_format::table) return;
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths;
  for (const auto& name : columns_) widths.push_back(text_width(name));
  std::vector<bool> right(columns_.size(), false);  // numbers: the first non-NULL cell decides
  std::vector<bool> typed(columns_.size(), false);
  for (const auto& row : kept_) {
    auto& texts = cells.emplace_back();
    for (size_t c = 0; c < row.size(); ++c) {
      texts.push_back(cell_text(row[c]));
      widths[c] = std::max(widths[c], text_width(texts.back()));
      if (!typed[c] && !is_null(row[c])) {
        typed[c] = true;
        right[c] = std::holds_alternative<int64_t>(row[c]) || std::holds_alternative<double>(row[c]);
      }
    }
  }
  std::string out;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const size_t space = widths[c] - text_width(columns_[c]);
    out += c == 0 ? " " : " | ";
    pad(out, space / 2);
    out += columns_[c];
    pad(out, space - space / 2);
  }
  out += " \n";
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (c > 0) out.push_back('+');
    out.append(widths[c] + 2, '-');
  }
  out.push_back('\n');
  for (const auto& texts : cells) {
    for (size_t c = 0; c < texts.size(); ++c) {
      const size_t space = widths[c] - text_width(texts[c]);
      out += c == 0 ? " " : " | ";
      if (right[c]) pad(out, space);
      out += texts[c];
      if (!right[c] && c + 1 < texts.size()) pad(out, space);
    }
    out += "\n";
  }
  out += fmt::format("({} row{})\n\n", kept_.size(), kept_.size() == 1 ? "" : "s");
  out_.write(out.data(), static_cast<std::streamsize>(out.size()));
  kept_.clear();
}

void row_writer::write_csv_row(std::span<const value> row) {
  for (const value& v : row) {
    switch (v.index()) {
      case 0: csv_.write_null(); break;
      case 1: csv_.write_field(std::get<bool>(v) ? "true" : "false"); break;
      case 2: csv_.write_field(fmt::format("{}", std::get<int64_t>(v))); break;
      case 3: csv_.write_field(format_double(std::get<double>(v))); break;
      case 4: csv_.write_field(std::get<std::string>(v)); break;
      case 5: csv_.write_field(utc_text(std::get<timestamp>(v))); break;
    }
  }
  csv_.end_record();
}

void row_writer::write_json_row(std::span<const value> row) {
  line_.clear();
  line_.push_back('{');
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) line_.push_back(',');
    append_json_string(line_, columns_[i]);
    line_.push_back(':');
    append_json_value(line_, row[i]);
  }
  line_ += "}\n";
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

}  // namespace sluice::format

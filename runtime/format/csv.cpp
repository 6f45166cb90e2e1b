#include "runtime/format/csv.hpp"

#include <absl/status/status.h>
#include <fmt/format.h>

namespace sluice::format {
namespace {

constexpr int end_of_input = std::char_traits<char>::eof();

absl::Status bare_carriage_return(size_t line) {
  return absl::InvalidArgumentError(fmt::format(
      "line {}: a carriage return outside quotes must be followed by a line feed; quote fields "
      "that contain one",
      line));
}

}  // namespace

csv_reader::csv_reader(std::istream& in) : buffer_(in.rdbuf()) {}

absl::StatusOr<bool> csv_reader::read(csv_record& record) {
  record.fields.clear();
  if (buffer_ == nullptr) return false;

  enum class state { field_start, unquoted, quoted, after_quote };
  state current = state::field_start;
  std::string pending;  // bytes consumed while looking for a byte order mark
  if (at_start_) {
    at_start_ = false;
    static constexpr char bom[] = "\xEF\xBB\xBF";
    while (pending.size() < 3 && buffer_->sgetc() == static_cast<unsigned char>(bom[pending.size()]))
      pending.push_back(static_cast<char>(buffer_->sbumpc()));
    if (pending.size() == 3) pending.clear();
    if (!pending.empty()) current = state::unquoted;
  }
  if (pending.empty() && buffer_->sgetc() == end_of_input) return false;

  record.line = line_;
  record.fields.emplace_back().text = std::move(pending);
  size_t quote_line = 0;
  for (;;) {
    const int c = buffer_->sbumpc();
    csv_field& field = record.fields.back();
    switch (current) {
      case state::field_start:
      case state::unquoted:
      case state::after_quote:
        if (c == end_of_input) return true;
        if (c == ',') {
          record.fields.emplace_back();
          current = state::field_start;
          continue;
        }
        if (c == '\n') {
          ++line_;
          return true;
        }
        if (c == '\r') {
          if (buffer_->sgetc() != '\n') return bare_carriage_return(line_);
          buffer_->sbumpc();
          ++line_;
          return true;
        }
        if (current == state::after_quote)
          return absl::InvalidArgumentError(fmt::format(
              "line {}: field {} has text after its closing quote; inside a quoted field write a "
              "quote as two quotes (\"\")",
              line_, record.fields.size()));
        if (c == '"') {
          if (current == state::unquoted)
            return absl::InvalidArgumentError(fmt::format(
                "line {}: field {} holds a quote but does not start with one; quote the whole "
                "field and double the quote (\"5\"\" screen\")",
                line_, record.fields.size()));
          field.quoted = true;
          quote_line = line_;
          current = state::quoted;
          continue;
        }
        field.text.push_back(static_cast<char>(c));
        current = state::unquoted;
        continue;
      case state::quoted:
        if (c == end_of_input)
          return absl::InvalidArgumentError(fmt::format(
              "line {}: the quoted field {} that starts here is never closed by a quote",
              quote_line, record.fields.size()));
        if (c == '"') {
          if (buffer_->sgetc() == '"') {
            buffer_->sbumpc();
            field.text.push_back('"');
          } else {
            current = state::after_quote;
          }
          continue;
        }
        if (c == '\n') ++line_;
        field.text.push_back(static_cast<char>(c));
        continue;
    }
  }
}

void append_csv_field(std::string& out, std::string_view text) {
  const bool needs_quotes = text.empty() || text.front() == ' ' || text.back() == ' ' ||
                            text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!needs_quotes) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void csv_writer::separate() {
  if (!first_in_record_) record_.push_back(',');
  first_in_record_ = false;
}

void csv_writer::write_field(std::string_view text) {
  separate();
  append_csv_field(record_, text);
}

void csv_writer::write_null() { separate(); }

void csv_writer::end_record() {
  record_.push_back('\n');
  out_.write(record_.data(), static_cast<std::streamsize>(record_.size()));
  record_.clear();
  first_in_record_ = true;
}

}  // namespace sluice::format

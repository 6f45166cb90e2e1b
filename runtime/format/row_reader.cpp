#include "runtime/format/row_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>

#include "runtime/core/timestamp_text.hpp"
#include "runtime/format/csv.hpp"
#include "runtime/format/utf8.hpp"

namespace sluice::format {
namespace {

using json = nlohmann::ordered_json;  // keeps keys in input order, so errors come in that order

constexpr std::string_view op_key = "_op";

// `text` in double quotes for an error message: escaped, ill-formed bytes as \xNN, and cut short
// when long.
std::string quote_for_message(std::string_view text) {
  constexpr size_t max_bytes = 60;
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    if (i >= max_bytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      const auto sequence = text.substr(i, length);
      if (sequence.size() == length && is_valid_utf8(sequence)) {
        out.append(sequence);
        i += length;
      } else {
        fmt::format_to(std::back_inserter(out), "\\x{:02X}", c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F)
          fmt::format_to(std::back_inserter(out), "\\x{:02X}", c);
        else
          out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out += '"';
  return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<change_op> parse_op(std::string_view name) {
  if (name == "put") return change_op::put;
  if (name == "update") return change_op::update;
  if (name == "delete") return change_op::delete_;
  return std::nullopt;
}

std::string describe_json(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return fmt::format("boolean {}", j.get<bool>());
    case json::value_t::string:
      return fmt::format("string {}", quote_for_message(j.get_ref<const std::string&>()));
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return fmt::format("number {}", j.dump());
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    default: return "an unsupported JSON value";
  }
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag, and with its position
// given as a column, since each line is parsed on its own.
std::string json_error_message(const json::exception& error) {
  std::string_view message = error.what();
  if (auto tag_end = message.find("] "); !message.empty() && message.front() == '[' &&
                                         tag_end != std::string_view::npos)
    message.remove_prefix(tag_end + 2);
  constexpr std::string_view position = "parse error at line 1, column ";
  if (message.substr(0, position.size()) == position)
    return fmt::format("column {}", message.substr(position.size()));
  return std::string(message);
}

absl::Status type_mismatch(column_type type, std::string_view got, std::string_view hint = {}) {
  return absl::InvalidArgumentError(
      fmt::format("expected {}, got {}{}", type_name(type), got, hint));
}

constexpr std::string_view timestamp_hint = " (write 'yyyy-MM-dd HH:mm:ss[.ffffff]', UTC)";

absl::StatusOr<value> text_to_timestamp(std::string_view text, std::string_view got) {
  const auto micros = parse_timestamp(text, absl::UTCTimeZone());
  if (!micros) return type_mismatch(column_type::timestamp, got, timestamp_hint);
  return value{timestamp{*micros}};
}

constexpr std::string_view bigint_range_hint =
    " (outside the BIGINT range -9223372036854775808..9223372036854775807)";

absl::StatusOr<value> json_to_value(const json& j, column_type type) {
  if (j.is_null()) return value{};
  switch (type) {
    case column_type::string:
      // nlohmann rejects ill-formed UTF-8 while parsing, so strings need no further check.
      if (j.is_string()) return value{j.get<std::string>()};
      break;
    case column_type::bigint:
      if (j.is_number_unsigned()) {
        const auto number = j.get<uint64_t>();
        if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return type_mismatch(type, describe_json(j), bigint_range_hint);
        return value{static_cast<int64_t>(number)};
      }
      if (j.is_number_integer()) return value{j.get<int64_t>()};
      if (j.is_number_float()) {
        // nlohmann reads integers beyond 64 bits as floats.
        const double number = j.get<double>();
        if (number >= 0x1p63 || number < -0x1p63)
          return type_mismatch(type, describe_json(j), bigint_range_hint);
        if (std::trunc(number) == number)
          return type_mismatch(type, describe_json(j),
                               " (write whole numbers without a decimal point or exponent)");
      }
      break;
    case column_type::double_:
      if (j.is_number_float()) {
        const double number = j.get<double>();
        if (std::isfinite(number)) return value{number};
      } else if (j.is_number_unsigned()) {
        return value{static_cast<double>(j.get<uint64_t>())};
      } else if (j.is_number_integer()) {
        return value{static_cast<double>(j.get<int64_t>())};
      }
      break;
    case column_type::boolean:
      if (j.is_boolean()) return value{j.get<bool>()};
      break;
    case column_type::timestamp:
      if (j.is_string()) return text_to_timestamp(j.get_ref<const std::string&>(), describe_json(j));
      return type_mismatch(type, describe_json(j), timestamp_hint);
  }
  return type_mismatch(type, describe_json(j));
}

// Converts a non-NULL CSV field.
absl::StatusOr<value> csv_to_value(const std::string& text, column_type type) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  switch (type) {
    case column_type::string:
      if (!is_valid_utf8(text))
        return absl::InvalidArgumentError(fmt::format(
            "invalid UTF-8 at byte {} of {}", valid_utf8_prefix(text) + 1, quote_for_message(text)));
      return value{text};
    case column_type::bigint: {
      int64_t number = 0;
      auto [ptr, error] = std::from_chars(begin, end, number);
      if (error == std::errc::result_out_of_range)
        return type_mismatch(type, quote_for_message(text), bigint_range_hint);
      if (error == std::errc() && ptr == end && !text.empty()) return value{number};
      break;
    }
    case column_type::double_: {
      double number = 0;
      auto [ptr, error] = std::from_chars(begin, end, number);
      if (error == std::errc::result_out_of_range)
        return type_mismatch(type, quote_for_message(text), " (outside the DOUBLE range)");
      if (error == std::errc() && ptr == end) {
        if (std::isfinite(number)) return value{number};
        return type_mismatch(type, quote_for_message(text), " (only finite numbers are accepted)");
      }
      break;
    }
    case column_type::boolean:
      if (equals_ignore_case(text, "true") || text == "1") return value{true};
      if (equals_ignore_case(text, "false") || text == "0") return value{false};
      return type_mismatch(type, quote_for_message(text), " (accepted: true, false, 1, 0)");
    case column_type::timestamp: return text_to_timestamp(text, quote_for_message(text));
  }
  return type_mismatch(type, quote_for_message(text));
}

// Collects the problems found in an input: the first max_reported_errors, and whether there
// were more.
class error_list {
 public:
  void add(std::string message) {
    if (messages_.size() < max_reported_errors)
      messages_.push_back(std::move(message));
    else
      overflowed_ = true;
  }
  bool empty() const { return messages_.empty(); }
  // Once full, reading stops.
  bool full() const { return overflowed_; }

  absl::Status status() const {
    const size_t count = messages_.size();
    std::string summary =
        overflowed_ ? fmt::format("more than {} errors; nothing was written", max_reported_errors)
                    : fmt::format("{} error{}; nothing was written", count, count == 1 ? "" : "s");
    return absl::InvalidArgumentError(
        fmt::format("{}\n{}", fmt::join(messages_, "\n"), summary));
  }

 private:
  std::vector<std::string> messages_;
  bool overflowed_ = false;
};

// State shared by both formats: the schema, the batches filled so far and the errors.
class input_reader {
 public:
  input_reader(std::shared_ptr<const table_schema> schema, size_t batch_rows)
      : schema_(std::move(schema)),
        batch_rows_(batch_rows),
        op_is_column_(schema_->find_column(op_key).has_value()) {
    std::vector<std::string_view> keys;
    for (uint16_t key : schema_->primary_key()) keys.push_back(schema_->column(key).name);
    key_names_ = fmt::format("{}", fmt::join(keys, ", "));
  }

  const table_schema& schema() const { return *schema_; }
  bool op_is_column() const { return op_is_column_; }
  const std::string& key_names() const { return key_names_; }
  error_list& errors() { return errors_; }

  void error(size_t line, std::string_view message) {
    errors_.add(fmt::format("line {}: {}", line, message));
  }
  void error(size_t line, size_t column, std::string_view message) {
    errors_.add(
        fmt::format("line {}, column '{}': {}", line, schema_->column(column).name, message));
  }

  // Appends a row to the last batch, starting a new batch when it is full.
  std::pair<row_batch*, size_t> add_row(change_op op) {
    if (batches_.empty() || batches_.back().size() == batch_rows_) batches_.emplace_back(schema_);
    row_batch& batch = batches_.back();
    return {&batch, batch.add_row(op)};
  }

  absl::StatusOr<std::vector<row_batch>> finish() {
    if (!errors_.empty()) return errors_.status();
    return std::move(batches_);
  }

 private:
  std::shared_ptr<const table_schema> schema_;
  size_t batch_rows_;
  bool op_is_column_;
  std::string key_names_;
  std::vector<row_batch> batches_;
  error_list errors_;
};

std::string op_error(std::string_view got) {
  return fmt::format("_op must be \"put\", \"update\" or \"delete\", got {}", got);
}

std::string key_null_error(column_type type) {
  if (type == column_type::string)
    return "key columns cannot be NULL (for an empty string write \"\")";
  return "key columns cannot be NULL";
}

void read_json_line(input_reader& reader, size_t line, std::string_view text) {
  const table_schema& schema = reader.schema();
  std::unordered_set<std::string> keys;
  std::vector<std::string> repeated;
  json object;
  try {
    object = json::parse(text, [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth == 1 && event == json::parse_event_t::key && parsed.is_string() &&
          !keys.insert(parsed.get<std::string>()).second)
        repeated.push_back(parsed.get<std::string>());
      return true;
    });
  } catch (const json::exception& e) {
    reader.error(line, fmt::format("invalid JSON: {}", json_error_message(e)));
    return;
  }
  if (!object.is_object()) {
    reader.error(line, fmt::format("expected a JSON object with column names as keys, got {}",
                                   describe_json(object)));
    return;
  }
  for (const auto& key : repeated)
    reader.error(line, fmt::format("key '{}' is given more than once", key));

  change_op op = change_op::put;
  if (!reader.op_is_column()) {
    if (auto it = object.find(op_key); it != object.end()) {
      std::optional<change_op> parsed;
      if (it->is_string()) parsed = parse_op(it->get_ref<const std::string&>());
      if (!parsed) {
        reader.error(line, op_error(describe_json(*it)));
        return;
      }
      op = *parsed;
    }
  }

  auto [batch, row] = reader.add_row(op);
  std::vector<bool> given(schema.column_count(), false);
  for (const auto& [key, field] : object.items()) {
    if (key == op_key && !reader.op_is_column()) continue;
    const auto column = schema.find_column(key);
    if (!column) {
      reader.error(line, schema.describe_unknown_column(key));
      continue;
    }
    given[*column] = true;
    const bool is_key = schema.is_key(*column);
    if (op == change_op::delete_ && !is_key) {
      reader.error(line, *column,
                   fmt::format("a delete takes only the key columns ({})", reader.key_names()));
      continue;
    }
    if (field.is_null() && is_key) {
      reader.error(line, *column, key_null_error(schema.column(*column).type));
      continue;
    }
    auto converted = json_to_value(field, schema.column(*column).type);
    if (!converted.ok()) {
      reader.error(line, *column, std::string(converted.status().message()));
      continue;
    }
    batch->set(row, *column, *std::move(converted));
  }
  for (uint16_t key : schema.primary_key())
    if (!given[key])
      reader.error(line, fmt::format("key column '{}' is missing", schema.column(key).name));
}

void read_jsonl(std::istream& in, input_reader& reader) {
  std::string text;
  for (size_t line = 1; !reader.errors().full() && std::getline(in, text); ++line) {
    std::string_view view = text;
    if (line == 1 && view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);
    if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
    if (view.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    read_json_line(reader, line, view);
  }
}

// Where each CSV field goes: a column index, or not_a_column for _op.
struct csv_header {
  static constexpr size_t not_a_column = std::numeric_limits<size_t>::max();
  std::vector<size_t> targets;
  std::optional<size_t> op_index;
};

std::optional<csv_header> read_csv_header(const csv_record& record, input_reader& reader) {
  const table_schema& schema = reader.schema();
  csv_header header;
  std::vector<bool> listed(schema.column_count(), false);
  bool ok = true;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const std::string& name = record.fields[i].text;
    if (name == op_key && !reader.op_is_column()) {
      if (header.op_index) {
        reader.error(record.line, "column '_op' is listed twice");
        ok = false;
      }
      header.op_index = i;
      header.targets.push_back(csv_header::not_a_column);
      continue;
    }
    const auto column = schema.find_column(name);
    if (!column) {
      reader.error(record.line, schema.describe_unknown_column(name));
      ok = false;
      header.targets.push_back(csv_header::not_a_column);
      continue;
    }
    if (listed[*column]) {
      reader.error(record.line, fmt::format("column '{}' is listed twice", name));
      ok = false;
    }
    listed[*column] = true;
    header.targets.push_back(*column);
  }
  for (uint16_t key : schema.primary_key()) {
    if (!listed[key]) {
      reader.error(record.line,
                   fmt::format("key column '{}' is missing from the header", schema.column(key).name));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return header;
}

void read_csv_record(const csv_record& record, const csv_header& header, input_reader& reader) {
  const table_schema& schema = reader.schema();
  const size_t line = record.line;
  if (record.fields.size() != header.targets.size()) {
    reader.error(line, fmt::format("expected {} fields as in the header, got {}",
                                   header.targets.size(), record.fields.size()));
    return;
  }
  change_op op = change_op::put;
  if (header.op_index) {
    const csv_field& field = record.fields[*header.op_index];
    if (!field.is_null()) {
      auto parsed = parse_op(field.text);
      if (!parsed) {
        reader.error(line, op_error(quote_for_message(field.text)));
        return;
      }
      op = *parsed;
    }
  }
  auto [batch, row] = reader.add_row(op);
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const size_t column = header.targets[i];
    if (column == csv_header::not_a_column) continue;
    const csv_field& field = record.fields[i];
    const column_def& def = schema.column(column);
    const bool is_key = schema.is_key(column);
    if (field.is_null()) {
      if (is_key) {
        reader.error(line, column, key_null_error(def.type));
      } else if (op != change_op::delete_) {
        batch->set(row, column, value{});
      }
      continue;
    }
    if (op == change_op::delete_ && !is_key) {
      reader.error(line, column,
                   fmt::format("a delete takes only the key columns ({}); leave the others empty",
                               reader.key_names()));
      continue;
    }
    auto converted = csv_to_value(field.text, def.type);
    if (!converted.ok()) {
      reader.error(line, column, std::string(converted.status().message()));
      continue;
    }
    batch->set(row, column, *std::move(converted));
  }
}

void read_csv(std::istream& in, input_reader& reader) {
  csv_reader records(in);
  csv_record record;
  auto read = records.read(record);
  if (!read.ok()) {
    reader.errors().add(std::string(read.status().message()));
    return;
  }
  if (!*read) {
    reader.error(1, "the input is empty; CSV input starts with a header line naming the columns");
    return;
  }
  const auto header = read_csv_header(record, reader);
  if (!header) return;
  while (!reader.errors().full()) {
    read = records.read(record);
    if (!read.ok()) {
      reader.errors().add(std::string(read.status().message()));
      return;
    }
    if (!*read) return;
    if (record.fields.size() == 1 && record.fields[0].is_null()) continue;  // an empty line
    read_csv_record(record, *header, reader);
  }
}

}  // namespace

absl::StatusOr<input_format> parse_input_format(std::string_view name) {
  if (name == "jsonl") return input_format::jsonl;
  if (name == "csv") return input_format::csv;
  return absl::InvalidArgumentError(
      fmt::format("unknown input format '{}'; accepted: jsonl, csv", name));
}

absl::StatusOr<std::vector<row_batch>> read_rows(std::istream& in, input_format format,
                                                 std::shared_ptr<const table_schema> schema,
                                                 size_t batch_rows) {
  if (schema == nullptr) return absl::InvalidArgumentError("read_rows needs a table schema");
  if (batch_rows == 0) return absl::InvalidArgumentError("batch_rows must be at least 1");
  input_reader reader(std::move(schema), batch_rows);
  switch (format) {
    case input_format::jsonl: read_jsonl(in, reader); break;
    case input_format::csv: read_csv(in, reader); break;
  }
  return reader.finish();
}

}  // namespace sluice::format

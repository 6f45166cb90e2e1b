// sluice::format: UTF-8 checks, the CSV reader and writer, and rows in and out as JSONL and CSV,
// bad input included.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <sstream>
#include <string>

#include "runtime/format/csv.hpp"
#include "runtime/format/row_reader.hpp"
#include "runtime/format/row_writer.hpp"
#include "runtime/format/utf8.hpp"

namespace sluice::format {
namespace {

std::shared_ptr<const table_schema> order_schema() {
  auto schema = table_schema::create(1, "OrderSource",
                                     {{"UserId", column_type::string},
                                      {"OrderId", column_type::string},
                                      {"price", column_type::double_},
                                      {"timestamp", column_type::bigint},
                                      {"paid", column_type::boolean}},
                                     {"UserId", "OrderId"}, 8);
  REQUIRE(schema.ok());
  return std::make_shared<const table_schema>(*std::move(schema));
}

std::vector<csv_record> read_csv_text(const std::string& text) {
  std::istringstream in(text);
  csv_reader reader(in);
  std::vector<csv_record> records;
  csv_record record;
  for (;;) {
    auto read = reader.read(record);
    REQUIRE_MESSAGE(read.ok(), std::string(read.status().message()));
    if (!*read) return records;
    records.push_back(record);
  }
}

absl::Status csv_error(const std::string& text) {
  std::istringstream in(text);
  csv_reader reader(in);
  csv_record record;
  for (;;) {
    auto read = reader.read(record);
    if (!read.ok()) return read.status();
    if (!*read) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<row_batch>> read_text(const std::string& text, input_format format,
                                                 size_t batch_rows = 100) {
  std::istringstream in(text);
  return read_rows(in, format, order_schema(), batch_rows);
}

// The error message of reading `text`, which must fail.
std::string read_error(const std::string& text, input_format format) {
  auto batches = read_text(text, format);
  REQUIRE_FALSE(batches.ok());
  CHECK(absl::IsInvalidArgument(batches.status()));
  return std::string(batches.status().message());
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Rows as written by `scan` and read back by `put`.
std::vector<std::vector<value>> round_trip(const std::vector<std::vector<value>>& rows,
                                           output_format out_format, input_format in_format) {
  auto schema = order_schema();
  std::ostringstream out;
  row_writer writer(out, out_format, column_names(*schema));
  writer.write_header();
  for (const auto& row : rows) writer.write_row(row);
  std::istringstream in(out.str());
  auto batches = read_rows(in, in_format, schema, 100);
  REQUIRE_MESSAGE(batches.ok(), std::string(batches.status().message()), "\n", out.str());
  std::vector<std::vector<value>> back;
  for (const auto& batch : *batches) {
    for (size_t row = 0; row < batch.size(); ++row) {
      CHECK(batch.op(row) == change_op::put);
      auto& values = back.emplace_back();
      for (size_t column = 0; column < schema->column_count(); ++column)
        values.push_back(batch.get(row, column));
    }
  }
  return back;
}

TEST_CASE("UTF-8 validation rejects overlongs, surrogates and code points past U+10FFFF") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("Z\xC3\xBCrich \xE5\x8C\x97\xE4\xBA\xAC \xF0\x9F\x98\x80"));
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800
  CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));      // U+DFFF
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("ab\xE5\x8C"));  // cut short
  CHECK(valid_utf8_prefix("ab\xE5\x8C") == 2);
}

TEST_CASE("the CSV reader handles quoting, embedded line ends and CRLF") {
  auto records = read_csv_text(
      "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
      ",\"\",x\n"
      "\"two\nlines\",\"cr\r\nlf\",end\n"
      "last");
  REQUIRE(records.size() == 4);
  CHECK(records[0].line == 1);
  REQUIRE(records[0].fields.size() == 3);
  CHECK(records[0].fields[1].text == "b,c");
  CHECK(records[0].fields[2].text == "say \"hi\"");

  CHECK(records[1].line == 2);
  CHECK(records[1].fields[0].is_null());
  CHECK_FALSE(records[1].fields[1].is_null());
  CHECK(records[1].fields[1].quoted);
  CHECK(records[1].fields[1].text.empty());

  CHECK(records[2].line == 3);
  CHECK(records[2].fields[0].text == "two\nlines");
  CHECK(records[2].fields[1].text == "cr\r\nlf");
  CHECK(records[3].line == 6);  // the two quoted line ends of the previous record count
  CHECK(records[3].fields[0].text == "last");

  CHECK(read_csv_text("").empty());
  CHECK(read_csv_text("a\n").size() == 1);
  auto with_bom = read_csv_text("\xEF\xBB\xBFUserId\n");
  REQUIRE(with_bom.size() == 1);
  CHECK(with_bom[0].fields[0].text == "UserId");
  auto blank = read_csv_text("a\n\nb\n");
  REQUIRE(blank.size() == 3);
  CHECK(blank[1].fields.size() == 1);
  CHECK(blank[1].fields[0].is_null());
}

TEST_CASE("malformed CSV is an error naming the line") {
  auto unterminated = csv_error("a,b\nc,d\n\"open,\nmore\n");
  CHECK(absl::IsInvalidArgument(unterminated));
  CHECK(contains(std::string(unterminated.message()), "line 3:"));
  CHECK(contains(std::string(unterminated.message()), "never closed"));

  auto after_quote = csv_error("a\n\"x\"y\n");
  CHECK(contains(std::string(after_quote.message()), "line 2:"));
  CHECK(contains(std::string(after_quote.message()), "after its closing quote"));

  auto stray_quote = csv_error("5\" screen\n");
  CHECK(contains(std::string(stray_quote.message()), "line 1:"));

  auto bare_cr = csv_error("a\rb\n");
  CHECK(contains(std::string(bare_cr.message()), "carriage return"));
}

TEST_CASE("the CSV writer quotes only where needed") {
  std::ostringstream out;
  csv_writer writer(out);
  for (std::string_view text : {"plain", "", "a,b", "q\"q", "line\nend", " lead", "trail ",
                                "in side", "cr\r"})
    writer.write_field(text);
  writer.write_null();
  writer.end_record();
  CHECK(out.str() ==
        "plain,\"\",\"a,b\",\"q\"\"q\",\"line\nend\",\" lead\",\"trail \",in side,\"cr\r\",\n");
}

TEST_CASE("awkward strings survive a round trip through CSV and JSONL") {
  std::vector<std::vector<value>> rows = {
      {"Z\xC3\xBCrich, \xE5\x8C\x97\xE4\xBA\xAC \"x\"", "o,1", 1.5, int64_t{1}, true},
      {"multi\nline\r\nvalue", "", value{}, value{}, value{}},
      {" spaced ", "tab\tand\\back", 0.0, int64_t{-9223372036854775807 - 1}, false},
      {"\"", "\x01 control", -2.5, int64_t{9223372036854775807}, value{}},
  };
  for (auto [out, in] : {std::pair{output_format::csv, input_format::csv},
                         std::pair{output_format::jsonl, input_format::jsonl}}) {
    CAPTURE(static_cast<int>(in));
    CHECK(round_trip(rows, out, in) == rows);
  }
}

TEST_CASE("doubles read back exactly, and an integral double stays a double in JSON") {
  std::vector<double> numbers = {0.1, 1e300, -0.0, 12.0, 5e-324, 1.7976931348623157e308,
                                 -123456.789, 1e16, 2.2250738585072014e-308};
  std::vector<std::vector<value>> rows;
  for (size_t i = 0; i < numbers.size(); ++i)
    rows.push_back({"u", std::to_string(i), numbers[i], value{}, value{}});
  for (auto [out, in] : {std::pair{output_format::csv, input_format::csv},
                         std::pair{output_format::jsonl, input_format::jsonl}}) {
    auto back = round_trip(rows, out, in);
    REQUIRE(back.size() == numbers.size());
    for (size_t i = 0; i < numbers.size(); ++i) {
      const double got = std::get<double>(back[i][2]);
      CHECK(got == numbers[i]);
      CHECK(std::signbit(got) == std::signbit(numbers[i]));
    }
  }

  auto schema = order_schema();
  std::ostringstream out;
  row_writer writer(out, output_format::jsonl, column_names(*schema));
  writer.write_row(std::vector<value>{"u", "o", 12.0, int64_t{12}, value{}});
  writer.write_row(std::vector<value>{"u", "o", -0.0, value{}, value{}});
  writer.write_row(std::vector<value>{"u", "o", std::nan(""), value{}, value{}});
  CHECK(out.str() ==
        "{\"UserId\":\"u\",\"OrderId\":\"o\",\"price\":12.0,\"timestamp\":12,\"paid\":null}\n"
        "{\"UserId\":\"u\",\"OrderId\":\"o\",\"price\":-0.0,\"timestamp\":null,\"paid\":null}\n"
        "{\"UserId\":\"u\",\"OrderId\":\"o\",\"price\":null,\"timestamp\":null,\"paid\":null}\n");
  CHECK(format_double(1e300) == "1e+300");
  CHECK(format_double(0.1) == "0.1");
}

TEST_CASE("the writer prints CSV with a header, NULL as nothing and the empty string as \"\"") {
  auto schema = order_schema();
  std::ostringstream out;
  row_writer writer(out, output_format::csv, column_names(*schema));
  writer.write_header();
  writer.write_row(std::vector<value>{"u", "", value{}, int64_t{3}, true});
  CHECK(out.str() == "UserId,OrderId,price,timestamp,paid\nu,\"\",,3,true\n");

  std::ostringstream json;
  row_writer json_writer(json, output_format::jsonl, column_names(*schema));
  json_writer.write_header();
  json_writer.write_row(std::vector<value>{"Z\xC3\xBCrich \"q\"\n", "\x7F", value{}, value{}, false});
  CHECK(json.str() ==
        "{\"UserId\":\"Z\xC3\xBCrich \\\"q\\\"\\n\",\"OrderId\":\"\x7F\",\"price\":null,"
        "\"timestamp\":null,\"paid\":false}\n");
}

TEST_CASE("JSONL input with _op gives puts, updates and deletes") {
  auto batches = read_text(
      "{\"UserId\":\"u1\",\"OrderId\":\"o1\",\"price\":12,\"timestamp\":5,\"paid\":true}\n"
      "\n"
      "  \r\n"
      "{\"_op\":\"update\",\"UserId\":\"u1\",\"OrderId\":\"o1\",\"price\":null}\r\n"
      "{\"_op\":\"delete\",\"OrderId\":\"o2\",\"UserId\":\"u2\"}\n"
      "{\"_op\":\"put\",\"UserId\":\"\",\"OrderId\":\"o3\"}",
      input_format::jsonl);
  REQUIRE_MESSAGE(batches.ok(), std::string(batches.status().message()));
  REQUIRE(batches->size() == 1);
  const row_batch& batch = batches->front();
  REQUIRE(batch.size() == 4);
  CHECK(batch.validate().ok());

  CHECK(batch.op(0) == change_op::put);
  CHECK(std::get<double>(batch.get(0, 2)) == 12.0);
  CHECK(std::get<int64_t>(batch.get(0, 3)) == 5);
  CHECK(std::get<bool>(batch.get(0, 4)));

  CHECK(batch.op(1) == change_op::update);
  CHECK(batch.is_set(1, 2));
  CHECK(is_null(batch.get(1, 2)));
  CHECK_FALSE(batch.is_set(1, 3));

  CHECK(batch.op(2) == change_op::delete_);
  CHECK(std::get<std::string>(batch.get(2, 0)) == "u2");
  CHECK(std::get<std::string>(batch.get(2, 1)) == "o2");
  CHECK_FALSE(batch.is_set(2, 2));

  CHECK(batch.op(3) == change_op::put);
  CHECK(std::get<std::string>(batch.get(3, 0)).empty());
  CHECK_FALSE(batch.is_set(3, 2));
}

TEST_CASE("CSV input with _op gives puts, updates and deletes") {
  auto batches = read_text(
      "\xEF\xBB\xBF_op,OrderId,UserId,price,paid\r\n"
      ",o1,u1,1.5,TRUE\r\n"
      "put,o2,\"\",,0\r\n"
      "\r\n"
      "update,o1,u1,,\r\n"
      "delete,o3,u3,,\r\n",
      input_format::csv);
  REQUIRE_MESSAGE(batches.ok(), std::string(batches.status().message()));
  REQUIRE(batches->size() == 1);
  const row_batch& batch = batches->front();
  REQUIRE(batch.size() == 4);
  CHECK(batch.validate().ok());

  CHECK(batch.op(0) == change_op::put);
  CHECK(std::get<std::string>(batch.get(0, 0)) == "u1");
  CHECK(std::get<std::string>(batch.get(0, 1)) == "o1");
  CHECK(std::get<double>(batch.get(0, 2)) == 1.5);
  CHECK(std::get<bool>(batch.get(0, 4)));
  CHECK_FALSE(batch.is_set(0, 3));  // not in the header

  CHECK(std::get<std::string>(batch.get(1, 0)).empty());
  CHECK(is_null(batch.get(1, 2)));
  CHECK_FALSE(std::get<bool>(batch.get(1, 4)));

  CHECK(batch.op(2) == change_op::update);
  CHECK(batch.is_set(2, 2));
  CHECK(is_null(batch.get(2, 2)));

  CHECK(batch.op(3) == change_op::delete_);
  CHECK(std::get<std::string>(batch.get(3, 0)) == "u3");
  CHECK_FALSE(batch.is_set(3, 2));
}

TEST_CASE("each JSONL error names its line and column") {
  auto error = read_error(
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"price\":\"abc\"}\n"           // 1
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"timestamp\":12.5}\n"          // 2
      "{\"UserId\":\"u\"}\n"                                               // 3
      "{\"userid\":\"u\",\"UserId\":\"u\",\"OrderId\":\"o\"}\n"            // 4
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"timestamp\":\"5\"}\n"         // 5
      "[1,2]\n"                                                            // 6
      "{\"UserId\":\"u\", \"OrderId\"}\n"                                  // 7
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"timestamp\":9223372036854775808}\n"  // 8
      "{\"_op\":\"delete\",\"UserId\":\"u\",\"OrderId\":\"o\",\"price\":1}\n",   // 9
      input_format::jsonl);
  CHECK(contains(error, "line 1, column 'price': expected DOUBLE, got string \"abc\"\n"));
  CHECK(contains(error, "line 2, column 'timestamp': expected BIGINT, got number 12.5\n"));
  CHECK(contains(error, "line 3: key column 'OrderId' is missing\n"));
  CHECK(contains(error,
                 "line 4: unknown column 'userid' in table OrderSource (names keep their case: "
                 "did you mean 'UserId'?)\n"));
  CHECK(contains(error, "line 5, column 'timestamp': expected BIGINT, got string \"5\"\n"));
  CHECK(contains(error, "line 6: expected a JSON object"));
  CHECK(contains(error, "line 7: invalid JSON: column"));
  CHECK(contains(error, "line 8, column 'timestamp': expected BIGINT, got number "
                        "9223372036854775808 (outside the BIGINT range"));
  CHECK(contains(error, "line 9, column 'price': a delete takes only the key columns "
                        "(UserId, OrderId)\n"));
  CHECK(error.substr(error.rfind('\n') + 1) == "9 errors; nothing was written");
}

TEST_CASE("more JSONL errors: NULL keys, bad _op, repeated keys, floats for BIGINT") {
  auto error = read_error(
      "{\"UserId\":null,\"OrderId\":\"o\"}\n"
      "{\"_op\":\"upsert\",\"UserId\":\"u\",\"OrderId\":\"o\"}\n"
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"OrderId\":\"p\"}\n"
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"timestamp\":12.0,\"paid\":\"yes\"}\n"
      "{\"UserId\":\"u\",\"OrderId\":\"o\",\"price\":1e999}\n",
      input_format::jsonl);
  CHECK(contains(error, "line 1, column 'UserId': key columns cannot be NULL"));
  CHECK(contains(error, "line 2: _op must be \"put\", \"update\" or \"delete\", got string "
                        "\"upsert\""));
  CHECK(contains(error, "line 3: key 'OrderId' is given more than once"));
  CHECK(contains(error, "line 4, column 'timestamp': expected BIGINT, got number 12.0"));
  CHECK(contains(error, "line 4, column 'paid': expected BOOLEAN, got string \"yes\""));
  CHECK(contains(error, "line 5: invalid JSON"));
  CHECK(contains(error, "6 errors; nothing was written"));
}

TEST_CASE("each CSV error names its line and column") {
  auto error = read_error(
      "UserId,OrderId,price,timestamp,paid\n"  // 1
      "u,o,abc,1,true\n"                       // 2
      "u,o,1.5,12.5,true\n"                    // 3
      "u,,1.5,1,true\n"                        // 4
      "u,o,1.5\n"                              // 5
      "u,o,inf,99999999999999999999,maybe\n"   // 6
      "\"multi\nline\",o,1e999,1 ,true\n"      // 7-8
      "u,o,1.5,1,true\n"                       // 9
      "u,\"unterminated\n",                    // 10
      input_format::csv);
  CHECK(contains(error, "line 2, column 'price': expected DOUBLE, got \"abc\"\n"));
  CHECK(contains(error, "line 3, column 'timestamp': expected BIGINT, got \"12.5\"\n"));
  CHECK(contains(error, "line 4, column 'OrderId': key columns cannot be NULL (for an empty "
                        "string write \"\")\n"));
  CHECK(contains(error, "line 5: expected 5 fields as in the header, got 3\n"));
  CHECK(contains(error, "line 6, column 'price': expected DOUBLE, got \"inf\" (only finite"));
  CHECK(contains(error, "line 6, column 'timestamp': expected BIGINT, got "
                        "\"99999999999999999999\" (outside the BIGINT range"));
  CHECK(contains(error, "line 6, column 'paid': expected BOOLEAN, got \"maybe\""));
  CHECK(contains(error, "line 7, column 'price': expected DOUBLE, got \"1e999\" (outside"));
  CHECK(contains(error, "line 7, column 'timestamp': expected BIGINT, got \"1 \""));
  CHECK(contains(error, "line 10: the quoted field 2 that starts here is never closed"));
  CHECK(contains(error, "10 errors; nothing was written"));
}

TEST_CASE("a bad CSV header is reported before any row") {
  auto unknown = read_error("userid,OrderId,UserId,price,price\nu,o,u,1,2\n", input_format::csv);
  CHECK(contains(unknown,
                 "line 1: unknown column 'userid' in table OrderSource (names keep their case: "
                 "did you mean 'UserId'?)\n"));
  CHECK(contains(unknown, "line 1: column 'price' is listed twice\n"));
  CHECK(contains(unknown, "2 errors; nothing was written"));

  auto missing_key = read_error("UserId,price\nu,1\n", input_format::csv);
  CHECK(contains(missing_key, "line 1: key column 'OrderId' is missing from the header"));

  auto empty = read_error("", input_format::csv);
  CHECK(contains(empty, "header"));

  auto bad_utf8 = read_error("UserId,OrderId\n\"u\xC0\xAF\",o\n", input_format::csv);
  CHECK(contains(bad_utf8, "line 2, column 'UserId': invalid UTF-8 at byte 2"));

  auto bad_delete = read_error("_op,UserId,OrderId,price\ndelete,u,o,1.5\nremove,u,o,\n",
                               input_format::csv);
  CHECK(contains(bad_delete, "line 2, column 'price': a delete takes only the key columns"));
  CHECK(contains(bad_delete, "line 3: _op must be \"put\", \"update\" or \"delete\", got "
                             "\"remove\""));
}

TEST_CASE("one bad line anywhere rejects the whole input") {
  std::string good;
  for (int i = 0; i < 500; ++i)
    good += fmt::format("{{\"UserId\":\"u\",\"OrderId\":\"o{}\",\"price\":{}}}\n", i, i);
  CHECK(read_text(good, input_format::jsonl, 64).ok());
  auto bad = read_text(good + "{\"UserId\":\"u\",\"OrderId\":\"last\",\"price\":\"x\"}\n",
                       input_format::jsonl, 64);
  CHECK_FALSE(bad.ok());
  CHECK(contains(std::string(bad.status().message()), "line 501, column 'price'"));
  CHECK(contains(std::string(bad.status().message()), "\n1 error; nothing was written"));
}

TEST_CASE("more than ten errors stop the reading") {
  std::string text = "UserId,OrderId,paid\n";
  for (int i = 0; i < 30; ++i) text += "u,o,perhaps\n";
  auto error = read_error(text, input_format::csv);
  CHECK(contains(error, "line 11, column 'paid'"));
  CHECK_FALSE(contains(error, "line 12,"));
  CHECK(error.substr(error.rfind('\n') + 1) == "more than 10 errors; nothing was written");
}

TEST_CASE("rows are split into batches of at most batch_rows") {
  std::string text = "UserId,OrderId,timestamp\n";
  for (int i = 0; i < 25; ++i) text += fmt::format("u,o{},{}\n", i, i);
  auto batches = read_text(text, input_format::csv, 10);
  REQUIRE(batches.ok());
  REQUIRE(batches->size() == 3);
  CHECK((*batches)[0].size() == 10);
  CHECK((*batches)[1].size() == 10);
  CHECK((*batches)[2].size() == 5);
  CHECK(std::get<int64_t>((*batches)[2].get(4, 3)) == 24);

  auto none = read_text("UserId,OrderId\n", input_format::csv, 10);
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK_FALSE(read_text("", input_format::jsonl, 0).ok());
}

TEST_CASE("TIMESTAMP cells: read as UTC text, printed so that they read back the same") {
  auto created = table_schema::create(1, "events", {{"at", column_type::timestamp}, {"n", column_type::bigint}},
                                      {"at"}, 1);
  REQUIRE(created.ok());
  const auto schema = std::make_shared<const table_schema>(*std::move(created));
  const std::vector<std::vector<value>> rows = {{timestamp{1'796'205'600'000'000}, int64_t{1}},
                                                {timestamp{-1}, int64_t{2}},
                                                {timestamp{1'796'205'600'250'000}, value{}}};
  for (auto out_format : {output_format::csv, output_format::jsonl}) {
    std::ostringstream out;
    row_writer writer(out, out_format, column_names(*schema));
    writer.write_header();
    for (const auto& row : rows) writer.write_row(row);
    const std::string text = out.str();
    CHECK(contains(text, "2026-12-02 10:00:00"));
    CHECK(contains(text, "1969-12-31 23:59:59.999999"));
    CHECK(contains(text, "2026-12-02 10:00:00.25"));
    std::istringstream in(text);
    auto batches = read_rows(in, out_format == output_format::csv ? input_format::csv : input_format::jsonl,
                             schema, 100);
    REQUIRE_MESSAGE(batches.ok(), std::string(batches.status().message()));
    REQUIRE(batches->size() == 1);
    for (size_t row = 0; row < rows.size(); ++row)
      CHECK(batches->front().get(row, 0) == rows[row][0]);
  }
  std::istringstream with_t("{\"at\":\"2026-12-02T10:00:00\"}\n");
  auto read = read_rows(with_t, input_format::jsonl, schema, 100);
  REQUIRE(read.ok());
  CHECK(read->front().get(0, 0) == value{timestamp{1'796'205'600'000'000}});

  std::istringstream bad("{\"at\":\"2026-12-02 10:00:00\"}\n{\"at\":\"2026-02-30 10:00:00\"}\n"
                         "{\"at\":1796205600}\n");
  auto failed = read_rows(bad, input_format::jsonl, schema, 100);
  REQUIRE_FALSE(failed.ok());
  const std::string message(failed.status().message());
  CHECK(contains(message, "line 2, column 'at': expected TIMESTAMP, got string \"2026-02-30 "
                          "10:00:00\" (write 'yyyy-MM-dd HH:mm:ss[.ffffff]', UTC)\n"));
  CHECK(contains(message, "line 3, column 'at': expected TIMESTAMP, got number 1796205600"));
  std::istringstream bad_csv("at,n\n2026-12-02 10:00,1\n");
  auto csv_failed = read_rows(bad_csv, input_format::csv, schema, 100);
  REQUIRE_FALSE(csv_failed.ok());
  CHECK(contains(std::string(csv_failed.status().message()),
                 "line 2, column 'at': expected TIMESTAMP, got \"2026-12-02 10:00\""));
}

TEST_CASE("format names are parsed and the accepted ones listed") {
  CHECK(*parse_input_format("jsonl") == input_format::jsonl);
  CHECK(*parse_input_format("csv") == input_format::csv);
  CHECK(*parse_output_format("csv") == output_format::csv);
  CHECK(*parse_output_format("jsonl") == output_format::jsonl);
  auto bad = parse_input_format("json");
  CHECK(absl::IsInvalidArgument(bad.status()));
  CHECK(std::string(bad.status().message()) == "unknown input format 'json'; accepted: jsonl, csv");
  CHECK(absl::IsInvalidArgument(parse_output_format("xml").status()));
}

}  // namespace
}  // namespace sluice::format

// The encodings that are stored or sent: primary keys sort as their values do, rows and values
// round-trip exactly, and the hash that places rows in channels never changes.
#include <capnp/message.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

using namespace std::string_literals;

#include "runtime/core/hash.hpp"
#include "runtime/core/key_codec.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/core/wire_value.hpp"
#include "schemas/store.capnp.h"

namespace sluice {
namespace {

std::string key_of(const std::vector<value>& cells) {
  std::string out;
  for (const auto& cell : cells) append_key_cell(cell, out);
  return out;
}

// Compares keys as SQL orders them: column by column; strings by their bytes.
bool less_by_value(const std::vector<value>& a, const std::vector<value>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (auto* d = std::get_if<double>(&a[i]))
      if (*d == std::get<double>(b[i])) continue;  // -0.0 == 0.0
    return a[i] < b[i];
  }
  return false;
}

TEST_CASE("encoded primary keys sort as the key values do") {
  std::mt19937_64 random(7);
  const std::vector<std::string> strings = {"", "a", "a\0"s, "a\0b"s, "a\xff", "ab", "b", "\0"s,
                                            "Z\xC3\xBCrich", "user_000123", "user_0001234"};
  const std::vector<int64_t> ints = {std::numeric_limits<int64_t>::min(), -1000, -1, 0, 1, 7,
                                     std::numeric_limits<int64_t>::max()};
  const std::vector<double> doubles = {-std::numeric_limits<double>::infinity(), -1e300, -2.5,
                                       -0.0, 0.0, 5e-324, 0.1, 2.5, 1e300,
                                       std::numeric_limits<double>::infinity()};
  std::vector<std::vector<value>> keys;
  for (int i = 0; i < 3000; ++i)
    keys.push_back({strings[random() % strings.size()], ints[random() % ints.size()],
                    doubles[random() % doubles.size()], static_cast<bool>(random() % 2)});
  std::vector<std::vector<value>> by_value = keys, by_bytes = keys;
  std::stable_sort(by_value.begin(), by_value.end(), less_by_value);
  std::stable_sort(by_bytes.begin(), by_bytes.end(),
                   [](const auto& a, const auto& b) { return key_of(a) < key_of(b); });
  for (size_t i = 0; i + 1 < by_bytes.size(); ++i)
    REQUIRE(!less_by_value(by_bytes[i + 1], by_bytes[i]));
  // TIMESTAMP keys sort as their times do.
  const std::vector<int64_t> times = {std::numeric_limits<int64_t>::min(), -1, 0, 1,
                                      1'796'205'600'000'000, std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < times.size(); ++i)
    CHECK(key_of({timestamp{times[i]}, int64_t{9}}) < key_of({timestamp{times[i + 1]}, int64_t{0}}));
  // Equal values (and only those) encode equally.
  CHECK(key_of({-0.0}) == key_of({0.0}));
  CHECK(key_of({"a"s, "b"s}) != key_of({"ab"s, ""s}));
}

TEST_CASE("stored rows round-trip exactly and corruption is detected") {
  std::vector<value> row = {"Z\xC3\xBCrich, \"q\"\n"s, int64_t{-42}, -0.0, true, value{}, ""s,
                            std::numeric_limits<double>::denorm_min(), std::string(300, 'x'),
                            timestamp{-1}, int64_t{-1}};
  std::string bytes;
  encode_row(row, bytes);
  std::vector<value> back;
  REQUIRE(decode_row(bytes, row.size(), back).ok());
  CHECK(back == row);
  CHECK(std::signbit(std::get<double>(back[2])));
  CHECK(std::holds_alternative<timestamp>(back[8]));  // not the BIGINT of the same number
  CHECK(absl::IsDataLoss(decode_row(bytes.substr(0, bytes.size() - 1), row.size(), back)));
  CHECK(absl::IsDataLoss(decode_row(bytes + "x", row.size(), back)));
  CHECK(absl::IsDataLoss(decode_row("\x09", 1, back)));

  // Read in place, cell by cell, as a job reads a change record's image.
  cell_cursor cells(bytes);
  cell_view cell;
  REQUIRE(cells.next(cell));
  CHECK(cell.kind == cell_view::string);
  CHECK(cell.string_value == std::get<std::string>(row[0]));
  REQUIRE(cells.next(cell));
  CHECK(cell.bigint_value == -42);
  size_t n = 2;
  while (cells.next(cell)) ++n;
  CHECK(n == row.size());
  CHECK_FALSE(cells.corrupt());
  REQUIRE(decode_row(bytes, back).ok());
  CHECK(back == row);
  // A string longer than the bytes left, or an unknown tag: the cells end, marked corrupt.
  for (std::string bad : {std::string("\x05\x09" "abc"), std::string("\x03\x01\x02"), std::string("\x07")}) {
    cell_cursor broken(bad);
    while (broken.next(cell)) {}
    CHECK(broken.corrupt());
    CHECK(absl::IsDataLoss(decode_row(bad, back)));
  }
}

TEST_CASE("a projected row keeps the chosen cells and NULLs the others") {
  std::vector<value> row = {int64_t{7}, "north"s, 12.5, std::string(200, 'x'), timestamp{3}};
  std::string bytes;
  encode_row(row, bytes);
  std::string projected;
  REQUIRE(project_row(bytes, {false, true, true, false, true}, projected));
  std::vector<value> back;
  REQUIRE(decode_row(projected, row.size(), back).ok());
  CHECK(back == std::vector<value>{value{}, "north"s, 12.5, value{}, timestamp{3}});
  CHECK(projected.size() < bytes.size() - 200);
  // Two rows that differ only in dropped cells project to the same bytes.
  std::string other_bytes, other;
  encode_row(std::vector<value>{int64_t{8}, "north"s, 12.5, "y"s, timestamp{3}}, other_bytes);
  REQUIRE(project_row(other_bytes, {false, true, true, false, true}, other));
  CHECK(other == projected);
  projected.clear();
  CHECK_FALSE(project_row(bytes.substr(0, 20), {true, false}, projected));
}

TEST_CASE("values round-trip through Cap'n Proto") {
  std::vector<value> row = {value{}, false, true, std::numeric_limits<int64_t>::min(), 1e-300,
                            "\xE5\x8C\x97\xE4\xBA\xAC"s, ""s, timestamp{1'796'205'600'000'001}};
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<wire::RowPage>().initCells(row.size());
  to_wire(row, list);
  CHECK(from_wire(message.getRoot<wire::RowPage>().asReader().getCells()) == row);
}

TEST_CASE("the channel hash is stable across builds and processes") {
  // Rows are stored under the channel this hash picks: changing it would misplace existing data.
  CHECK(stable_hash(value{"user_000123"s}) == 16016899449265845324ULL);
  CHECK(stable_hash(value{int64_t{42}}) == 15865929701139458749ULL);
  CHECK(stable_hash(value{0.0}) == stable_hash(value{-0.0}));
}

}  // namespace
}  // namespace sluice

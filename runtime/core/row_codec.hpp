// How the store keeps a row, and a change record its images: a compact byte string, one tagged
// cell per column in schema order. Stored rows are read on every write (to produce
// before-images) and images on every channel read, so decoding is a single pass with no
// per-cell allocation: cell_cursor reads cells in place, decode_row copies them into values.
//
// Cell tags: 0 NULL, 1 false, 2 true, 3 BIGINT (8 bytes little endian), 4 DOUBLE (8 bytes),
// 5 STRING (varint length, bytes), 6 TIMESTAMP (8 bytes little endian, microseconds).
#pragma once

#include <absl/status/status.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/value.hpp"

namespace sluice {

// Appends the encoding of `row` to `out`.
void encode_row(std::span<const value> row, std::string& out);

// One cell of an encoded row; a string points into the row's bytes.
struct cell_view {
  enum kind_t : uint8_t { null, boolean, bigint, double_, string, timestamp } kind = null;
  bool boolean_value = false;
  int64_t bigint_value = 0;  // BIGINT, and TIMESTAMP's microseconds
  double double_value = 0;
  std::string_view string_value;
};

// The cells of an encoded row, one after the other. A malformed encoding ends the cells early
// with corrupt() set: bytes from the disk or the wire are not trusted.
class cell_cursor {
 public:
  explicit cell_cursor(std::string_view bytes) : p_(bytes.data()), end_(p_ + bytes.size()) {}
  // The next cell into `out`; false once there is none (or the bytes are malformed).
  bool next(cell_view& out);
  bool corrupt() const { return corrupt_; }
  bool at_end() const { return p_ == end_; }
  // Where the next cell starts.
  const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
  bool corrupt_ = false;
};

// Appends to `out` the row with the cells `keep` rejects as NULLs (cells past keep.size() are
// kept); false when the row is malformed.
bool project_row(std::string_view row, const std::vector<bool>& keep, std::string& out);

// Decodes exactly `columns` cells; a short, long or malformed encoding is DataLoss.
absl::Status decode_row(std::string_view bytes, size_t columns, std::vector<value>& out);
// Decodes every cell; a malformed encoding is DataLoss.
absl::Status decode_row(std::string_view bytes, std::vector<value>& out);

}  // namespace sluice

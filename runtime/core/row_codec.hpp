// How the store keeps a row: a compact byte string, one tagged cell per column in schema order.
// Stored rows are read on every write (to produce before-images), so decoding is a single pass
// with no per-cell allocation beyond the strings themselves.
//
// Cell tags: 0 NULL, 1 false, 2 true, 3 BIGINT (8 bytes little endian), 4 DOUBLE (8 bytes),
// 5 STRING (varint length, bytes).
#pragma once

#include <absl/status/status.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/value.hpp"

namespace sluice {

void encode_row(std::span<const value> row, std::string& out);

// Decodes exactly `columns` cells; a short, long or malformed encoding is DataLoss.
absl::Status decode_row(std::string_view bytes, size_t columns, std::vector<value>& out);

}  // namespace sluice

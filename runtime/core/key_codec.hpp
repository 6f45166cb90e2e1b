// Order-preserving ("memcomparable") encoding of primary keys: comparing two encodings byte by
// byte orders them as the key values compare, column by column. This is what makes a scan of the
// stored rows come out in primary-key order. Strings order by their UTF-8 bytes.
#pragma once

#include <string>

#include "runtime/core/value.hpp"

namespace sluice {

// Appends the encoding of one non-NULL key cell.
void append_key_cell(const value& cell, std::string& out);

}  // namespace sluice

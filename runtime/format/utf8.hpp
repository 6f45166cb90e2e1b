// UTF-8 validation for text entering Sluice: every STRING value is well-formed UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace sluice::format {

// Whether `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates (U+D800..DFFF),
// nothing above U+10FFFF, no truncated sequences.
bool is_valid_utf8(std::string_view text);

// The length in bytes of the longest well-formed prefix of `text`; text.size() when it is valid.
size_t valid_utf8_prefix(std::string_view text);

}  // namespace sluice::format

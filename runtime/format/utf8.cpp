#include "runtime/format/utf8.hpp"

#include <cstdint>

namespace sluice::format {

size_t valid_utf8_prefix(std::string_view text) {
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const auto lead = static_cast<uint8_t>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // Table 3-7 of the Unicode standard: the allowed range of the second byte depends on the
    // lead byte; that is what excludes overlongs, surrogates and code points above U+10FFFF.
    size_t length = 0;
    uint8_t low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead == 0xE0) {
      length = 3, low = 0xA0;
    } else if (lead >= 0xE1 && lead <= 0xEC) {
      length = 3;
    } else if (lead == 0xED) {
      length = 3, high = 0x9F;
    } else if (lead >= 0xEE && lead <= 0xEF) {
      length = 3;
    } else if (lead == 0xF0) {
      length = 4, low = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      length = 4;
    } else if (lead == 0xF4) {
      length = 4, high = 0x8F;
    } else {
      return i;
    }
    if (size - i < length) return i;
    const auto second = static_cast<uint8_t>(text[i + 1]);
    if (second < low || second > high) return i;
    for (size_t k = 2; k < length; ++k) {
      const auto next = static_cast<uint8_t>(text[i + k]);
      if (next < 0x80 || next > 0xBF) return i;
    }
    i += length;
  }
  return i;
}

bool is_valid_utf8(std::string_view text) { return valid_utf8_prefix(text) == text.size(); }

}  // namespace sluice::format

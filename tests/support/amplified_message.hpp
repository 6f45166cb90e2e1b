// A flat Cap'n Proto message of a few dozen bytes whose root struct (`data_words` and
// `pointer_words` long) holds, at pointer `index`, a list of `elements` empty (void) elements
// (at most 2^29 - 1): what a hostile peer sends to make a reader walk, or allocate for, that many.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace sluice::testing {

inline std::vector<char> amplified_list_message(uint16_t data_words, uint16_t pointer_words,
                                                uint16_t index,
                                                uint64_t elements = (uint64_t{1} << 29) - 1) {
  const uint64_t segment_words = 1 + data_words + pointer_words;
  std::vector<uint64_t> words(1 + segment_words, 0);
  words[0] = segment_words << 32;  // one segment
  words[1] = (uint64_t{data_words} << 32) | (uint64_t{pointer_words} << 48);  // the root struct
  const uint64_t at = 1 + data_words + index;  // the list pointer's word in the segment
  const uint64_t offset = segment_words - (at + 1);  // to the segment's end: empty elements
  words[1 + at] = 1 | (offset << 2) | (elements << 35);
  std::vector<char> bytes(words.size() * sizeof(uint64_t));
  std::memcpy(bytes.data(), words.data(), bytes.size());
  return bytes;
}

}  // namespace sluice::testing

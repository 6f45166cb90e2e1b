// a + b wrapping around instead of overflowing. Counts and sums of real rows never come near the
// limits; a partial batch from a faulty peer may, and must not make a reducer's state undefined.
#pragma once

#include <cstdint>

namespace sluice::ops {

inline int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

inline __int128 wrapping_add(__int128 a, __int128 b) {
  return static_cast<__int128>(static_cast<unsigned __int128>(a) + static_cast<unsigned __int128>(b));
}

}  // namespace sluice::ops

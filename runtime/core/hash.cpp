#include "runtime/core/hash.hpp"

#include <cstring>

namespace sluice {
namespace {

// The finalizer of MurmurHash3: spreads every input bit over the whole word.
uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

uint64_t stable_hash_bytes(std::string_view bytes, uint64_t seed) {
  // FNV-1a over the bytes, then the Murmur finalizer so that low bits (used by `mod C`) are good.
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix(h ^ bytes.size());
}

uint64_t stable_hash(const value& v, uint64_t seed) {
  switch (v.index()) {
    case 0: return mix(seed ^ 0x9e3779b97f4a7c15ULL);
    case 1: return mix(seed ^ (std::get<bool>(v) ? 2 : 1));
    case 2: return mix(seed ^ static_cast<uint64_t>(std::get<int64_t>(v)) * 0x9e3779b97f4a7c15ULL);
    case 3: {
      double d = std::get<double>(v);
      if (d == 0) d = 0;  // -0.0 and 0.0 are equal, so they hash alike
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return mix(seed ^ bits * 0x9e3779b97f4a7c15ULL);
    }
    case 5:
      return mix(seed ^ static_cast<uint64_t>(std::get<timestamp>(v).micros) * 0x9e3779b97f4a7c15ULL);
    default: return stable_hash_bytes(std::get<std::string>(v), seed);
  }
}

}  // namespace sluice

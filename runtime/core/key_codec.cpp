#include "runtime/core/key_codec.hpp"

#include <cstring>

namespace sluice {
namespace {

void append_big_endian(uint64_t v, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

}  // namespace

void append_key_cell(const value& cell, std::string& out) {
  switch (cell.index()) {
    case 1: out.push_back(std::get<bool>(cell) ? 1 : 0); break;
    case 2: append_big_endian(static_cast<uint64_t>(std::get<int64_t>(cell)) ^ (1ULL << 63), out); break;
    case 3: {
      double d = std::get<double>(cell);
      if (d == 0) d = 0;  // -0.0 == 0.0, one key
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      bits = (bits & (1ULL << 63)) ? ~bits : bits ^ (1ULL << 63);
      append_big_endian(bits, out);
      break;
    }
    case 5:
      append_big_endian(static_cast<uint64_t>(std::get<timestamp>(cell).micros) ^ (1ULL << 63), out);
      break;
    case 4:
      // 0x00 is escaped as 0x00 0xff and the string ends with 0x00 0x01, so that a string sorts
      // before every longer string it is a prefix of, and the next column cannot bleed into it.
      for (char c : std::get<std::string>(cell)) {
        out.push_back(c);
        if (c == 0) out.push_back(static_cast<char>(0xff));
      }
      out.push_back(0);
      out.push_back(1);
      break;
    default: break;  // NULL never appears in a key: row_batch::validate rejects it
  }
}

}  // namespace sluice

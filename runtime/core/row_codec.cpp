#include "runtime/core/row_codec.hpp"

#include <cstring>

namespace sluice {
namespace {

enum tag : char { null_tag, false_tag, true_tag, bigint_tag, double_tag, string_tag };

void put_fixed(std::string& out, const void* data) {
  out.append(static_cast<const char*>(data), 8);
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

void encode_row(std::span<const value> row, std::string& out) {
  out.clear();
  for (const auto& cell : row) {
    switch (cell.index()) {
      case 0: out.push_back(null_tag); break;
      case 1: out.push_back(std::get<bool>(cell) ? true_tag : false_tag); break;
      case 2: out.push_back(bigint_tag); put_fixed(out, &std::get<int64_t>(cell)); break;
      case 3: out.push_back(double_tag); put_fixed(out, &std::get<double>(cell)); break;
      case 4: {
        const auto& s = std::get<std::string>(cell);
        out.push_back(string_tag);
        put_varint(out, s.size());
        out.append(s);
        break;
      }
    }
  }
}

absl::Status decode_row(std::string_view bytes, size_t columns, std::vector<value>& out) {
  out.resize(columns);
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  auto corrupt = [] { return absl::DataLossError("a stored row is corrupt"); };
  for (size_t i = 0; i < columns; ++i) {
    if (p == end) return corrupt();
    switch (*p++) {
      case null_tag: out[i] = std::monostate{}; break;
      case false_tag: out[i] = false; break;
      case true_tag: out[i] = true; break;
      case bigint_tag: {
        if (end - p < 8) return corrupt();
        int64_t v;
        std::memcpy(&v, p, 8);
        p += 8;
        out[i] = v;
        break;
      }
      case double_tag: {
        if (end - p < 8) return corrupt();
        double v;
        std::memcpy(&v, p, 8);
        p += 8;
        out[i] = v;
        break;
      }
      case string_tag: {
        uint64_t size = 0;
        for (int shift = 0;; shift += 7) {
          if (p == end || shift > 63) return corrupt();
          auto byte = static_cast<unsigned char>(*p++);
          size |= static_cast<uint64_t>(byte & 0x7f) << shift;
          if (byte < 0x80) break;
        }
        if (static_cast<uint64_t>(end - p) < size) return corrupt();
        out[i] = std::string(p, size);
        p += size;
        break;
      }
      default: return corrupt();
    }
  }
  if (p != end) return corrupt();
  return absl::OkStatus();
}

}  // namespace sluice

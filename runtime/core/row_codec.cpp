#include "runtime/core/row_codec.hpp"

#include <cstring>

namespace sluice {
namespace {

enum tag : char { null_tag, false_tag, true_tag, bigint_tag, double_tag, string_tag, timestamp_tag };

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
      case 5: out.push_back(timestamp_tag); put_fixed(out, &std::get<timestamp>(cell).micros); break;
    }
  }
}

bool project_row(std::string_view row, const std::vector<bool>& keep, std::string& out) {
  cell_cursor cells(row);
  cell_view cell;
  for (size_t c = 0;; ++c) {
    const char* start = cells.position();
    if (!cells.next(cell)) break;
    if (c >= keep.size() || keep[c]) out.append(start, cells.position());
    else out.push_back(static_cast<char>(null_tag));
  }
  return !cells.corrupt();
}

bool cell_cursor::next(cell_view& out) {
  if (p_ == end_ || corrupt_) return false;
  auto fail = [&] {
    corrupt_ = true;
    return false;
  };
  auto fixed = [&](void* to) {
    if (end_ - p_ < 8) return fail();
    std::memcpy(to, p_, 8);
    p_ += 8;
    return true;
  };
  switch (*p_++) {
    case null_tag: out.kind = cell_view::null; return true;
    case false_tag:
    case true_tag:
      out.kind = cell_view::boolean;
      out.boolean_value = p_[-1] == true_tag;
      return true;
    case bigint_tag: out.kind = cell_view::bigint; return fixed(&out.bigint_value);
    case double_tag: out.kind = cell_view::double_; return fixed(&out.double_value);
    case timestamp_tag: out.kind = cell_view::timestamp; return fixed(&out.bigint_value);
    case string_tag: {
      uint64_t size = 0;
      for (int shift = 0;; shift += 7) {
        if (p_ == end_ || shift > 63) return fail();
        auto byte = static_cast<unsigned char>(*p_++);
        size |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      if (static_cast<uint64_t>(end_ - p_) < size) return fail();
      out.kind = cell_view::string;
      out.string_value = std::string_view(p_, size);
      p_ += size;
      return true;
    }
    default: return fail();
  }
}

namespace {

value to_value(const cell_view& cell) {
  switch (cell.kind) {
    case cell_view::null: return std::monostate{};
    case cell_view::boolean: return cell.boolean_value;
    case cell_view::bigint: return cell.bigint_value;
    case cell_view::double_: return cell.double_value;
    case cell_view::string: return std::string(cell.string_value);
    case cell_view::timestamp: return timestamp{cell.bigint_value};
  }
  return std::monostate{};
}

}  // namespace

absl::Status decode_row(std::string_view bytes, size_t columns, std::vector<value>& out) {
  out.resize(columns);
  cell_cursor cells(bytes);
  cell_view cell;
  for (size_t i = 0; i < columns; ++i) {
    if (!cells.next(cell)) return absl::DataLossError("a stored row is corrupt");
    out[i] = to_value(cell);
  }
  if (!cells.at_end()) return absl::DataLossError("a stored row is corrupt");
  return absl::OkStatus();
}

absl::Status decode_row(std::string_view bytes, std::vector<value>& out) {
  out.clear();
  cell_cursor cells(bytes);
  cell_view cell;
  while (cells.next(cell)) out.push_back(to_value(cell));
  if (cells.corrupt()) return absl::DataLossError("a row image is corrupt");
  return absl::OkStatus();
}

}  // namespace sluice

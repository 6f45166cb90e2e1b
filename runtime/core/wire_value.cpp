#include "runtime/core/wire_value.hpp"

namespace sluice {

void to_wire(const value& v, wire::Value::Builder out) {
  switch (v.index()) {
    case 0: out.setNull(); break;
    case 1: out.setBoolean(std::get<bool>(v)); break;
    case 2: out.setBigint(std::get<int64_t>(v)); break;
    case 3: out.setDouble(std::get<double>(v)); break;
    case 4: {
      const auto& s = std::get<std::string>(v);
      out.setString(capnp::Text::Reader(s.data(), s.size()));
      break;
    }
    case 5: out.setTimestamp(std::get<timestamp>(v).micros); break;
  }
}

void to_wire(std::span<const value> row, capnp::List<wire::Value>::Builder out) {
  for (size_t i = 0; i < row.size(); ++i) to_wire(row[i], out[i]);
}

value from_wire(wire::Value::Reader v) {
  switch (v.which()) {
    case wire::Value::NULL_: return std::monostate{};
    case wire::Value::BOOLEAN: return v.getBoolean();
    case wire::Value::BIGINT: return v.getBigint();
    case wire::Value::DOUBLE: return v.getDouble();
    case wire::Value::STRING: {
      auto s = v.getString();
      return std::string(s.begin(), s.size());
    }
    case wire::Value::TIMESTAMP: return timestamp{v.getTimestamp()};
  }
  return std::monostate{};
}

std::vector<value> from_wire(capnp::List<wire::Value>::Reader row) {
  std::vector<value> out;
  out.reserve(row.size());
  for (auto cell : row) out.push_back(from_wire(cell));
  return out;
}

wire::Op to_wire(change_op op) {
  switch (op) {
    case change_op::put: return wire::Op::PUT;
    case change_op::update: return wire::Op::UPDATE;
    case change_op::delete_: return wire::Op::DELETE;
  }
  return wire::Op::PUT;
}

change_op from_wire(wire::Op op) {
  switch (op) {
    case wire::Op::PUT: return change_op::put;
    case wire::Op::UPDATE: return change_op::update;
    case wire::Op::DELETE: return change_op::delete_;
  }
  return change_op::put;
}

}  // namespace sluice

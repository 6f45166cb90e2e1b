// Conversions between in-memory values and their Cap'n Proto form (wire::Value).
#pragma once

#include <span>
#include <vector>

#include "runtime/core/value.hpp"
#include "schemas/change.capnp.h"

namespace sluice {

void to_wire(const value& v, wire::Value::Builder out);
void to_wire(std::span<const value> row, capnp::List<wire::Value>::Builder out);
value from_wire(wire::Value::Reader v);
std::vector<value> from_wire(capnp::List<wire::Value>::Reader row);

}  // namespace sluice

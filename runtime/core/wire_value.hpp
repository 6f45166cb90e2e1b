// Conversions between in-memory values and change ops and their Cap'n Proto forms (wire::Value,
// wire::Op).
#pragma once

#include <span>
#include <vector>

#include "runtime/core/row_batch.hpp"
#include "runtime/core/value.hpp"
#include "schemas/change.capnp.h"

namespace sluice {

void to_wire(const value& v, wire::Value::Builder out);
void to_wire(std::span<const value> row, capnp::List<wire::Value>::Builder out);
value from_wire(wire::Value::Reader v);
std::vector<value> from_wire(capnp::List<wire::Value>::Reader row);
wire::Op to_wire(change_op op);
change_op from_wire(wire::Op op);

}  // namespace sluice

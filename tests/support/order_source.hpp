// The seeds' OrderSource table as a catalog op, for tests that create it in a store directly.
#pragma once

#include <cstdint>

#include "runtime/store/catalog_op.hpp"

namespace sluice::testing {

inline store::create_table_op order_source(uint32_t channels = 8) {
  return {"OrderSource",
          {{"UserId", column_type::string},
           {"OrderId", column_type::string},
           {"price", column_type::double_},
           {"timestamp", column_type::bigint}},
          {"UserId", "OrderId"},
          channels};
}

}  // namespace sluice::testing

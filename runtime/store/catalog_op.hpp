// Changes to the store's catalog. store::apply_catalog applies a list of them atomically, so a
// script of DDL statements takes effect whole or not at all.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "runtime/core/table_schema.hpp"
#include "runtime/store/tunnel.hpp"

namespace sluice::store {

struct create_table_op {
  std::string name;
  std::vector<column_def> columns;
  std::vector<std::string> primary_key;
  uint32_t channels = table_schema::default_channels;
  bool if_not_exists = false;
};

struct drop_table_op {
  std::string name;
  bool if_exists = false;
};

struct create_tunnel_op {
  std::string table;
  std::string name;
  tunnel_type type = tunnel_type::stream;
  bool if_not_exists = false;
};

struct drop_tunnel_op {
  std::string table;
  std::string name;
  bool if_exists = false;
};

using catalog_op = std::variant<create_table_op, drop_table_op, create_tunnel_op, drop_tunnel_op>;

}  // namespace sluice::store

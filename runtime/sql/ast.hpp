// The statements of a Sluice SQL script as the parser produces them, before anything is checked
// against the store (unknown key columns, duplicate tables) or run.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "runtime/core/table_schema.hpp"

namespace sluice::sql {

// 1-based; columns count characters, not bytes.
struct position {
  int line = 1;
  int column = 1;
};

enum class tunnel_type { stream, base, base_and_stream };

// Each statement's `pos` is the position of its first token.
struct create_table {
  position pos;
  std::string name;
  bool if_not_exists = false;
  std::vector<column_def> columns;
  std::vector<std::string> primary_key;
  uint32_t channels = table_schema::default_channels;
};

struct drop_table {
  position pos;
  std::string name;
  bool if_exists = false;
};

struct create_tunnel {
  position pos;
  std::string name;
  std::string table;
  tunnel_type type = tunnel_type::stream;
  bool if_not_exists = false;
};

struct drop_tunnel {
  position pos;
  std::string name;
  std::string table;
  bool if_exists = false;
};

using statement = std::variant<create_table, drop_table, create_tunnel, drop_tunnel>;

}  // namespace sluice::sql

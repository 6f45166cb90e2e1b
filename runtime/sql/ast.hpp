// The statements of a Sluice SQL script as the parser produces them, before anything is checked
// against the store (unknown key columns, duplicate tables) or run.
#pragma once

#include <variant>

#include "runtime/store/catalog_op.hpp"

namespace sluice::sql {

// 1-based; columns count characters, not bytes.
struct position {
  int line = 1;
  int column = 1;
};

using store::tunnel_type;

// The catalog statements are the store's catalog ops plus where they were written. Each
// statement's `pos` is the position of its first token.
struct create_table : store::create_table_op {
  position pos;
};

struct drop_table : store::drop_table_op {
  position pos;
};

struct create_tunnel : store::create_tunnel_op {
  position pos;
};

struct drop_tunnel : store::drop_tunnel_op {
  position pos;
};

using statement = std::variant<create_table, drop_table, create_tunnel, drop_tunnel>;

}  // namespace sluice::sql

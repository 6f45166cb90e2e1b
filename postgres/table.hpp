// A PostgreSQL table as a sink writes it: which of its columns each store column goes to, with the
// type a text value is cast to, and its quoted name. Types map as STRING - text/varchar/char,
// BIGINT - smallint/integer/bigint/numeric, DOUBLE - real/double precision/numeric, BOOLEAN -
// boolean, TIMESTAMP - timestamp/timestamptz (UTC); column names match exactly, else
// case-insensitively.
#pragma once

#include <absl/status/statusor.h>

#include <string>
#include <vector>

#include "postgres/connection.hpp"
#include "runtime/core/table_schema.hpp"
#include "runtime/store/catalog_op.hpp"

namespace sluice::postgres {

struct table_layout {
  std::string name;                  // quoted and qualified, as PostgreSQL prints it
  std::vector<std::string> columns;  // per store column: the quoted PostgreSQL column
  std::vector<std::string> types;    // per store column: its PostgreSQL type
};

// The store table `store_table` standing for the PostgreSQL table at `where`: its columns, and
// its primary key as the key. An unmapped column type, a missing table or primary key is an error
// that names it.
absl::StatusOr<store::create_table_op> store_table_of(connection& db, const location& where,
                                                      const std::string& store_table);

// Maps `store_table` onto the PostgreSQL table at `where`, creating that table (lower-case
// column names, the store table's primary key) when it is missing. Every store column must
// exist there with a type it maps to, and a unique index or primary key must cover exactly the
// store table's key columns (what INSERT ... ON CONFLICT names).
absl::StatusOr<table_layout> prepare_table(connection& db, const location& where,
                                           const table_schema& store_table);

}  // namespace sluice::postgres

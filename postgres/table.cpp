#include "postgres/table.hpp"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include <set>

#include "runtime/core/status.hpp"

namespace sluice::postgres {
namespace {

struct pg_column {
  std::string name;
  std::string type;      // format_type: "character varying(20)"
  std::string typname;   // pg_type.typname: "varchar"
  bool not_null = false;
  bool has_default = false;
};

struct pg_table {
  std::string oid;
  std::string name;  // as regclass prints it
  std::vector<pg_column> columns;
  std::vector<std::vector<std::string>> unique_keys;  // the primary key first, if any
  bool has_primary_key = false;
};

// The table as the server has it; std::nullopt when there is none.
absl::StatusOr<std::optional<pg_table>> find(connection& db, const location& where) {
  SLUICE_ASSIGN_OR_RETURN(auto found, db.execute("SELECT to_regclass($1)::oid, to_regclass($1)::text",
                                                 {where.table.c_str()}));
  if (found.empty() || !found[0][0]) return std::nullopt;
  pg_table table;
  table.oid = *found[0][0];
  table.name = *found[0][1];
  const char* oid = table.oid.c_str();
  SLUICE_ASSIGN_OR_RETURN(
      auto columns,
      db.execute("SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, "
                 "a.attnotnull, a.atthasdef FROM pg_attribute a JOIN pg_type t ON "
                 "t.oid = a.atttypid WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT "
                 "a.attisdropped ORDER BY a.attnum",
                 {oid}));
  for (auto& row : columns)
    table.columns.push_back({*row[0], *row[1], *row[2], *row[3] == "t", *row[4] == "t"});
  SLUICE_ASSIGN_OR_RETURN(
      auto keys,
      db.execute("SELECT i.indisprimary, array_to_string(ARRAY(SELECT a.attname FROM "
                 "unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON "
                 "a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), E'\\t') FROM pg_index "
                 "i WHERE i.indrelid = $1::oid AND i.indisunique AND i.indpred IS NULL AND "
                 "i.indexprs IS NULL ORDER BY i.indisprimary DESC",
                 {oid}));
  for (auto& row : keys) {
    if (*row[0] == "t") table.has_primary_key = true;
    table.unique_keys.push_back(absl::StrSplit(*row[1], '\t'));
  }
  return table;
}

// The store type a PostgreSQL column type is read as for a new store table.
std::optional<column_type> store_type(std::string_view typname) {
  if (typname == "text" || typname == "varchar" || typname == "bpchar") return column_type::string;
  if (typname == "int2" || typname == "int4" || typname == "int8") return column_type::bigint;
  if (typname == "float4" || typname == "float8" || typname == "numeric") return column_type::double_;
  if (typname == "bool") return column_type::boolean;
  if (typname == "timestamp" || typname == "timestamptz") return column_type::timestamp;
  return std::nullopt;
}

// Whether a store column of `type` may be written to a PostgreSQL column of `typname`.
bool writable(column_type type, std::string_view typname) {
  if (type == column_type::bigint && typname == "numeric") return true;
  auto read_as = store_type(typname);
  return read_as && *read_as == type;
}

std::string_view create_type(column_type type) {
  switch (type) {
    case column_type::string: return "text";
    case column_type::bigint: return "bigint";
    case column_type::double_: return "double precision";
    case column_type::boolean: return "boolean";
    case column_type::timestamp: return "timestamp";
  }
  return "text";
}

// The table's name as SQL: each unquoted part folded to lower case, then quoted.
std::string sql_name(connection& db, std::string_view table) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(absl::string_view(table.data(), table.size()), '.')) {
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"')
      parts.emplace_back(part);
    else
      parts.push_back(db.quote(absl::AsciiStrToLower(part)));
  }
  return absl::StrJoin(parts, ".");
}

absl::Status create(connection& db, const location& where, const table_schema& store_table) {
  std::vector<std::string> definitions, key;
  for (const auto& column : store_table.columns())
    definitions.push_back(fmt::format("{} {}", db.quote(absl::AsciiStrToLower(column.name)),
                                      create_type(column.type)));
  for (auto k : store_table.primary_key())
    key.push_back(db.quote(absl::AsciiStrToLower(store_table.column(k).name)));
  definitions.push_back(fmt::format("PRIMARY KEY ({})", absl::StrJoin(key, ", ")));
  return db.execute(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", sql_name(db, where.table),
                                absl::StrJoin(definitions, ", ")))
      .status();
}

}  // namespace

absl::StatusOr<store::create_table_op> store_table_of(connection& db, const location& where,
                                                      const std::string& store_table) {
  SLUICE_ASSIGN_OR_RETURN(auto table, find(db, where));
  if (!table)
    return absl::NotFoundError(fmt::format(
        "PostgreSQL at {} has no table {}: create it there, or create the store table {} "
        "first (its columns and primary key make the PostgreSQL table)",
        describe_server(where), where.table, store_table));
  if (!table->has_primary_key)
    return absl::FailedPreconditionError(fmt::format(
        "PostgreSQL table {} has no primary key: a sink upserts rows by key (ALTER TABLE {} ADD "
        "PRIMARY KEY (...))",
        table->name, table->name));
  store::create_table_op op;
  op.name = store_table;
  op.if_not_exists = true;
  for (const auto& column : table->columns) {
    auto type = store_type(column.typname);
    if (!type)
      return absl::FailedPreconditionError(fmt::format(
          "column {} of PostgreSQL table {} is {}, which Sluice does not write; accepted: text, "
          "varchar, char, smallint, integer, bigint, real, double precision, numeric, boolean, "
          "timestamp, timestamptz",
          column.name, table->name, column.type));
    op.columns.push_back({column.name, *type});
  }
  op.primary_key = table->unique_keys.front();
  return op;
}

absl::StatusOr<table_layout> prepare_table(connection& db, const location& where,
                                           const table_schema& store_table) {
  SLUICE_ASSIGN_OR_RETURN(auto table, find(db, where));
  if (!table) {
    SLUICE_RETURN_IF_ERROR(create(db, where, store_table));
    SLUICE_ASSIGN_OR_RETURN(table, find(db, where));
    if (!table)
      return absl::FailedPreconditionError(
          fmt::format("PostgreSQL table {} was created but is not found", where.table));
  }
  table_layout layout;
  layout.name = table->name;
  std::set<std::string> written;
  for (const auto& column : store_table.columns()) {
    const pg_column* match = nullptr;
    for (const auto& candidate : table->columns)
      if (candidate.name == column.name) match = &candidate;
    for (const auto& candidate : table->columns) {
      if (match && match->name == column.name) break;
      if (!absl::EqualsIgnoreCase(candidate.name, column.name)) continue;
      if (match)
        return absl::FailedPreconditionError(fmt::format(
            "PostgreSQL table {} has columns {} and {}; which one is {} of {}?", table->name,
            match->name, candidate.name, column.name, store_table.name()));
      match = &candidate;
    }
    if (!match)
      return absl::FailedPreconditionError(fmt::format(
          "PostgreSQL table {} has no column {} (of {}); its columns: {}", table->name,
          column.name, store_table.name(),
          absl::StrJoin(table->columns, ", ",
                        [](std::string* out, const pg_column& c) { out->append(c.name); })));
    if (!writable(column.type, match->typname))
      return absl::FailedPreconditionError(fmt::format(
          "column {} of PostgreSQL table {} is {}, which a {} column ({} of {}) cannot be "
          "written to",
          match->name, table->name, match->type, type_name(column.type), column.name,
          store_table.name()));
    written.insert(match->name);
    layout.columns.push_back(db.quote(match->name));
    layout.types.push_back(match->type);
  }
  for (const auto& column : table->columns)
    if (column.not_null && !column.has_default && !written.contains(column.name))
      return absl::FailedPreconditionError(fmt::format(
          "column {} of PostgreSQL table {} is NOT NULL without a default, and {} has no column "
          "for it",
          column.name, table->name, store_table.name()));
  std::set<std::string> key;
  std::vector<std::string> key_names;
  for (auto k : store_table.primary_key()) {
    key_names.push_back(layout.columns[k]);
    for (const auto& column : table->columns)
      if (db.quote(column.name) == layout.columns[k]) key.insert(column.name);
  }
  for (const auto& unique : table->unique_keys)
    if (std::set<std::string>(unique.begin(), unique.end()) == key) return layout;
  return absl::FailedPreconditionError(fmt::format(
      "PostgreSQL table {} has no primary key or unique index on ({}), the key of {}, which an "
      "upsert needs (ALTER TABLE {} ADD PRIMARY KEY ({}))",
      table->name, absl::StrJoin(key_names, ", "), store_table.name(), table->name,
      absl::StrJoin(key_names, ", ")));
}

}  // namespace sluice::postgres

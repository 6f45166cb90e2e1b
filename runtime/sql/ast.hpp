// The statements of a Sluice SQL script as the parser produces them, before anything is checked
// against the store (unknown key columns, duplicate tables) or run.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

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
  // The first column declared NOT NULL: a connector's table may say so; the store does not check
  // attribute columns, so its own tables refuse it unless written in StarRocks' form.
  std::optional<position> not_null;
  // Written as StarRocks' CREATE TABLE (ENGINE, PRIMARY KEY, DISTRIBUTED BY, ... after the
  // columns), where NOT NULL is accepted and not checked.
  bool starrocks = false;
};

// CREATE DATABASE [IF NOT EXISTS] name: StarRocks' scripts make one; Sluice has one namespace of
// tables, so it does nothing.
struct create_database {
  position pos;
  std::string name;
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

// An expression as written. Names are resolved later, by the planner.
struct expr {
  enum class kind {
    column,   // name: a column, possibly qualified as written ("window.start", "o.price")
    literal,  // literal: NULL, TRUE/FALSE, an integer (int64_t), a decimal (double), a string
    unary,    // name: "-" or "NOT"; args: the operand
    binary,   // name: "+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR"
    call,     // name: the function as written (count, sum, window, to_timestamp, ...); args
    cast,     // CAST(args[0] AS type_name); type_name as written ("String", "Double", ...);
              // name "TIMESTAMP" for TIMESTAMP 'text', whose text must be a time
    star      // `*`, only as in count(*)
  };
  kind what = kind::literal;
  position pos;
  std::string name;
  value literal;
  std::string type_name;
  std::vector<expr> args;
};

struct select_item {
  expr value;
  std::string alias;  // empty without AS
};

struct order_item {
  expr value;
  bool descending = false;
};

// FROM a [alias] [INNER | LEFT [OUTER]] JOIN b [alias] ON condition.
struct join_clause {
  enum class kind { inner, left };
  kind what = kind::inner;
  position pos;  // of JOIN's first keyword
  std::string table;
  position table_pos;
  std::string alias;  // empty without one
  expr on;
};

struct select_query {
  position pos;
  std::vector<select_item> items;  // empty for SELECT *
  bool star = false;               // SELECT *: every column of the FROM table(s)
  std::string from;
  position from_pos;
  std::string from_alias;  // empty without one
  std::optional<join_clause> join;
  std::optional<expr> where;
  std::vector<expr> group_by;
  std::optional<expr> having;
  std::vector<order_item> order_by;
  std::optional<uint64_t> limit;
};

// One entry of OPTIONS(...) or WITH (...): key as written (dotted keys such as access.key.id
// are one key), value as a string (numbers as written).
struct option {
  std::string key;
  std::string value;
  position pos;
};

// CREATE TABLE [IF NOT EXISTS] name USING provider OPTIONS(...): a session name for a store
// table (Spark's external tables in the seeds).
struct create_external_table {
  position pos;
  bool if_not_exists = false;  // a name the script has defined already is kept as it is
  std::string name;
  std::string provider;
  std::vector<option> options;
};

// CREATE TABLE name (col TYPE, ... [, PRIMARY KEY (...)]) WITH (type = 'ots', tableName = '...',
// ...): Flink's table of a connector, a session name for a store table whose schema must agree.
struct create_connector_table {
  position pos;
  bool if_not_exists = false;  // a name the script has defined already is kept as it is
  std::string name;
  std::vector<column_def> columns;
  std::vector<std::string> primary_key;
  std::vector<option> options;
};

// CREATE SCAN name ON table USING STREAM|BATCH [OPTIONS(...)]
struct create_scan {
  position pos;
  std::string name;
  std::string table;
  std::string mode;  // "stream" or "batch", lower case
  std::vector<option> options;
};

// CREATE STREAM name [OPTIONS(...)] INSERT INTO sink SELECT ...
struct create_stream {
  position pos;
  std::string name;
  std::vector<option> options;
  std::string sink;
  position sink_pos;
  select_query query;
};

// INSERT INTO|OVERWRITE [TABLE] sink SELECT ...: a job without a name of its own (the Flink and
// batch seeds).
struct insert_select {
  position pos;
  std::string sink;
  bool overwrite = false;  // INSERT OVERWRITE: the sink becomes the result
  select_query query;
};

// SELECT ...: a query, its result printed.
struct select_statement {
  position pos;
  select_query query;
};

using statement = std::variant<create_table, drop_table, create_tunnel, drop_tunnel,
                               create_external_table, create_connector_table, create_scan,
                               create_stream, insert_select, select_statement, create_database>;

}  // namespace sluice::sql

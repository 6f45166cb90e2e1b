// Parses a Sluice SQL script into statements (see ast.hpp). Accepted now:
//   CREATE TABLE [IF NOT EXISTS] name (col TYPE [PRIMARY KEY], ..., [PRIMARY KEY (a, ...)])
//       [WITH (channels = n)]
//   CREATE TABLE name (col TYPE, ..., [PRIMARY KEY (a, ...)]) WITH (type = 'ots', key = value, ...)
//       (Flink's table of a connector; 'connector' = '...' likewise)
//   CREATE TABLE [IF NOT EXISTS] name USING provider [OPTIONS(key = value, ...)]
//   DROP TABLE [IF EXISTS] name
//   CREATE TUNNEL [IF NOT EXISTS] name ON table [TYPE STREAM | BASE | BASE_AND_STREAM]
//   DROP TUNNEL [IF EXISTS] name ON table
//   CREATE SCAN name ON table USING STREAM | BATCH [OPTIONS(key = value, ...)]
//   CREATE STREAM name [OPTIONS(key = value, ...)] INSERT INTO sink query
//   INSERT INTO|OVERWRITE [TABLE] sink query
//   query
// where query is
//   SELECT * | expr [AS alias], ... FROM name [WHERE expr] [GROUP BY expr, ...] [HAVING expr]
//       [ORDER BY expr [ASC|DESC], ...] [LIMIT n]
// and an expression has, loosest first: OR, AND, NOT, comparisons (= <> != < <= > >=), + -,
// * / %, unary -, then literals, columns (qualified ones such as window.start are one name),
// calls f(a, ...) and count(*), CAST(expr AS type) and parentheses.
// Option keys are dotted names (access.key.id) or strings ("maxoffsetsperchannel"); values are
// strings, numbers or names, kept as written. Keywords match in any case; names keep theirs.
// Keywords are names wherever a name fits (`AS begin`, `window(...)`, `timestamp / 1000`),
// except SELECT, FROM, WHERE, GROUP, AS, AND, OR and NOT as a column or alias, which go in
// backticks.
#pragma once

#include <absl/status/statusor.h>

#include <string_view>
#include <vector>

#include "runtime/sql/ast.hpp"

namespace sluice::sql {

// Statements are separated by ';' (a trailing one is optional, empty statements are skipped).
// The whole script is parsed before anything is returned, so an error anywhere rejects all of it.
// Errors are InvalidArgument "line L, column C: ..." saying what was expected and found. Names are
// only recorded here: whether key columns exist is checked by table_schema::create, and what
// the names, functions and types of a query mean by the planner. Every node's `pos` is its first
// token; a parenthesized expression's is its '('.
absl::StatusOr<std::vector<statement>> parse_script(std::string_view text);

}  // namespace sluice::sql

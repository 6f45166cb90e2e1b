// Parses a Sluice SQL script into statements (see ast.hpp). Accepted now:
//   CREATE TABLE [IF NOT EXISTS] name (col TYPE [PRIMARY KEY], ..., [PRIMARY KEY (a, ...)])
//       [WITH (channels = n)]
//   DROP TABLE [IF EXISTS] name
//   CREATE TUNNEL [IF NOT EXISTS] name ON table [TYPE STREAM | BASE | BASE_AND_STREAM]
//   DROP TUNNEL [IF EXISTS] name ON table
// Keywords match in any case; names keep theirs.
#pragma once

#include <absl/status/statusor.h>

#include <string_view>
#include <vector>

#include "runtime/sql/ast.hpp"

namespace sluice::sql {

// Statements are separated by ';' (a trailing one is optional, empty statements are skipped).
// The whole script is parsed before anything is returned, so an error anywhere rejects all of it.
// Errors are InvalidArgument "line L, column C: ..." saying what was expected and found. Names are
// only recorded here: whether key columns exist is checked by table_schema::create.
absl::StatusOr<std::vector<statement>> parse_script(std::string_view text);

}  // namespace sluice::sql

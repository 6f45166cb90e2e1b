// Splits Sluice SQL text into tokens. Keywords are not reserved here: they are bare identifiers
// that the parser matches case-insensitively where it expects one, so `timestamp` or `count` stay
// usable as names.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/sql/ast.hpp"

namespace sluice::sql {

enum class token_kind {
  identifier,         // bare; may be read as a keyword
  quoted_identifier,  // in backticks; never a keyword
  string,             // in '...' or "..."
  integer,
  decimal,
  symbol,  // punctuation or operator
  end,     // follows the last token
};

struct token {
  token_kind kind = token_kind::end;
  // Identifiers and strings: the value, quotes removed and escapes resolved, case kept.
  // Numbers and symbols: as written.
  std::string text;
  position pos;
};

// The tokens of `text`, always ending with one token_kind::end. Errors are InvalidArgument and
// name the line and column where the bad token starts.
absl::StatusOr<std::vector<token>> tokenize(std::string_view text);

// How a token reads in an error message: 'PRIMARY', `my col`, string 'abc', end of input.
std::string describe(const token& t);

// InvalidArgument "line L, column C: <message>".
absl::Status syntax_error(position pos, std::string_view message);

}  // namespace sluice::sql

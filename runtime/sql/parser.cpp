// Recursive-descent parser for Sluice SQL: one function per statement over a token_cursor.
#include "runtime/sql/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "runtime/core/status.hpp"
#include "runtime/sql/lexer.hpp"

namespace sluice::sql {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](char x, char y) { return lower(x) == lower(y); });
}

// Reads tokens front to back. Past the last token it keeps returning the end token, so lookahead
// never needs a bounds check.
class token_cursor {
 public:
  explicit token_cursor(std::vector<token> tokens) : tokens_(std::move(tokens)) {}

  const token& peek(size_t ahead = 0) const {
    return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
  }
  const token& next() {
    const token& t = peek();
    if (at_ + 1 < tokens_.size()) ++at_;
    return t;
  }
  bool at_end() const { return peek().kind == token_kind::end; }
  bool at_statement_end() const { return at_end() || at_symbol(";"); }

  // A keyword is a bare identifier equal to `keyword` in any case.
  bool at_keyword(std::string_view keyword, size_t ahead = 0) const {
    const token& t = peek(ahead);
    return t.kind == token_kind::identifier && equals_ignore_case(t.text, keyword);
  }
  bool accept_keyword(std::string_view keyword) {
    if (!at_keyword(keyword)) return false;
    next();
    return true;
  }
  bool at_symbol(std::string_view symbol) const {
    return peek().kind == token_kind::symbol && peek().text == symbol;
  }
  bool accept_symbol(std::string_view symbol) {
    if (!at_symbol(symbol)) return false;
    next();
    return true;
  }

  // "line L, column C: expected <expected>, found <next token>"
  absl::Status unexpected(std::string_view expected) const {
    return syntax_error(peek().pos, fmt::format("expected {}, found {}", expected, describe(peek())));
  }
  absl::Status expect_keyword(std::string_view keyword, std::string_view context) {
    if (accept_keyword(keyword)) return absl::OkStatus();
    return unexpected(fmt::format("{} {}", keyword, context));
  }
  absl::Status expect_symbol(std::string_view symbol, std::string_view context) {
    if (accept_symbol(symbol)) return absl::OkStatus();
    return unexpected(fmt::format("'{}' {}", symbol, context));
  }
  // A bare or backticked identifier; `what` says which name, e.g. "a table name after ON".
  absl::StatusOr<std::string> expect_name(std::string_view what) {
    auto kind = peek().kind;
    if (kind != token_kind::identifier && kind != token_kind::quoted_identifier)
      return unexpected(what);
    return next().text;
  }
  // After an element of a parenthesized list: true after ',', false after the closing ')'.
  // `after` names the element for the error, e.g. "column 'price'".
  absl::StatusOr<bool> list_continues(std::string_view after) {
    if (accept_symbol(",")) return true;
    if (accept_symbol(")")) return false;
    return unexpected(fmt::format("',' or ')' after {}", after));
  }
  absl::StatusOr<uint32_t> expect_positive_integer(std::string_view context) {
    const token& t = peek();
    uint32_t value = 0;
    if (t.kind == token_kind::integer) {
      auto [end, error] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
      if (error == std::errc::result_out_of_range)
        return syntax_error(t.pos, fmt::format("{} is too large {}", t.text, context));
      if (value > 0) {
        next();
        return value;
      }
    }
    return unexpected(fmt::format("a positive integer {}", context));
  }

 private:
  std::vector<token> tokens_;
  size_t at_ = 0;
};

// IF NOT EXISTS is read only when IF is followed by NOT, so that `if` stays usable as a name.
absl::StatusOr<bool> accept_if_not_exists(token_cursor& in) {
  if (!in.at_keyword("IF") || !in.at_keyword("NOT", 1)) return false;
  in.next();
  in.next();
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("EXISTS", "after IF NOT"));
  return true;
}

bool accept_if_exists(token_cursor& in) {
  if (!in.at_keyword("IF") || !in.at_keyword("EXISTS", 1)) return false;
  in.next();
  in.next();
  return true;
}

struct type_name_entry {
  std::string_view name;
  column_type type;
};

constexpr type_name_entry type_names[] = {
    {"STRING", column_type::string},   {"VARCHAR", column_type::string},
    {"TEXT", column_type::string},     {"BIGINT", column_type::bigint},
    {"INT", column_type::bigint},      {"INTEGER", column_type::bigint},
    {"LONG", column_type::bigint},     {"DOUBLE", column_type::double_},
    {"FLOAT", column_type::double_},   {"BOOLEAN", column_type::boolean},
    {"BOOL", column_type::boolean},
};

// TYPE, or VARCHAR(n) whose length is accepted and ignored: strings are unbounded.
absl::StatusOr<column_type> parse_column_type(token_cursor& in, const std::string& column) {
  const token& t = in.peek();
  if (t.kind != token_kind::identifier)
    return in.unexpected(fmt::format("a type for column '{}'", column));
  auto entry = std::find_if(std::begin(type_names), std::end(type_names),
                            [&](const auto& e) { return equals_ignore_case(t.text, e.name); });
  if (entry == std::end(type_names))
    return syntax_error(t.pos, fmt::format("unknown type '{}' for column '{}'; accepted: STRING, "
                                           "BIGINT, DOUBLE, BOOLEAN",
                                           t.text, column));
  in.next();
  if (entry->name == "VARCHAR" && in.accept_symbol("(")) {
    SLUICE_RETURN_IF_ERROR(in.expect_positive_integer("as the length in VARCHAR(n)").status());
    SLUICE_RETURN_IF_ERROR(in.expect_symbol(")", "after the length in VARCHAR(n)"));
  }
  return entry->type;
}

absl::StatusOr<std::vector<std::string>> parse_key_columns(token_cursor& in) {
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("(", "after PRIMARY KEY"));
  std::vector<std::string> columns;
  bool more = true;
  while (more) {
    SLUICE_ASSIGN_OR_RETURN(auto column, in.expect_name("a key column name"));
    columns.push_back(std::move(column));
    SLUICE_ASSIGN_OR_RETURN(more, in.list_continues(fmt::format("key column '{}'", columns.back())));
  }
  return columns;
}

// (col TYPE [PRIMARY KEY], ..., [PRIMARY KEY (a, ...)]); the table-level key may come anywhere,
// but the key is declared once: on one column or as PRIMARY KEY (...).
absl::Status parse_table_elements(token_cursor& in, create_table& table) {
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("(", fmt::format("after table name '{}'", table.name)));
  std::optional<std::string> key_declared;  // where, for the error on a second declaration
  auto declare_key = [&](position pos, std::string where) {
    if (key_declared)
      return syntax_error(pos, fmt::format("PRIMARY KEY is declared twice (first {}); declare a key "
                                           "of one or more columns once, as PRIMARY KEY (a, b, ...)",
                                           *key_declared));
    key_declared = std::move(where);
    return absl::OkStatus();
  };
  bool more = true;
  while (more) {
    std::string after;
    if (in.at_keyword("PRIMARY") && in.at_keyword("KEY", 1)) {
      position pos = in.next().pos;
      in.next();
      SLUICE_RETURN_IF_ERROR(declare_key(
          pos, fmt::format("as PRIMARY KEY at line {}, column {}", pos.line, pos.column)));
      SLUICE_ASSIGN_OR_RETURN(table.primary_key, parse_key_columns(in));
      after = "PRIMARY KEY (...)";
    } else {
      SLUICE_ASSIGN_OR_RETURN(auto name, in.expect_name("a column name or PRIMARY KEY"));
      SLUICE_ASSIGN_OR_RETURN(auto type, parse_column_type(in, name));
      if (in.at_keyword("PRIMARY")) {
        position pos = in.next().pos;
        SLUICE_RETURN_IF_ERROR(in.expect_keyword("KEY", "after PRIMARY"));
        SLUICE_RETURN_IF_ERROR(declare_key(pos, fmt::format("on column '{}'", name)));
        table.primary_key = {name};
      }
      after = fmt::format("column '{}'", name);
      table.columns.push_back({std::move(name), type});
    }
    SLUICE_ASSIGN_OR_RETURN(more, in.list_continues(after));
  }
  return absl::OkStatus();
}

// WITH (option = value, ...); `channels` is the only option so far.
absl::Status parse_table_options(token_cursor& in, create_table& table) {
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("(", "after WITH"));
  bool channels_given = false;
  bool more = true;
  while (more) {
    const token& option = in.peek();
    SLUICE_ASSIGN_OR_RETURN(auto name, in.expect_name("an option name in WITH (...)"));
    if (!equals_ignore_case(name, "channels"))
      return syntax_error(option.pos,
                          fmt::format("unknown option '{}' in WITH; accepted: channels", name));
    if (channels_given)
      return syntax_error(option.pos, "option 'channels' is given twice in WITH");
    channels_given = true;
    SLUICE_RETURN_IF_ERROR(in.expect_symbol("=", fmt::format("after option '{}'", name)));
    SLUICE_ASSIGN_OR_RETURN(table.channels, in.expect_positive_integer("for channels"));
    SLUICE_ASSIGN_OR_RETURN(more, in.list_continues(fmt::format("option '{}'", name)));
  }
  return absl::OkStatus();
}

absl::StatusOr<create_table> parse_create_table(token_cursor& in, position pos) {
  create_table table;
  table.pos = pos;
  SLUICE_ASSIGN_OR_RETURN(table.if_not_exists, accept_if_not_exists(in));
  SLUICE_ASSIGN_OR_RETURN(table.name, in.expect_name("a table name after CREATE TABLE"));
  SLUICE_RETURN_IF_ERROR(parse_table_elements(in, table));
  if (in.accept_keyword("WITH")) {
    SLUICE_RETURN_IF_ERROR(parse_table_options(in, table));
  } else if (!in.at_statement_end()) {
    return in.unexpected("WITH, ';' or end of input after the column list");
  }
  return table;
}

absl::StatusOr<drop_table> parse_drop_table(token_cursor& in, position pos) {
  drop_table drop;
  drop.pos = pos;
  drop.if_exists = accept_if_exists(in);
  SLUICE_ASSIGN_OR_RETURN(drop.name, in.expect_name("a table name after DROP TABLE"));
  return drop;
}

// TYPE STREAM | BASE | BASE_AND_STREAM
absl::StatusOr<tunnel_type> parse_tunnel_type(token_cursor& in) {
  if (in.accept_keyword("STREAM")) return tunnel_type::stream;
  if (in.accept_keyword("BASE")) return tunnel_type::base;
  if (in.accept_keyword("BASE_AND_STREAM")) return tunnel_type::base_and_stream;
  return in.unexpected("STREAM, BASE or BASE_AND_STREAM after TYPE");
}

absl::StatusOr<create_tunnel> parse_create_tunnel(token_cursor& in, position pos) {
  create_tunnel tunnel;
  tunnel.pos = pos;
  SLUICE_ASSIGN_OR_RETURN(tunnel.if_not_exists, accept_if_not_exists(in));
  SLUICE_ASSIGN_OR_RETURN(tunnel.name, in.expect_name("a tunnel name after CREATE TUNNEL"));
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("ON", fmt::format("after tunnel name '{}'", tunnel.name)));
  SLUICE_ASSIGN_OR_RETURN(tunnel.table, in.expect_name("a table name after ON"));
  if (in.accept_keyword("TYPE")) {
    SLUICE_ASSIGN_OR_RETURN(tunnel.type, parse_tunnel_type(in));
  } else if (!in.at_statement_end()) {
    return in.unexpected("TYPE, ';' or end of input after the table name");
  }
  return tunnel;
}

absl::StatusOr<drop_tunnel> parse_drop_tunnel(token_cursor& in, position pos) {
  drop_tunnel drop;
  drop.pos = pos;
  drop.if_exists = accept_if_exists(in);
  SLUICE_ASSIGN_OR_RETURN(drop.name, in.expect_name("a tunnel name after DROP TUNNEL"));
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("ON", fmt::format("after tunnel name '{}'", drop.name)));
  SLUICE_ASSIGN_OR_RETURN(drop.table, in.expect_name("a table name after ON"));
  return drop;
}

absl::StatusOr<statement> parse_statement(token_cursor& in) {
  const token first = in.peek();
  if (in.accept_keyword("CREATE")) {
    if (in.accept_keyword("TABLE")) return parse_create_table(in, first.pos);
    if (in.accept_keyword("TUNNEL")) return parse_create_tunnel(in, first.pos);
    return in.unexpected("TABLE or TUNNEL after CREATE");
  }
  if (in.accept_keyword("DROP")) {
    if (in.accept_keyword("TABLE")) return parse_drop_table(in, first.pos);
    if (in.accept_keyword("TUNNEL")) return parse_drop_tunnel(in, first.pos);
    return in.unexpected("TABLE or TUNNEL after DROP");
  }
  return syntax_error(first.pos, fmt::format("unknown statement {}; accepted: CREATE TABLE, DROP "
                                             "TABLE, CREATE TUNNEL, DROP TUNNEL",
                                             describe(first)));
}

}  // namespace

absl::StatusOr<std::vector<statement>> parse_script(std::string_view text) {
  SLUICE_ASSIGN_OR_RETURN(auto tokens, tokenize(text));
  token_cursor in(std::move(tokens));
  std::vector<statement> statements;
  while (true) {
    while (in.accept_symbol(";")) {
    }
    if (in.at_end()) return statements;
    SLUICE_ASSIGN_OR_RETURN(auto parsed, parse_statement(in));
    statements.push_back(std::move(parsed));
    if (!in.at_end()) SLUICE_RETURN_IF_ERROR(in.expect_symbol(";", "or end of input"));
  }
}

}  // namespace sluice::sql

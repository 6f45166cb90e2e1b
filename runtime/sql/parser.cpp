// Recursive-descent parser for Sluice SQL: one function per statement over a token_cursor;
// expressions by precedence climbing.
#include "runtime/sql/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
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
  bool at_symbol(std::string_view symbol, size_t ahead = 0) const {
    const token& t = peek(ahead);
    return t.kind == token_kind::symbol && t.text == symbol;
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

  // How deep in an expression the parser is, read and set by the expression parser.
  struct expression_depth {
    int nesting = 0;  // parentheses, call arguments and CASTs: recursions of the parser
    int levels = 0;   // levels of the tree: those and operators
  };
  expression_depth& depth() { return depth_; }

 private:
  std::vector<token> tokens_;
  size_t at_ = 0;
  expression_depth depth_;
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
    {"BOOL", column_type::boolean},    {"TIMESTAMP", column_type::timestamp},
    {"DATETIME", column_type::timestamp},
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
                                           "BIGINT, DOUBLE, BOOLEAN, TIMESTAMP",
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

// [COMMENT 'text'] (or "text"), accepted and dropped: the store keeps no comments.
absl::Status skip_comment(token_cursor& in, std::string_view context) {
  if (!in.accept_keyword("COMMENT")) return absl::OkStatus();
  if (in.peek().kind != token_kind::string) return in.unexpected(fmt::format("a string {}", context));
  in.next();
  return absl::OkStatus();
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
      // Flink's PRIMARY KEY (...) NOT ENFORCED: the store enforces every key.
      if (in.at_keyword("NOT") && in.at_keyword("ENFORCED", 1)) {
        in.next();
        in.next();
      }
      after = "PRIMARY KEY (...)";
    } else if (in.at_keyword("WATERMARK") && in.at_keyword("FOR", 1)) {
      return syntax_error(in.peek().pos, "WATERMARK FOR is not supported yet; give the job a "
                                         "lateness option for its windows' watermark");
    } else {
      SLUICE_ASSIGN_OR_RETURN(auto name, in.expect_name("a column name or PRIMARY KEY"));
      SLUICE_ASSIGN_OR_RETURN(auto type, parse_column_type(in, name));
      // Flink's [NOT] NULL: key columns are never NULL, and a connector's columns are not checked.
      if (in.at_keyword("NOT") && in.at_keyword("NULL", 1)) {
        if (!table.not_null) table.not_null = in.peek().pos;
        in.next();
        in.next();
      } else {
        in.accept_keyword("NULL");
      }
      SLUICE_RETURN_IF_ERROR(skip_comment(in, fmt::format("after COMMENT of column '{}'", name)));
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

// OPTIONS(key = value, ...). A key is a dotted name (access.key.id) or a string
// ("maxoffsetsperchannel"); a value is a string, a number or a dotted name, kept as written.

absl::StatusOr<std::string> parse_dotted_name(token_cursor& in, std::string_view what) {
  SLUICE_ASSIGN_OR_RETURN(auto name, in.expect_name(what));
  while (in.accept_symbol(".")) {
    SLUICE_ASSIGN_OR_RETURN(auto part, in.expect_name(fmt::format("a name after '{}.'", name)));
    name += "." + part;
  }
  return name;
}

absl::StatusOr<std::string> parse_option_key(token_cursor& in) {
  if (in.peek().kind == token_kind::string) return in.next().text;
  return parse_dotted_name(in, "an option name in OPTIONS(...)");
}

absl::StatusOr<std::string> parse_option_value(token_cursor& in, const std::string& key) {
  const token& t = in.peek();
  bool negative = t.kind == token_kind::symbol && t.text == "-";
  const token& number = in.peek(negative ? 1 : 0);
  if (number.kind == token_kind::integer || number.kind == token_kind::decimal) {
    if (negative) in.next();
    return (negative ? "-" : "") + in.next().text;
  }
  if (t.kind == token_kind::string) return in.next().text;
  if (t.kind == token_kind::identifier || t.kind == token_kind::quoted_identifier)
    return parse_dotted_name(in, "an option value");
  return in.unexpected(fmt::format("a string, number or name as the value of option '{}'", key));
}

// `clause` names the list for errors: "OPTIONS" or "WITH".
absl::StatusOr<option> parse_option(token_cursor& in, const std::vector<option>& earlier,
                                    std::string_view clause) {
  option entry;
  entry.pos = in.peek().pos;
  SLUICE_ASSIGN_OR_RETURN(entry.key, parse_option_key(in));
  // Spark reads option keys in any case, so keys differing only in case are the same option.
  auto same = std::find_if(earlier.begin(), earlier.end(),
                           [&](const option& e) { return equals_ignore_case(e.key, entry.key); });
  if (same != earlier.end())
    return syntax_error(entry.pos,
                        fmt::format("option '{}' is given twice in {} (first at line {}, "
                                    "column {}); option names match in any case",
                                    entry.key, clause, same->pos.line, same->pos.column));
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("=", fmt::format("after option '{}'", entry.key)));
  SLUICE_ASSIGN_OR_RETURN(entry.value, parse_option_value(in, entry.key));
  return entry;
}

// After the OPTIONS (or WITH) keyword: (key = value, ...), at least one.
absl::StatusOr<std::vector<option>> parse_option_list(token_cursor& in,
                                                      std::string_view clause = "OPTIONS") {
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("(", fmt::format("after {}", clause)));
  std::vector<option> options;
  bool more = true;
  while (more) {
    SLUICE_ASSIGN_OR_RETURN(auto entry, parse_option(in, options, clause));
    options.push_back(std::move(entry));
    SLUICE_ASSIGN_OR_RETURN(more,
                            in.list_continues(fmt::format("option '{}'", options.back().key)));
  }
  return options;
}

// [OPTIONS(...)] as the end of a statement; `after` names what precedes it, for the error.
absl::StatusOr<std::vector<option>> parse_trailing_options(token_cursor& in,
                                                           std::string_view after) {
  if (in.accept_keyword("OPTIONS")) return parse_option_list(in);
  if (!in.at_statement_end())
    return in.unexpected(fmt::format("OPTIONS, ';' or end of input after {}", after));
  return std::vector<option>{};
}

bool is_connector_option(const option& entry) {
  return equals_ignore_case(entry.key, "type") || equals_ignore_case(entry.key, "connector");
}

// WITH (channels = n) makes a store table; a connector's options (Flink's type = 'ots', or
// 'connector' = '...') make a table of that connector.
// A store table's columns are not checked for NULLs, so it does not take NOT NULL.
absl::Status refuse_not_null(const create_table& table) {
  if (!table.not_null) return absl::OkStatus();
  return syntax_error(*table.not_null, "NOT NULL is not checked by the store (key columns are "
                                       "never NULL, the others may be); remove it");
}

absl::StatusOr<statement> parse_table_with(token_cursor& in, create_table table) {
  SLUICE_ASSIGN_OR_RETURN(auto options, parse_option_list(in, "WITH"));
  if (std::any_of(options.begin(), options.end(), is_connector_option)) {
    create_connector_table connector;
    connector.pos = table.pos;
    connector.if_not_exists = table.if_not_exists;
    connector.name = std::move(table.name);
    connector.columns = std::move(table.columns);
    connector.primary_key = std::move(table.primary_key);
    connector.options = std::move(options);
    return connector;
  }
  for (const auto& entry : options) {
    if (!equals_ignore_case(entry.key, "channels"))
      return syntax_error(entry.pos, fmt::format("unknown option '{}' in WITH; accepted: channels, "
                                                 "or a connector's options (type = 'ots', ...)",
                                                 entry.key));
    auto [end, error] = std::from_chars(entry.value.data(), entry.value.data() + entry.value.size(),
                                        table.channels);
    if (error != std::errc() || end != entry.value.data() + entry.value.size() ||
        table.channels == 0)
      return syntax_error(entry.pos, fmt::format("channels must be a positive integer of at most "
                                                 "{}, not '{}'",
                                                 std::numeric_limits<uint32_t>::max(), entry.value));
  }
  SLUICE_RETURN_IF_ERROR(refuse_not_null(table));
  return table;
}

// ENGINE = olap: StarRocks' tables of its own storage, which the store's tables stand for.
absl::Status parse_engine(token_cursor& in) {
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("=", "after ENGINE"));
  const token& engine = in.peek();
  SLUICE_ASSIGN_OR_RETURN(auto name, in.expect_name("an engine name after ENGINE ="));
  if (!equals_ignore_case(name, "olap"))
    return syntax_error(engine.pos, fmt::format("ENGINE = {} is not supported; a store table is "
                                                "StarRocks' ENGINE = olap",
                                                name));
  return absl::OkStatus();
}

// DISTRIBUTED BY HASH (cols) [BUCKETS n], DISTRIBUTED still to be read. The hash columns must be
// key columns; BUCKETS gives the table's channels. Rows go to channels by the first key column
// whatever the hash columns are: the channel only spreads the writes.
absl::Status parse_distribution(token_cursor& in, create_table& table) {
  in.next();
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("BY", "after DISTRIBUTED"));
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("HASH", "after DISTRIBUTED BY"));
  SLUICE_RETURN_IF_ERROR(in.expect_symbol("(", "after HASH"));
  bool more = true;
  while (more) {
    const position pos = in.peek().pos;
    SLUICE_ASSIGN_OR_RETURN(auto column, in.expect_name("a column name in HASH (...)"));
    const auto& columns = table.columns;
    if (std::none_of(columns.begin(), columns.end(), [&](const auto& c) { return c.name == column; }))
      return syntax_error(pos, fmt::format("HASH ({}): {} has no column '{}'", column, table.name,
                                           column));
    const auto& key = table.primary_key;
    if (std::find(key.begin(), key.end(), column) == key.end())
      return syntax_error(pos, fmt::format("HASH ({}): the hash columns must be primary key "
                                           "columns of {}",
                                           column, table.name));
    SLUICE_ASSIGN_OR_RETURN(more, in.list_continues(fmt::format("hash column '{}'", column)));
  }
  if (in.accept_keyword("BUCKETS")) {
    SLUICE_ASSIGN_OR_RETURN(table.channels, in.expect_positive_integer("after BUCKETS"));
  }
  return absl::OkStatus();
}

// PROPERTIES ("key" = "value", ...): StarRocks' settings (replicas, storage), accepted and
// ignored, PROPERTIES still to be read.
absl::Status skip_properties(token_cursor& in) {
  in.next();
  return parse_option_list(in, "PROPERTIES").status();
}

// StarRocks' clauses after the column list, each optional, in its order: [ENGINE = olap]
// [PRIMARY KEY (cols)] [COMMENT 'text'] [DISTRIBUTED BY HASH (cols) [BUCKETS n]]
// [PROPERTIES (...)].
absl::Status parse_starrocks_clauses(token_cursor& in, create_table& table) {
  table.starrocks = true;
  if (in.accept_keyword("ENGINE")) SLUICE_RETURN_IF_ERROR(parse_engine(in));
  if (in.at_keyword("PRIMARY")) {
    const position pos = in.next().pos;
    SLUICE_RETURN_IF_ERROR(in.expect_keyword("KEY", "after PRIMARY"));
    if (!table.primary_key.empty())
      return syntax_error(pos, "PRIMARY KEY is declared twice, in the column list and after it; "
                               "declare it once");
    SLUICE_ASSIGN_OR_RETURN(table.primary_key, parse_key_columns(in));
  }
  SLUICE_RETURN_IF_ERROR(skip_comment(in, "after the table's COMMENT"));
  if (in.at_keyword("DISTRIBUTED")) SLUICE_RETURN_IF_ERROR(parse_distribution(in, table));
  if (in.at_keyword("PROPERTIES")) SLUICE_RETURN_IF_ERROR(skip_properties(in));
  if (!in.at_statement_end())
    return in.unexpected("ENGINE, PRIMARY KEY, COMMENT, DISTRIBUTED BY, PROPERTIES, ';' or end "
                         "of input, in this order, after the column list");
  return absl::OkStatus();
}

bool at_starrocks_clause(const token_cursor& in) {
  for (std::string_view keyword : {"ENGINE", "PRIMARY", "COMMENT", "DISTRIBUTED", "PROPERTIES"})
    if (in.at_keyword(keyword)) return true;
  return false;
}

absl::StatusOr<statement> parse_store_table(token_cursor& in, create_table table) {
  SLUICE_RETURN_IF_ERROR(parse_table_elements(in, table));
  if (in.accept_keyword("WITH")) return parse_table_with(in, std::move(table));
  if (at_starrocks_clause(in)) {
    SLUICE_RETURN_IF_ERROR(parse_starrocks_clauses(in, table));
    return table;
  }
  if (!in.at_statement_end())
    return in.unexpected("WITH, ENGINE, PRIMARY KEY, DISTRIBUTED BY, ';' or end of input after "
                         "the column list");
  SLUICE_RETURN_IF_ERROR(refuse_not_null(table));
  return table;
}

// USING provider [OPTIONS(...)], USING still to be read.
absl::StatusOr<create_external_table> parse_external_table(token_cursor& in, position pos,
                                                           std::string name, bool if_not_exists) {
  create_external_table table;
  table.pos = pos;
  table.if_not_exists = if_not_exists;
  table.name = std::move(name);
  in.next();
  SLUICE_ASSIGN_OR_RETURN(table.provider, parse_dotted_name(in, "a provider name after USING"));
  SLUICE_ASSIGN_OR_RETURN(table.options,
                          parse_trailing_options(in, fmt::format("provider '{}'", table.provider)));
  return table;
}

// A table name, possibly qualified by a catalog and database as StarRocks' and Flink's scripts
// write `db`.`t`: Sluice has one namespace of tables, so the name is the last part.
absl::StatusOr<std::string> parse_table_name(token_cursor& in, std::string_view what) {
  SLUICE_ASSIGN_OR_RETURN(auto name, in.expect_name(what));
  while (in.accept_symbol(".")) {
    SLUICE_ASSIGN_OR_RETURN(name, in.expect_name(fmt::format("a name after '{}.'", name)));
  }
  return name;
}

// CREATE DATABASE [IF NOT EXISTS] name, CREATE DATABASE already read.
absl::StatusOr<create_database> parse_create_database(token_cursor& in, position pos) {
  create_database database;
  database.pos = pos;
  SLUICE_RETURN_IF_ERROR(accept_if_not_exists(in).status());
  SLUICE_ASSIGN_OR_RETURN(database.name,
                          parse_table_name(in, "a database name after CREATE DATABASE"));
  return database;
}

// CREATE TABLE name (...) is a store table, CREATE TABLE name USING ... an external one.
absl::StatusOr<statement> parse_create_table(token_cursor& in, position pos) {
  create_table table;
  table.pos = pos;
  SLUICE_ASSIGN_OR_RETURN(table.if_not_exists, accept_if_not_exists(in));
  SLUICE_ASSIGN_OR_RETURN(table.name, parse_table_name(in, "a table name after CREATE TABLE"));
  if (in.at_keyword("USING"))
    return parse_external_table(in, pos, std::move(table.name), table.if_not_exists);
  if (!in.at_symbol("("))
    return in.unexpected(fmt::format("'(' or USING after table name '{}'", table.name));
  return parse_store_table(in, std::move(table));
}

absl::StatusOr<drop_table> parse_drop_table(token_cursor& in, position pos) {
  drop_table drop;
  drop.pos = pos;
  drop.if_exists = accept_if_exists(in);
  SLUICE_ASSIGN_OR_RETURN(drop.name, parse_table_name(in, "a table name after DROP TABLE"));
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

// CREATE SCAN name ON table USING STREAM|BATCH [OPTIONS(...)]
absl::StatusOr<create_scan> parse_create_scan(token_cursor& in, position pos) {
  create_scan scan;
  scan.pos = pos;
  SLUICE_ASSIGN_OR_RETURN(scan.name, in.expect_name("a scan name after CREATE SCAN"));
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("ON", fmt::format("after scan name '{}'", scan.name)));
  SLUICE_ASSIGN_OR_RETURN(scan.table, in.expect_name("a table name after ON"));
  SLUICE_RETURN_IF_ERROR(
      in.expect_keyword("USING", fmt::format("after table name '{}'", scan.table)));
  if (in.accept_keyword("STREAM")) {
    scan.mode = "stream";
  } else if (in.accept_keyword("BATCH")) {
    scan.mode = "batch";
  } else {
    return in.unexpected("STREAM or BATCH after USING");
  }
  SLUICE_ASSIGN_OR_RETURN(scan.options,
                          parse_trailing_options(in, fmt::format("USING {}", scan.mode)));
  return scan;
}

// ----- Expressions, by precedence climbing over a table of the binary operators.

// Deeper expressions are refused rather than risking the stack: each nesting costs a few
// frames while parsing, each tree level a recursion when the tree is destroyed or planned.
// Hand-written SQL stays far below both limits.
constexpr int max_nesting = 64;
constexpr int max_levels = 1000;

// One tree level deeper, for the expression that starts at the cursor. Errors abandon the
// parse, so only successful paths give the levels back (by restoring depth()).
absl::Status go_deeper(token_cursor& in) {
  if (in.depth().levels >= max_levels)
    return syntax_error(in.peek().pos, fmt::format("expression too deep: more than {} levels of "
                                                   "operators; split it up",
                                                   max_levels));
  ++in.depth().levels;
  return absl::OkStatus();
}

// How tightly operators bind, loosest first. NOT and unary - are prefixes: NOT applies to a
// comparison, - to a primary.
enum precedence : int {
  lowest,
  or_level,
  and_level,
  not_level,
  comparison,
  additive,
  multiplicative,
};

struct binary_operator {
  std::string_view written;  // a keyword (OR, AND) or a symbol
  std::string_view name;     // as stored in expr::name
  int precedence;
};

constexpr binary_operator binary_operators[] = {
    {"OR", "OR", or_level},      {"AND", "AND", and_level},   {"=", "=", comparison},
    {"<>", "<>", comparison},    {"!=", "<>", comparison},    {"<", "<", comparison},
    {"<=", "<=", comparison},    {">", ">", comparison},      {">=", ">=", comparison},
    {"+", "+", additive},        {"-", "-", additive},        {"*", "*", multiplicative},
    {"/", "/", multiplicative},  {"%", "%", multiplicative},
};

const binary_operator* at_binary_operator(const token_cursor& in) {
  for (const auto& op : binary_operators)
    if (in.at_keyword(op.written) || in.at_symbol(op.written)) return &op;
  return nullptr;
}

absl::StatusOr<expr> parse_binary(token_cursor& in, int min_precedence);

absl::StatusOr<expr> parse_expr(token_cursor& in) {
  const auto depth = in.depth();
  if (depth.nesting >= max_nesting)
    return syntax_error(in.peek().pos, fmt::format("expression nested too deeply: more than {} "
                                                   "levels of parentheses, calls and CASTs",
                                                   max_nesting));
  SLUICE_RETURN_IF_ERROR(go_deeper(in));
  ++in.depth().nesting;
  absl::StatusOr<expr> parsed = parse_binary(in, lowest);
  in.depth() = depth;
  return parsed;
}

expr make_node(expr::kind what, position pos, std::string name) {
  expr e;
  e.what = what;
  e.pos = pos;
  e.name = std::move(name);
  return e;
}

expr make_literal(position pos, value literal) {
  expr e = make_node(expr::kind::literal, pos, "");
  e.literal = std::move(literal);
  return e;
}

// `operand` becomes `op operand` (unary) or `operand op *right` (binary), in place. Kept out of
// line so that its temporaries do not enlarge the frames of the recursive parse functions.
[[gnu::noinline]] void apply_operator(expr& operand, position pos, std::string_view op,
                                      expr* right = nullptr) {
  expr node = make_node(right ? expr::kind::binary : expr::kind::unary, pos, std::string(op));
  node.args.reserve(right ? 2 : 1);
  node.args.push_back(std::move(operand));
  if (right) node.args.push_back(std::move(*right));
  operand = std::move(node);
}

// Clause keywords are not read as column names or aliases, so that `SELECT a, FROM t` or
// `WHERE AND` fail where they are written. In backticks they are names like any other.
bool is_reserved(const token& t) {
  if (t.kind != token_kind::identifier) return false;
  constexpr std::string_view reserved[] = {"SELECT", "FROM", "WHERE", "GROUP",
                                           "AS",     "AND",  "OR",    "NOT"};
  return std::any_of(std::begin(reserved), std::end(reserved),
                     [&](std::string_view r) { return equals_ignore_case(t.text, r); });
}

absl::StatusOr<expr> parse_integer(token_cursor& in) {
  const token& t = in.next();
  int64_t parsed = 0;
  auto [end, error] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), parsed);
  if (error != std::errc())
    return syntax_error(t.pos, fmt::format("integer {} is too large; the largest is {}", t.text,
                                           std::numeric_limits<int64_t>::max()));
  return make_literal(t.pos, parsed);
}

absl::StatusOr<expr> parse_decimal(token_cursor& in) {
  const token& t = in.next();
  double parsed = 0;
  auto [end, error] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), parsed);
  if (error != std::errc())
    return syntax_error(t.pos, fmt::format("number {} is out of the range of a DOUBLE", t.text));
  return make_literal(t.pos, parsed);
}

// `name(` already read. count(*) is the only call that takes `*`. Messages are formatted only
// on error, here and below, to keep the frames of the recursion small.
absl::StatusOr<expr> parse_call(token_cursor& in, const token& name) {
  expr call = make_node(expr::kind::call, name.pos, name.text);
  if (in.accept_symbol(")")) return call;
  if (in.at_symbol("*") && equals_ignore_case(name.text, "count")) {
    call.args.push_back(make_node(expr::kind::star, in.next().pos, "*"));
    if (!in.accept_symbol(")")) return in.unexpected(fmt::format("')' after {}(*", name.text));
    return call;
  }
  if (in.at_keyword("DISTINCT"))
    return syntax_error(in.peek().pos, fmt::format("{}(DISTINCT ...) is not supported yet",
                                                   name.text));
  while (true) {
    SLUICE_ASSIGN_OR_RETURN(auto arg, parse_expr(in));
    call.args.push_back(std::move(arg));
    if (in.accept_symbol(")")) return call;
    if (!in.accept_symbol(","))
      return in.unexpected(fmt::format("',' or ')' after an argument of {}", name.text));
  }
}

// A column (possibly qualified: window.start) or a function call.
absl::StatusOr<expr> parse_name_or_call(token_cursor& in) {
  const token& first = in.next();
  if (in.accept_symbol("(")) return parse_call(in, first);
  expr column = make_node(expr::kind::column, first.pos, first.text);
  while (in.accept_symbol(".")) {
    auto kind = in.peek().kind;
    if (kind != token_kind::identifier && kind != token_kind::quoted_identifier)
      return in.unexpected(fmt::format("a name after '{}.'", column.name));
    column.name += "." + in.next().text;
  }
  return column;
}

// CAST(expr AS type); CAST and '(' still to be read.
absl::StatusOr<expr> parse_cast(token_cursor& in) {
  expr cast = make_node(expr::kind::cast, in.next().pos, "");
  in.next();
  SLUICE_ASSIGN_OR_RETURN(auto operand, parse_expr(in));
  cast.args.push_back(std::move(operand));
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("AS", "in CAST(... AS type)"));
  SLUICE_ASSIGN_OR_RETURN(cast.type_name, in.expect_name("a type name after AS in CAST"));
  if (!in.accept_symbol(")"))
    return in.unexpected(fmt::format("')' after the type in CAST(... AS {}", cast.type_name));
  return cast;
}

// TIMESTAMP 'yyyy-MM-dd HH:mm:ss': a CAST of the string to TIMESTAMP, marked so that the text is
// read when compiling and must be a time.
expr parse_timestamp_literal(token_cursor& in) {
  expr cast = make_node(expr::kind::cast, in.next().pos, "TIMESTAMP");
  const token& text = in.next();
  cast.args.push_back(make_literal(text.pos, text.text));
  cast.type_name = "TIMESTAMP";
  return cast;
}

// INTERVAL 'n' UNIT or INTERVAL n UNIT (Flink's and StarRocks' durations): the string literal
// "n UNIT", as window() takes it.
absl::StatusOr<expr> parse_interval(token_cursor& in) {
  const position pos = in.next().pos;
  std::string amount = in.next().text;
  if (in.peek().kind != token_kind::identifier)
    return in.unexpected(fmt::format("a unit (SECOND, MINUTE, HOUR, DAY) after INTERVAL '{}'", amount));
  return make_literal(pos, amount + " " + in.next().text);
}

absl::Status unclosed(const token_cursor& in, position open) {
  return in.unexpected(
      fmt::format("')' to close the '(' at line {}, column {}", open.line, open.column));
}

// ( expr ): the expression takes the position of its '(', its first token.
absl::StatusOr<expr> parse_parenthesized(token_cursor& in) {
  const position open = in.next().pos;
  absl::StatusOr<expr> inner = parse_expr(in);
  if (!inner.ok()) return inner;
  if (!in.accept_symbol(")")) return unclosed(in, open);
  inner->pos = open;
  return inner;
}

// A bare identifier: TRUE, FALSE, NULL, CAST(...), INTERVAL ..., TIMESTAMP '...', LOCALTIMESTAMP,
// or a name. Other keywords are names too (window, timestamp, count, end), except the reserved
// clause keywords.
absl::StatusOr<expr> parse_identifier_primary(token_cursor& in) {
  const position pos = in.peek().pos;
  if (in.accept_keyword("TRUE")) return make_literal(pos, true);
  if (in.accept_keyword("FALSE")) return make_literal(pos, false);
  if (in.accept_keyword("NULL")) return make_literal(pos, value{});
  if (in.at_keyword("CAST") && in.at_symbol("(", 1)) return parse_cast(in);
  if (in.at_keyword("INTERVAL") &&
      (in.peek(1).kind == token_kind::string || in.peek(1).kind == token_kind::integer))
    return parse_interval(in);
  if (in.at_keyword("TIMESTAMP") && in.peek(1).kind == token_kind::string)
    return parse_timestamp_literal(in);
  // The SQL standard's niladic functions, written without parentheses.
  if ((in.at_keyword("LOCALTIMESTAMP") || in.at_keyword("CURRENT_TIMESTAMP")) && !in.at_symbol("(", 1))
    return make_node(expr::kind::call, pos, in.next().text);
  if (is_reserved(in.peek())) return in.unexpected("an expression");
  return parse_name_or_call(in);
}

absl::StatusOr<expr> parse_primary(token_cursor& in) {
  const token& t = in.peek();
  switch (t.kind) {
    case token_kind::integer: return parse_integer(in);
    case token_kind::decimal: return parse_decimal(in);
    case token_kind::string: return make_literal(t.pos, in.next().text);
    case token_kind::identifier: return parse_identifier_primary(in);
    case token_kind::quoted_identifier: return parse_name_or_call(in);
    case token_kind::symbol:
      if (t.text == "(") return parse_parenthesized(in);
      if (t.text == "*")
        return syntax_error(t.pos, "'*' is accepted only as in count(*); name the columns");
      break;
    case token_kind::end: break;
  }
  return in.unexpected("an expression");
}

// A run of prefix operators (`- - x`, `NOT NOT a`) is read in a loop, not by recursion.
absl::StatusOr<expr> parse_prefixed(token_cursor& in, std::string_view op,
                                    absl::StatusOr<expr> (*operand)(token_cursor&)) {
  const auto depth = in.depth();
  std::vector<position> at;
  while (in.at_keyword(op) || in.at_symbol(op)) {
    SLUICE_RETURN_IF_ERROR(go_deeper(in));
    at.push_back(in.next().pos);
  }
  absl::StatusOr<expr> operand_expr = operand(in);
  if (!operand_expr.ok()) return operand_expr;
  for (auto pos = at.rbegin(); pos != at.rend(); ++pos) apply_operator(*operand_expr, *pos, op);
  in.depth() = depth;
  return operand_expr;
}

// An operand of the binary operators binding at least as tightly as `min_precedence`.
absl::StatusOr<expr> parse_operand(token_cursor& in, int min_precedence) {
  if (min_precedence <= not_level && in.at_keyword("NOT"))
    return parse_prefixed(in, "NOT",
                          [](token_cursor& c) { return parse_binary(c, comparison); });
  return parse_prefixed(in, "-", parse_primary);
}

// operand (op operand)* over the operators binding at least as tightly as `min_precedence`,
// grouping to the left; each operator makes the tree one level deeper.
absl::StatusOr<expr> parse_binary(token_cursor& in, int min_precedence) {
  const auto depth = in.depth();
  absl::StatusOr<expr> left = parse_operand(in, min_precedence);
  if (!left.ok()) return left;
  for (auto* op = at_binary_operator(in); op && op->precedence >= min_precedence;
       op = at_binary_operator(in)) {
    in.next();
    SLUICE_RETURN_IF_ERROR(go_deeper(in));
    absl::StatusOr<expr> right = parse_binary(in, op->precedence + 1);
    if (!right.ok()) return right;
    apply_operator(*left, left->pos, op->name, &*right);
  }
  in.depth() = depth;
  return left;
}

// ----- Queries

// item [AS alias], ... FROM: reads through FROM.
absl::StatusOr<std::vector<select_item>> parse_select_items(token_cursor& in) {
  std::vector<select_item> items;
  while (true) {
    select_item item;
    SLUICE_ASSIGN_OR_RETURN(item.value, parse_expr(in));
    if (in.accept_keyword("AS")) {
      if (is_reserved(in.peek())) return in.unexpected("an alias after AS");
      SLUICE_ASSIGN_OR_RETURN(item.alias, in.expect_name("an alias after AS"));
    }
    items.push_back(std::move(item));
    if (in.accept_symbol(",")) continue;
    if (in.accept_keyword("FROM")) return items;
    const auto& alias = items.back().alias;
    return in.unexpected(alias.empty() ? std::string("AS, ',' or FROM after a select item")
                                       : fmt::format("',' or FROM after alias '{}'", alias));
  }
}

absl::StatusOr<std::vector<expr>> parse_group_by(token_cursor& in) {
  std::vector<expr> keys;
  do {
    SLUICE_ASSIGN_OR_RETURN(auto key, parse_expr(in));
    keys.push_back(std::move(key));
  } while (in.accept_symbol(","));
  return keys;
}

absl::StatusOr<std::vector<order_item>> parse_order_by(token_cursor& in) {
  std::vector<order_item> items;
  do {
    order_item item;
    SLUICE_ASSIGN_OR_RETURN(item.value, parse_expr(in));
    if (in.accept_keyword("DESC")) item.descending = true;
    else in.accept_keyword("ASC");
    items.push_back(std::move(item));
  } while (in.accept_symbol(","));
  return items;
}

absl::StatusOr<uint64_t> parse_limit(token_cursor& in) {
  const token& t = in.peek();
  uint64_t limit = 0;
  if (t.kind == token_kind::integer) {
    auto [end, error] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), limit);
    if (error == std::errc()) {
      in.next();
      return limit;
    }
  }
  return in.unexpected("a row count (0 or more) after LIMIT");
}

// A table's alias: [AS] name, unless the next word starts a clause or a join.
std::string parse_table_alias(token_cursor& in) {
  const token& t = in.peek();
  bool as = in.at_keyword("AS");
  const token& name = as ? in.peek(1) : t;
  if (name.kind != token_kind::identifier && name.kind != token_kind::quoted_identifier) return "";
  if (name.kind == token_kind::identifier) {
    if (is_reserved(name)) return "";
    for (std::string_view word : {"JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS", "ON", "HAVING",
                                  "ORDER", "LIMIT", "UNION", "OUTER", "SORT", "CLUSTER", "DISTRIBUTE", "NATURAL", "USING"})
      if (equals_ignore_case(name.text, word)) return "";
  }
  if (as) in.next();
  return in.next().text;
}

// [INNER | LEFT [OUTER]] JOIN table [alias] ON condition, if the next word starts one.
absl::StatusOr<std::optional<join_clause>> parse_join(token_cursor& in) {
  join_clause join;
  join.pos = in.peek().pos;
  for (std::string_view other : {"RIGHT", "FULL", "CROSS"})
    if (in.at_keyword(other))
      return syntax_error(join.pos, fmt::format("{} JOIN is not supported; Sluice joins with "
                                                "JOIN (inner) and LEFT JOIN",
                                                other));
  if (in.accept_keyword("LEFT")) {
    join.what = join_clause::kind::left;
    in.accept_keyword("OUTER");
    SLUICE_RETURN_IF_ERROR(in.expect_keyword("JOIN", "after LEFT"));
  } else if (in.accept_keyword("INNER")) {
    SLUICE_RETURN_IF_ERROR(in.expect_keyword("JOIN", "after INNER"));
  } else if (!in.accept_keyword("JOIN")) {
    return std::nullopt;
  }
  join.table_pos = in.peek().pos;
  SLUICE_ASSIGN_OR_RETURN(join.table, parse_table_name(in, "a table or scan name after JOIN"));
  join.alias = parse_table_alias(in);
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("ON", "and the join condition after the joined table"));
  SLUICE_ASSIGN_OR_RETURN(join.on, parse_expr(in));
  return join;
}

// The clauses after FROM name, each optional, in this order.
absl::Status parse_query_clauses(token_cursor& in, select_query& query) {
  std::string_view accepted =
      "WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, ';' or end of input after the FROM table";
  if (in.accept_keyword("WHERE")) {
    SLUICE_ASSIGN_OR_RETURN(query.where, parse_expr(in));
    accepted = "GROUP BY, HAVING, ORDER BY, LIMIT, ';' or end of input after the WHERE condition";
  }
  if (in.accept_keyword("GROUP")) {
    SLUICE_RETURN_IF_ERROR(in.expect_keyword("BY", "after GROUP"));
    SLUICE_ASSIGN_OR_RETURN(query.group_by, parse_group_by(in));
    accepted = "',', HAVING, ORDER BY, LIMIT, ';' or end of input after a GROUP BY expression";
  }
  if (in.accept_keyword("HAVING")) {
    SLUICE_ASSIGN_OR_RETURN(query.having, parse_expr(in));
    accepted = "ORDER BY, LIMIT, ';' or end of input after the HAVING condition";
  }
  if (in.accept_keyword("ORDER")) {
    SLUICE_RETURN_IF_ERROR(in.expect_keyword("BY", "after ORDER"));
    SLUICE_ASSIGN_OR_RETURN(query.order_by, parse_order_by(in));
    accepted = "',', ASC, DESC, LIMIT, ';' or end of input after an ORDER BY expression";
  }
  if (in.accept_keyword("LIMIT")) {
    SLUICE_ASSIGN_OR_RETURN(query.limit, parse_limit(in));
    accepted = "';' or end of input after LIMIT";
  }
  if (!in.at_statement_end()) {
    for (std::string_view join : {"JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS"})
      if (in.at_keyword(join))
        return syntax_error(in.peek().pos, query.join ? "a query joins two tables; join the "
                                                        "result of this one in another job"
                                                      : "a join comes right after the FROM table");
    if (in.at_keyword("UNION"))
      return syntax_error(in.peek().pos, "UNION is not supported yet; run the queries one by one");
    return in.unexpected(accepted);
  }
  return absl::OkStatus();
}

// SELECT * | item [AS alias], ... FROM name [WHERE expr] [GROUP BY expr, ...] [HAVING expr]
// [ORDER BY expr [ASC|DESC], ...] [LIMIT n]; `context` says what precedes SELECT, for the error
// when it is missing.
absl::StatusOr<select_query> parse_select(token_cursor& in, std::string_view context) {
  select_query query;
  query.pos = in.peek().pos;
  SLUICE_RETURN_IF_ERROR(in.expect_keyword("SELECT", context));
  if (in.at_keyword("DISTINCT"))
    return syntax_error(in.peek().pos, "SELECT DISTINCT is not supported yet; GROUP BY the "
                                       "selected columns instead");
  if (in.at_symbol("*") && in.at_keyword("FROM", 1)) {
    in.next();
    in.next();
    query.star = true;
  } else {
    SLUICE_ASSIGN_OR_RETURN(query.items, parse_select_items(in));
  }
  query.from_pos = in.peek().pos;
  SLUICE_ASSIGN_OR_RETURN(query.from, parse_table_name(in, "a table or scan name after FROM"));
  query.from_alias = parse_table_alias(in);
  SLUICE_ASSIGN_OR_RETURN(query.join, parse_join(in));
  SLUICE_RETURN_IF_ERROR(parse_query_clauses(in, query));
  return query;
}

struct insert_target {
  std::string sink;
  position pos;
  bool overwrite = false;
};

// INSERT INTO|OVERWRITE [TABLE] sink, INSERT still to be read.
absl::StatusOr<insert_target> parse_insert_into(token_cursor& in) {
  in.next();
  insert_target target;
  if (in.accept_keyword("OVERWRITE")) target.overwrite = true;
  else SLUICE_RETURN_IF_ERROR(in.expect_keyword("INTO", "or OVERWRITE after INSERT"));
  auto after_table = in.peek(1).kind;
  if (in.at_keyword("TABLE") && !in.at_keyword("SELECT", 1) &&
      (after_table == token_kind::identifier || after_table == token_kind::quoted_identifier))
    in.next();
  target.pos = in.peek().pos;
  SLUICE_ASSIGN_OR_RETURN(target.sink, parse_table_name(in, "a sink table name after INSERT INTO"));
  return target;
}

absl::StatusOr<insert_select> parse_insert_select(token_cursor& in) {
  insert_select insert;
  insert.pos = in.peek().pos;
  SLUICE_ASSIGN_OR_RETURN(auto target, parse_insert_into(in));
  insert.sink = std::move(target.sink);
  insert.overwrite = target.overwrite;
  SLUICE_ASSIGN_OR_RETURN(insert.query,
                          parse_select(in, fmt::format("after sink table '{}'", insert.sink)));
  return insert;
}

// CREATE STREAM name [OPTIONS(...)] INSERT INTO sink SELECT ...
absl::StatusOr<create_stream> parse_create_stream(token_cursor& in, position pos) {
  create_stream stream;
  stream.pos = pos;
  SLUICE_ASSIGN_OR_RETURN(stream.name, in.expect_name("a stream name after CREATE STREAM"));
  if (in.accept_keyword("OPTIONS")) {
    SLUICE_ASSIGN_OR_RETURN(stream.options, parse_option_list(in));
    if (!in.at_keyword("INSERT")) return in.unexpected("INSERT INTO after OPTIONS(...)");
  } else if (!in.at_keyword("INSERT")) {
    return in.unexpected(fmt::format("OPTIONS or INSERT INTO after stream name '{}'", stream.name));
  }
  const position insert_pos = in.peek().pos;
  SLUICE_ASSIGN_OR_RETURN(auto target, parse_insert_into(in));
  if (target.overwrite)
    return syntax_error(insert_pos, "a stream cannot INSERT OVERWRITE, which replaces a table with "
                                    "a batch result; write INSERT INTO");
  stream.sink = std::move(target.sink);
  stream.sink_pos = target.pos;
  SLUICE_ASSIGN_OR_RETURN(stream.query,
                          parse_select(in, fmt::format("after sink table '{}'", stream.sink)));
  return stream;
}

absl::StatusOr<statement> parse_create(token_cursor& in, position pos) {
  if (in.accept_keyword("TABLE")) return parse_create_table(in, pos);
  if (in.accept_keyword("SCAN")) return parse_create_scan(in, pos);
  if (in.accept_keyword("STREAM")) return parse_create_stream(in, pos);
  if (in.accept_keyword("TUNNEL")) return parse_create_tunnel(in, pos);
  if (in.accept_keyword("DATABASE")) return parse_create_database(in, pos);
  return in.unexpected("TABLE, SCAN, STREAM, TUNNEL or DATABASE after CREATE");
}

absl::StatusOr<statement> parse_statement(token_cursor& in) {
  const token first = in.peek();
  if (in.accept_keyword("CREATE")) return parse_create(in, first.pos);
  if (in.accept_keyword("DROP")) {
    if (in.accept_keyword("TABLE")) return parse_drop_table(in, first.pos);
    if (in.accept_keyword("TUNNEL")) return parse_drop_tunnel(in, first.pos);
    return in.unexpected("TABLE or TUNNEL after DROP");
  }
  if (in.at_keyword("INSERT")) return parse_insert_select(in);
  if (in.at_keyword("SELECT")) {
    SLUICE_ASSIGN_OR_RETURN(auto query, parse_select(in, ""));
    return select_statement{first.pos, std::move(query)};
  }
  return syntax_error(first.pos, fmt::format("unknown statement {}; accepted: CREATE TABLE, "
                                             "CREATE SCAN, CREATE STREAM, CREATE TUNNEL, CREATE "
                                             "DATABASE, DROP "
                                             "TABLE, DROP TUNNEL, INSERT INTO, INSERT OVERWRITE, "
                                             "SELECT",
                                             describe(first)));
}

}  // namespace

absl::StatusOr<std::vector<statement>> parse_script(std::string_view text) {
  SLUICE_ASSIGN_OR_RETURN(auto tokens, tokenize(text));
  token_cursor in(std::move(tokens));
  std::vector<statement> statements;
  // Flink's BEGIN STATEMENT SET; INSERT ...; ... END; submits its INSERTs together; here every
  // INSERT is a job of its own anyway, so the set holds INSERTs and changes nothing else.
  std::optional<position> statement_set;
  while (true) {
    while (in.accept_symbol(";")) {
    }
    if (in.at_end()) {
      if (statement_set)
        return syntax_error(*statement_set, "BEGIN STATEMENT SET has no END");
      return statements;
    }
    if (in.at_keyword("BEGIN")) {
      const position at = in.peek().pos;
      in.next();
      SLUICE_RETURN_IF_ERROR(in.expect_keyword("STATEMENT", "after BEGIN"));
      SLUICE_RETURN_IF_ERROR(in.expect_keyword("SET", "after BEGIN STATEMENT"));
      if (statement_set) return syntax_error(at, "statement sets do not nest");
      statement_set = at;
      continue;
    }
    if (statement_set && in.accept_keyword("END")) {
      statement_set.reset();
      continue;
    }
    if (statement_set && !in.at_keyword("INSERT"))
      return in.unexpected("INSERT INTO or END in a statement set");
    SLUICE_ASSIGN_OR_RETURN(auto parsed, parse_statement(in));
    statements.push_back(std::move(parsed));
    if (!in.at_end()) SLUICE_RETURN_IF_ERROR(in.expect_symbol(";", "or end of input"));
  }
}

}  // namespace sluice::sql

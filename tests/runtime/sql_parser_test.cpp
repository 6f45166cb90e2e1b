// SQL lexer and DDL parser: accepted scripts, the AST they produce, and the exact position and
// wording of each kind of error.
#include <doctest/doctest.h>

#include <string>

#include "runtime/sql/lexer.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::sql {
namespace {

std::vector<statement> parse_ok(std::string_view text) {
  auto parsed = parse_script(text);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::string parse_error(std::string_view text) {
  auto parsed = parse_script(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(absl::IsInvalidArgument(parsed.status()));
  return std::string(parsed.status().message());
}

std::string tokenize_error(std::string_view text) {
  auto tokens = tokenize(text);
  REQUIRE_FALSE(tokens.ok());
  CHECK(absl::IsInvalidArgument(tokens.status()));
  return std::string(tokens.status().message());
}

template <typename Statement>
Statement only(std::string_view text) {
  auto statements = parse_ok(text);
  REQUIRE(statements.size() == 1);
  REQUIRE(std::holds_alternative<Statement>(statements[0]));
  return std::get<Statement>(statements[0]);
}

bool same_columns(const std::vector<column_def>& a, const std::vector<column_def>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.name == y.name && x.type == y.type;
  });
}

TEST_CASE("the lexer gives each token its kind, text, line and column") {
  auto tokens = tokenize("SELECT a.b,\n  `x``y` <= 3.25 -- note\n/* block\n */ 'it''s' <> 7%");
  REQUIRE(tokens.ok());
  struct expected {
    token_kind kind;
    std::string text;
    int line;
    int column;
  };
  std::vector<expected> want = {
      {token_kind::identifier, "SELECT", 1, 1},  {token_kind::identifier, "a", 1, 8},
      {token_kind::symbol, ".", 1, 9},           {token_kind::identifier, "b", 1, 10},
      {token_kind::symbol, ",", 1, 11},          {token_kind::quoted_identifier, "x`y", 2, 3},
      {token_kind::symbol, "<=", 2, 10},         {token_kind::decimal, "3.25", 2, 13},
      {token_kind::string, "it's", 4, 5},        {token_kind::symbol, "<>", 4, 13},
      {token_kind::integer, "7", 4, 16},         {token_kind::symbol, "%", 4, 17},
      {token_kind::end, "", 4, 18},
  };
  REQUIRE(tokens->size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("token ", i);
    CHECK((*tokens)[i].kind == want[i].kind);
    CHECK((*tokens)[i].text == want[i].text);
    CHECK((*tokens)[i].pos.line == want[i].line);
    CHECK((*tokens)[i].pos.column == want[i].column);
  }
}

TEST_CASE("the lexer resolves escapes in single- and double-quoted strings") {
  auto tokens = tokenize(R"('a\nb\tc\\d\'e\"f' "say ""hi"" 'there'" '{"columns": {}}')");
  REQUIRE(tokens.ok());
  REQUIRE(tokens->size() == 4);
  CHECK((*tokens)[0].text == "a\nb\tc\\d'e\"f");
  CHECK((*tokens)[1].text == "say \"hi\" 'there'");
  CHECK((*tokens)[2].text == R"({"columns": {}})");
}

TEST_CASE("columns count characters, not bytes") {
  auto tokens = tokenize("'prix €' x");
  REQUIRE(tokens.ok());
  CHECK((*tokens)[1].pos.column == 10);
}

TEST_CASE("the lexer names where an unterminated or malformed token starts") {
  CHECK(tokenize_error("x = 'abc") == "line 1, column 5: unterminated string; close it with '");
  CHECK(tokenize_error("a\n  \"abc\\\"") ==
        "line 2, column 3: unterminated string; close it with \"");
  CHECK(tokenize_error("a /* b\n c") == "line 1, column 3: unterminated comment; close it with */");
  CHECK(tokenize_error("\n `abc") == "line 2, column 2: unterminated quoted name; close it with `");
  CHECK(tokenize_error("``") == "line 1, column 1: empty quoted name ``");
  CHECK(tokenize_error("'a\\qb'") ==
        "line 1, column 3: unknown escape \\q in string; accepted: \\n \\t \\\\ \\' \\\" (or double "
        "the quote)");
  CHECK(tokenize_error("a # b") == "line 1, column 3: unexpected character '#'");
  CHECK(tokenize_error("x 12ab") ==
        "line 1, column 3: '12ab' is neither a number nor a name; a name starts with a letter or "
        "'_', or is put in backticks");
}

TEST_CASE("the seed source table") {
  auto table = only<create_table>(
      "CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT, "
      "PRIMARY KEY (UserId, OrderId)) WITH (channels = 8)");
  CHECK(table.name == "OrderSource");
  CHECK_FALSE(table.if_not_exists);
  CHECK(same_columns(table.columns, {{"UserId", column_type::string},
                                     {"OrderId", column_type::string},
                                     {"price", column_type::double_},
                                     {"timestamp", column_type::bigint}}));
  CHECK(table.primary_key == std::vector<std::string>{"UserId", "OrderId"});
  CHECK(table.channels == 8);
  CHECK(table.pos.line == 1);
  CHECK(table.pos.column == 1);
}

TEST_CASE("the seed sink table: keyword-like column names, no WITH") {
  auto table = only<create_table>(
      "CREATE TABLE IF NOT EXISTS OrderStreamSink (begin STRING, end STRING, count BIGINT, "
      "totalPrice DOUBLE, PRIMARY KEY (begin, end))");
  CHECK(table.name == "OrderStreamSink");
  CHECK(table.if_not_exists);
  CHECK(same_columns(table.columns, {{"begin", column_type::string},
                                     {"end", column_type::string},
                                     {"count", column_type::bigint},
                                     {"totalPrice", column_type::double_}}));
  CHECK(table.primary_key == std::vector<std::string>{"begin", "end"});
  CHECK(table.channels == table_schema::default_channels);
}

TEST_CASE("keywords match in any case, names keep theirs, types have aliases") {
  auto table = only<create_table>(
      "create Table if not exists MyT (Id int primary key, `Full Name` varchar(64), "
      "`we``ird` Text, n Long, f float, ok bool, b Boolean, i INTEGER) with (CHANNELS = 3)");
  CHECK(table.name == "MyT");
  CHECK(table.if_not_exists);
  CHECK(same_columns(table.columns, {{"Id", column_type::bigint},
                                     {"Full Name", column_type::string},
                                     {"we`ird", column_type::string},
                                     {"n", column_type::bigint},
                                     {"f", column_type::double_},
                                     {"ok", column_type::boolean},
                                     {"b", column_type::boolean},
                                     {"i", column_type::bigint}}));
  CHECK(table.primary_key == std::vector<std::string>{"Id"});
  CHECK(table.channels == 3);
}

TEST_CASE("the table-level key may come anywhere in the list; a backticked keyword is a name") {
  auto table = only<create_table>("CREATE TABLE t (PRIMARY KEY (`primary`), `primary` STRING)");
  CHECK(table.primary_key == std::vector<std::string>{"primary"});
  CHECK(table.columns.size() == 1);
}

TEST_CASE("several statements, comments and empty statements") {
  auto statements = parse_ok(
      "-- set up\n"
      ";;CREATE TABLE t (a STRING PRIMARY KEY); /* the tunnel */\n"
      "CREATE TUNNEL IF NOT EXISTS tn ON t TYPE base_and_stream;\n"
      "  create tunnel s on t;\n"
      "DROP TUNNEL IF EXISTS tn ON t;\n"
      "drop table if exists `t`;;");
  REQUIRE(statements.size() == 5);
  CHECK(std::get<create_table>(statements[0]).pos.line == 2);
  CHECK(std::get<create_table>(statements[0]).pos.column == 3);

  auto tunnel = std::get<create_tunnel>(statements[1]);
  CHECK(tunnel.name == "tn");
  CHECK(tunnel.table == "t");
  CHECK(tunnel.if_not_exists);
  CHECK(tunnel.type == tunnel_type::base_and_stream);
  CHECK(tunnel.pos.line == 3);

  auto plain = std::get<create_tunnel>(statements[2]);
  CHECK(plain.type == tunnel_type::stream);
  CHECK_FALSE(plain.if_not_exists);
  CHECK(plain.pos.column == 3);

  auto drop = std::get<drop_tunnel>(statements[3]);
  CHECK(drop.name == "tn");
  CHECK(drop.table == "t");
  CHECK(drop.if_exists);

  auto drop_t = std::get<drop_table>(statements[4]);
  CHECK(drop_t.name == "t");
  CHECK(drop_t.if_exists);
}

TEST_CASE("an empty script has no statements; IF is still a usable name") {
  CHECK(parse_ok(" -- nothing\n ; ").empty());
  CHECK(only<drop_table>("DROP TABLE if").name == "if");
  CHECK(only<create_tunnel>("CREATE TUNNEL x ON t TYPE Base").type == tunnel_type::base);
}

TEST_CASE("syntax errors say where, what was expected and what was found") {
  CHECK(parse_error("CREATE TABEL t (a STRING)") ==
        "line 1, column 8: expected TABLE or TUNNEL after CREATE, found 'TABEL'");
  CHECK(parse_error("DROP t") == "line 1, column 6: expected TABLE or TUNNEL after DROP, found 't'");
  CHECK(parse_error("CREATE TABLE t (\n  a STRING,\n  price DOUBLE NOT NULL)") ==
        "line 3, column 16: expected ',' or ')' after column 'price', found 'NOT'");
  CHECK(parse_error("CREATE TABLE t (a STRING") ==
        "line 1, column 25: expected ',' or ')' after column 'a', found end of input");
  CHECK(parse_error("CREATE TABLE t (a, b STRING)") ==
        "line 1, column 18: expected a type for column 'a', found ','");
  CHECK(parse_error("CREATE TABLE (a STRING)") ==
        "line 1, column 14: expected a table name after CREATE TABLE, found '('");
  CHECK(parse_error("CREATE TABLE t ()") ==
        "line 1, column 17: expected a column name or PRIMARY KEY, found ')'");
  CHECK(parse_error("CREATE TABLE t (a STRING, PRIMARY KEY a)") ==
        "line 1, column 39: expected '(' after PRIMARY KEY, found 'a'");
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY a)") ==
        "line 1, column 34: expected KEY after PRIMARY, found 'a'");
  CHECK(parse_error("CREATE TABLE t (a STRING, PRIMARY KEY (a b))") ==
        "line 1, column 42: expected ',' or ')' after key column 'a', found 'b'");
  CHECK(parse_error("CREATE TABLE t (a VARCHAR(0))") ==
        "line 1, column 27: expected a positive integer as the length in VARCHAR(n), found '0'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WTIH (channels = 8)") ==
        "line 1, column 27: expected WITH, ';' or end of input after the column list, found "
        "'WTIH'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 8) x") ==
        "line 1, column 47: expected ';' or end of input, found 'x'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 'x')") ==
        "line 1, column 44: expected a positive integer for channels, found string 'x'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 99999999999)") ==
        "line 1, column 44: 99999999999 is too large for channels");
  CHECK(parse_error("CREATE TUNNEL x t") ==
        "line 1, column 17: expected ON after tunnel name 'x', found 't'");
  CHECK(parse_error("CREATE TUNNEL x ON t TYPE STREEM") ==
        "line 1, column 27: expected STREAM, BASE or BASE_AND_STREAM after TYPE, found 'STREEM'");
  CHECK(parse_error("CREATE TUNNEL x ON t KIND STREAM") ==
        "line 1, column 22: expected TYPE, ';' or end of input after the table name, found "
        "'KIND'");
  CHECK(parse_error("DROP TUNNEL x ON") ==
        "line 1, column 17: expected a table name after ON, found end of input");
  CHECK(parse_error("CREATE TABLE IF NOT t (a STRING)") ==
        "line 1, column 21: expected EXISTS after IF NOT, found 't'");
}

TEST_CASE("an unknown type names the column and the accepted types") {
  CHECK(parse_error("CREATE TABLE t (\n  price DECIMAL)") ==
        "line 2, column 9: unknown type 'DECIMAL' for column 'price'; accepted: STRING, BIGINT, "
        "DOUBLE, BOOLEAN");
}

TEST_CASE("the primary key is declared once") {
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY KEY, b STRING, PRIMARY KEY (a, b))") ==
        "line 1, column 49: PRIMARY KEY is declared twice (first on column 'a'); declare a key of "
        "one or more columns once, as PRIMARY KEY (a, b, ...)");
  CHECK(parse_error("CREATE TABLE t (PRIMARY KEY (a), a STRING PRIMARY KEY)") ==
        "line 1, column 43: PRIMARY KEY is declared twice (first as PRIMARY KEY at line 1, column "
        "17); declare a key of one or more columns once, as PRIMARY KEY (a, b, ...)");
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY KEY, b STRING PRIMARY KEY)") ==
        "line 1, column 48: PRIMARY KEY is declared twice (first on column 'a'); declare a key of "
        "one or more columns once, as PRIMARY KEY (a, b, ...)");
}

TEST_CASE("WITH accepts only known options, each once") {
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 2, parallelism = 4)") ==
        "line 1, column 47: unknown option 'parallelism' in WITH; accepted: channels");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 2, channels = 4)") ==
        "line 1, column 47: option 'channels' is given twice in WITH");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 0)") ==
        "line 1, column 44: expected a positive integer for channels, found '0'");
}

TEST_CASE("an unknown statement lists the accepted ones") {
  CHECK(parse_error("DROP TABLE a;\n\n    SELECT * FROM a") ==
        "line 3, column 5: unknown statement 'SELECT'; accepted: CREATE TABLE, DROP TABLE, "
        "CREATE TUNNEL, DROP TUNNEL");
}

TEST_CASE("an error anywhere rejects the whole script, lexer errors included") {
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY KEY);\nDROP TABLE 'oops") ==
        "line 2, column 12: unterminated string; close it with '");
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY KEY);\nDROP TABLE 'oops'") ==
        "line 2, column 12: expected a table name after DROP TABLE, found string 'oops'");
}

}  // namespace
}  // namespace sluice::sql

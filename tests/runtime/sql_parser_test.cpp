// SQL lexer and parser: accepted scripts (the DDL and the seeds' streaming statements), the AST
// they produce, and the exact position and wording of each kind of error.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "runtime/sql/lexer.hpp"
#include "runtime/sql/parser.hpp"
#include "tests/support/orders.hpp"

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

// An expression in one line: columns and calls as written, operators prefix in parentheses,
// literals as NULL, TRUE, 42, 2.5, 'text'. E.g. sum((* (- a b) c)).
std::string show(const expr& e);

std::string show_literal(const value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (auto* b = std::get_if<bool>(&v)) return *b ? "TRUE" : "FALSE";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return (std::ostringstream() << *d).str();
  return "'" + std::get<std::string>(v) + "'";
}

std::string show_list(const std::vector<expr>& args, std::string_view separator) {
  std::string out;
  for (const auto& arg : args) out += (out.empty() ? "" : std::string(separator)) + show(arg);
  return out;
}

std::string show(const expr& e) {
  switch (e.what) {
    case expr::kind::column: return e.name;
    case expr::kind::literal: return show_literal(e.literal);
    case expr::kind::star: return "*";
    case expr::kind::call: return e.name + "(" + show_list(e.args, ", ") + ")";
    case expr::kind::cast: return "CAST(" + show_list(e.args, ", ") + " AS " + e.type_name + ")";
    case expr::kind::unary:
    case expr::kind::binary: break;
  }
  return "(" + e.name + " " + show_list(e.args, " ") + ")";
}

// The select list as "shape AS alias" (or just the shape without an alias).
std::vector<std::string> show_items(const select_query& query) {
  std::vector<std::string> items;
  for (const auto& item : query.items)
    items.push_back(show(item.value) + (item.alias.empty() ? "" : " AS " + item.alias));
  return items;
}

std::vector<std::string> show_group_by(const select_query& query) {
  std::vector<std::string> keys;
  for (const auto& key : query.group_by) keys.push_back(show(key));
  return keys;
}

// The expression of `SELECT <text> FROM t`.
expr parse_expr(std::string_view text) {
  auto insert = only<insert_select>("INSERT INTO s SELECT " + std::string(text) + " FROM t");
  REQUIRE(insert.query.items.size() == 1);
  return insert.query.items[0].value;
}

std::string shape(std::string_view text) { return show(parse_expr(text)); }

using options_list = std::vector<std::pair<std::string, std::string>>;

options_list key_values(const std::vector<option>& options) {
  options_list out;
  for (const auto& o : options) out.emplace_back(o.key, o.value);
  return out;
}

bool at(position pos, int line, int column) { return pos.line == line && pos.column == column; }

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

TEST_CASE("the table-level key may come anywhere in the list, a backticked keyword is a name") {
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

TEST_CASE("an empty script has no statements, IF is still a usable name") {
  CHECK(parse_ok(" -- nothing\n ; ").empty());
  CHECK(only<drop_table>("DROP TABLE if").name == "if");
  CHECK(only<create_tunnel>("CREATE TUNNEL x ON t TYPE Base").type == tunnel_type::base);
}

TEST_CASE("syntax errors say where, what was expected and what was found") {
  CHECK(parse_error("CREATE TABEL t (a STRING)") ==
        "line 1, column 8: expected TABLE, SCAN, STREAM, TUNNEL or DATABASE after CREATE, found 'TABEL'");
  CHECK(parse_error("DROP t") == "line 1, column 6: expected TABLE or TUNNEL after DROP, found 't'");
  CHECK(parse_error("CREATE TABLE t (\n  a STRING,\n  price DOUBLE NOT NULL)") ==
        "line 3, column 16: NOT NULL is not checked by the store (key columns are never NULL, "
        "the others may be); remove it");
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
        "line 1, column 27: expected WITH, ENGINE, PRIMARY KEY, DISTRIBUTED BY, ';' or end of "
        "input after the column list, found "
        "'WTIH'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 8) x") ==
        "line 1, column 47: expected ';' or end of input, found 'x'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 'x')") ==
        "line 1, column 33: channels must be a positive integer of at most 4294967295, not 'x'");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 99999999999)") ==
        "line 1, column 33: channels must be a positive integer of at most 4294967295, not "
        "'99999999999'");
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
        "DOUBLE, BOOLEAN, TIMESTAMP");
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
        "line 1, column 47: unknown option 'parallelism' in WITH; accepted: channels, or a "
        "connector's options (type = 'ots', ...)");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 2, channels = 4)") ==
        "line 1, column 47: option 'channels' is given twice in WITH (first at line 1, column "
        "33); option names match in any case");
  CHECK(parse_error("CREATE TABLE t (a STRING) WITH (channels = 0)") ==
        "line 1, column 33: channels must be a positive integer of at most 4294967295, not '0'");
  CHECK(parse_error("BEGIN STATEMENT SET; INSERT INTO s SELECT a FROM t;") ==
        "line 1, column 1: BEGIN STATEMENT SET has no END");
  CHECK(parse_error("BEGIN STATEMENT SET; CREATE TABLE t (a STRING); END;") ==
        "line 1, column 22: expected INSERT INTO or END in a statement set, found 'CREATE'");
}

TEST_CASE("Flink's statement set, NOT NULL columns and IF NOT EXISTS, as seed 004 writes them") {
  auto statements = parse_ok(
      "CREATE TABLE IF NOT EXISTS `src` (`id` INT NOT NULL, `v` FLOAT NULL, PRIMARY KEY(`id`) NOT "
      "ENFORCED) with ('connector' = 'starrocks', 'table-name' = 'orders');\n"
      "BEGIN STATEMENT SET;\n"
      "INSERT INTO a SELECT id FROM src;\n"
      "INSERT INTO b SELECT id FROM src;\n"
      "END;");
  REQUIRE(statements.size() == 3);
  auto table = std::get<create_connector_table>(statements[0]);
  CHECK(table.if_not_exists);
  CHECK(table.columns.size() == 2);
  CHECK(std::holds_alternative<insert_select>(statements[1]));
  CHECK(std::get<insert_select>(statements[2]).sink == "b");
}

TEST_CASE("an unknown statement lists the accepted ones") {
  CHECK(parse_error("DROP TABLE a;\n\n    UPDATE a SET b = 1") ==
        "line 3, column 5: unknown statement 'UPDATE'; accepted: CREATE TABLE, CREATE SCAN, "
        "CREATE STREAM, CREATE TUNNEL, CREATE DATABASE, DROP TABLE, DROP TUNNEL, INSERT INTO, INSERT OVERWRITE, "
        "SELECT");
}

TEST_CASE("an error anywhere rejects the whole script, lexer errors included") {
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY KEY);\nDROP TABLE 'oops") ==
        "line 2, column 12: unterminated string; close it with '");
  CHECK(parse_error("CREATE TABLE t (a STRING PRIMARY KEY);\nDROP TABLE 'oops'") ==
        "line 2, column 12: expected a table name after DROP TABLE, found string 'oops'");
}

// --- Streaming statements (the seeds)

TEST_CASE("the seed's external table: dotted and quoted keys, both kinds of string") {
  auto table = only<create_external_table>(
      "CREATE TABLE order_source\n"
      "USING tablestore\n"
      "OPTIONS(\n"
      "endpoint=\"http://x.vpc.ots.aliyuncs.com\",\n"
      "access.key.id=\"\",\n"
      "access.key.secret=\"\",\n"
      "instance.name=\"i\",\n"
      "table.name=\"OrderSource\",\n"
      "tunnel.id=\"<tunnel-id>\",\n"
      "catalog='{\"columns\": {\"UserId\": {\"col\": \"UserId\", \"type\": \"string\"}, "
      "\"price\": {\"cols\": \"price\", \"type\": \"double\"}}}'\n"
      ");");
  CHECK(table.name == "order_source");
  CHECK(table.provider == "tablestore");
  CHECK(at(table.pos, 1, 1));
  CHECK(key_values(table.options) ==
        options_list{{"endpoint", "http://x.vpc.ots.aliyuncs.com"},
                     {"access.key.id", ""},
                     {"access.key.secret", ""},
                     {"instance.name", "i"},
                     {"table.name", "OrderSource"},
                     {"tunnel.id", "<tunnel-id>"},
                     {"catalog", R"({"columns": {"UserId": {"col": "UserId", "type": "string"}, )"
                                 R"("price": {"cols": "price", "type": "double"}}})"}});
  CHECK(at(table.options[0].pos, 4, 1));
  CHECK(at(table.options[6].pos, 10, 1));
}

TEST_CASE("CREATE TABLE with '(' is a store table, with USING an external one") {
  CHECK(only<create_table>("CREATE TABLE using (a STRING PRIMARY KEY)").name == "using");
  auto bare = only<create_external_table>("create table Sink using org.example.store");
  CHECK(bare.name == "Sink");
  CHECK(bare.provider == "org.example.store");
  CHECK(bare.options.empty());
  auto values = only<create_external_table>(
      "CREATE TABLE t USING s OPTIONS (n = 10, d = -2.5, mode = update, `q.k` = `A b`.c)");
  CHECK(key_values(values.options) ==
        options_list{{"n", "10"}, {"d", "-2.5"}, {"mode", "update"}, {"q.k", "A b.c"}});
}

TEST_CASE("the seeds' scans: quoted and bare option keys, any case, stream or batch") {
  auto statements = parse_ok(
      "CREATE SCAN ots_table_stream on ots_order_test USING STREAM OPTIONS "
      "(\"maxoffsetsperchannel\"=\"10000\");\n"
      "CREATE SCAN order_source_stream_view ON order_source USING STREAM\n"
      "OPTIONS(\n"
      "tunnel.id=\"4987845a-1321-4d36-9f4e-73d6db63bf0f\", \n"
      "maxoffsetsperchannel=\"10000\");\n"
      "create scan Snapshot on OrderSource using batch");
  REQUIRE(statements.size() == 3);
  auto quoted = std::get<create_scan>(statements[0]);
  CHECK(quoted.name == "ots_table_stream");
  CHECK(quoted.table == "ots_order_test");
  CHECK(quoted.mode == "stream");
  CHECK(key_values(quoted.options) == options_list{{"maxoffsetsperchannel", "10000"}});

  auto dotted = std::get<create_scan>(statements[1]);
  CHECK(at(dotted.pos, 2, 1));
  CHECK(key_values(dotted.options) ==
        options_list{{"tunnel.id", "4987845a-1321-4d36-9f4e-73d6db63bf0f"},
                     {"maxoffsetsperchannel", "10000"}});
  CHECK(at(dotted.options[1].pos, 5, 1));

  auto batch = std::get<create_scan>(statements[2]);
  CHECK(batch.name == "Snapshot");
  CHECK(batch.table == "OrderSource");
  CHECK(batch.mode == "batch");
  CHECK(batch.options.empty());
}

TEST_CASE("the seed's windowed stream job") {
  auto stream = only<create_stream>(
      "CREATE STREAM job1\n"
      "OPTIONS(\n"
      "checkpointLocation='/tmp/spark/cp/job1',\n"
      "outputMode='update'\n"
      ")\n"
      "INSERT INTO order_stream_sink\n"
      "SELECT CAST(window.start AS String) AS begin,\n"
      "CAST(window.end AS String) AS end,\n"
      "count(*) AS count,\n"
      "CAST(sum(price) AS Double) AS totalPrice\n"
      "FROM order_source_stream_view\n"
      "GROUP BY window(to_timestamp(timestamp / 1000), \"30 seconds\");");
  CHECK(stream.name == "job1");
  CHECK(key_values(stream.options) ==
        options_list{{"checkpointLocation", "/tmp/spark/cp/job1"}, {"outputMode", "update"}});
  CHECK(stream.sink == "order_stream_sink");
  CHECK(at(stream.sink_pos, 6, 13));
  const auto& query = stream.query;
  CHECK(at(query.pos, 7, 1));
  CHECK(show_items(query) == std::vector<std::string>{"CAST(window.start AS String) AS begin",
                                                      "CAST(window.end AS String) AS end",
                                                      "count(*) AS count",
                                                      "CAST(sum(price) AS Double) AS totalPrice"});
  CHECK(query.from == "order_source_stream_view");
  CHECK(at(query.from_pos, 11, 6));
  CHECK_FALSE(query.where.has_value());
  CHECK(show_group_by(query) ==
        std::vector<std::string>{"window(to_timestamp((/ timestamp 1000)), '30 seconds')"});
  CHECK(at(query.group_by[0].pos, 12, 10));
  CHECK(at(query.items[2].value.pos, 9, 1));
  CHECK(at(query.items[2].value.args[0].pos, 9, 7));
}

TEST_CASE("the first seed's stream job: lower-case options and insert, on one line") {
  auto statements = parse_ok(
      "CREATE SCAN ots_table_stream on ots_order_test USING STREAM OPTIONS "
      "(\"maxoffsetsperchannel\"=\"10000\");\n"
      "CREATE STREAM job1\n"
      "options(\n"
      "checkpointLocation='/tmp/spark/cp/test1',\n"
      "outputMode='update'\n"
      ")\n"
      "insert into ots_order_sink_test\n"
      "SELECT CAST(window.start AS String) AS begin, CAST(window.end AS String) AS end, count(*) "
      "AS count, sum(price) AS totalPrice FROM ots_table_stream GROUP BY "
      "window(to_timestamp(timestamp / 1000000000), \"10 seconds\");");
  REQUIRE(statements.size() == 2);
  auto stream = std::get<create_stream>(statements[1]);
  CHECK(at(stream.pos, 2, 1));
  CHECK(stream.options.size() == 2);
  CHECK(stream.sink == "ots_order_sink_test");
  CHECK(show_items(stream.query) ==
        std::vector<std::string>{"CAST(window.start AS String) AS begin",
                                 "CAST(window.end AS String) AS end", "count(*) AS count",
                                 "sum(price) AS totalPrice"});
  CHECK(stream.query.from == "ots_table_stream");
  CHECK(show_group_by(stream.query) ==
        std::vector<std::string>{"window(to_timestamp((/ timestamp 1000000000)), '10 seconds')"});
}

TEST_CASE("a stream job without options") {
  auto stream = only<create_stream>("CREATE STREAM j INSERT INTO s SELECT a FROM t");
  CHECK(stream.name == "j");
  CHECK(stream.options.empty());
  CHECK(stream.sink == "s");
  CHECK(at(stream.sink_pos, 1, 29));
  CHECK(show_items(stream.query) == std::vector<std::string>{"a"});
}

TEST_CASE("the Flink seed's INSERT INTO ... SELECT") {
  auto insert = only<insert_select>(
      "INSERT INTO order_sink\n"
      "SELECT\n"
      "    cabinet_province AS province,\n"
      "    sum((order_end_time - order_start_time)/3600/1000 * cabinet_pricePerHour) AS     "
      "        total_price,\n"
      "    count(order_Md5ID) AS order_count\n"
      "    FROM order_source\n"
      "    GROUP BY cabinet_province;");
  CHECK(insert.sink == "order_sink");
  CHECK(at(insert.pos, 1, 1));
  CHECK(at(insert.query.pos, 2, 1));
  CHECK(show_items(insert.query) ==
        std::vector<std::string>{
            "cabinet_province AS province",
            "sum((* (/ (/ (- order_end_time order_start_time) 3600) 1000) cabinet_pricePerHour)) "
            "AS total_price",
            "count(order_Md5ID) AS order_count"});
  CHECK(insert.query.from == "order_source");
  CHECK(at(insert.query.from_pos, 6, 10));
  CHECK(show_group_by(insert.query) == std::vector<std::string>{"cabinet_province"});
}

TEST_CASE("the seed's verification queries and SELECT's clauses") {
  auto statements = parse_ok(
      "SELECT count(*) AS total_orders FROM order_source;\n"
      "SELECT * FROM order_batch_sink;\n"
      "SELECT UserId, sum(price) AS total FROM t WHERE price > 1 GROUP BY UserId\n"
      "  HAVING count(*) > 2 ORDER BY total DESC, 1 ASC, UserId LIMIT 10");
  REQUIRE(statements.size() == 3);
  auto count = std::get<select_statement>(statements[0]);
  CHECK(show_items(count.query) == std::vector<std::string>{"count(*) AS total_orders"});
  CHECK(count.query.from == "order_source");
  auto star = std::get<select_statement>(statements[1]);
  CHECK(star.query.star);
  CHECK(star.query.items.empty());
  CHECK(at(star.pos, 2, 1));
  auto full = std::get<select_statement>(statements[2]).query;
  CHECK(show(*full.having) == "(> count(*) 2)");
  REQUIRE(full.order_by.size() == 3);
  CHECK(show(full.order_by[0].value) == "total");
  CHECK(full.order_by[0].descending);
  CHECK(show(full.order_by[1].value) == "1");
  CHECK_FALSE(full.order_by[1].descending);
  CHECK_FALSE(full.order_by[2].descending);
  CHECK(full.limit == 10u);
}

TEST_CASE("INSERT OVERWRITE [TABLE], INSERT INTO TABLE, a sink named table stays a name") {
  auto overwrite = only<insert_select>("INSERT OVERWRITE TABLE s SELECT count(*) FROM t");
  CHECK(overwrite.overwrite);
  CHECK(overwrite.sink == "s");
  auto into = only<insert_select>("INSERT INTO table SELECT count(*) FROM t");
  CHECK_FALSE(into.overwrite);
  CHECK(into.sink == "table");
}

TEST_CASE("CREATE TABLE IF NOT EXISTS ... USING, and Flink's tables of a connector") {
  auto external = only<create_external_table>(
      "CREATE TABLE IF NOT EXISTS t USING tablestore OPTIONS(table.name='T')");
  CHECK(external.if_not_exists);
  auto connector = only<create_connector_table>(
      "CREATE TABLE order_sink (\n"
      "    order_province VARCHAR,\n"
      "    total_price DOUBLE,\n"
      "    order_count BIGINT,\n"
      "    primary key(order_province)\n"
      ") WITH (\n"
      "    type = 'ots',\n"
      "    tableName ='order_sink',\n"
      "    valueColumns = 'total_price,order_count'\n"
      ");");
  CHECK(connector.name == "order_sink");
  REQUIRE(connector.columns.size() == 3);
  CHECK(connector.columns[0].type == column_type::string);
  CHECK(connector.primary_key == std::vector<std::string>{"order_province"});
  REQUIRE(connector.options.size() == 3);
  CHECK(connector.options[1].key == "tableName");
  CHECK(connector.options[1].value == "order_sink");
  auto flink_cdc = only<create_connector_table>(
      "CREATE TABLE o (id INT) WITH ('connector' = 'mysql-cdc', 'port' = '3306')");
  CHECK(flink_cdc.options[0].key == "connector");
  CHECK(only<create_table>("CREATE TABLE t (a STRING PRIMARY KEY) WITH (channels = 3)").channels == 3);
}

TEST_CASE("StarRocks' DDL as seed 004 writes it makes store tables") {
  auto statements =
      parse_ok(testing::read_file(testing::examples_sql() / "seed_004" / "starrocks.sql"));
  REQUIRE(statements.size() == 5);
  const auto& database = std::get<create_database>(statements[0]);
  CHECK(database.name == "flink_cdc");
  CHECK(at(database.pos, 5, 1));
  const auto& table = std::get<create_table>(statements[3]);
  CHECK(table.name == "dwd_order_customer_valid");
  CHECK(table.if_not_exists);
  CHECK(table.starrocks);
  CHECK(same_columns(table.columns, {{"timestamp", column_type::timestamp},
                                     {"order_id", column_type::bigint},
                                     {"order_revenue", column_type::double_},
                                     {"order_region", column_type::string},
                                     {"customer_id", column_type::bigint},
                                     {"customer_age", column_type::double_},
                                     {"customer_name", column_type::string}}));
  CHECK(table.primary_key == std::vector<std::string>{"timestamp", "order_id"});
  CHECK(table.channels == 1);
  // Each clause is optional; the column list may hold the key instead.
  auto bare = only<create_table>("create table t (a timestamp comment 'when', b bigint) engine = OLAP "
                                 "primary key (a)");
  CHECK(bare.channels == table_schema::default_channels);
  CHECK(bare.columns[0].type == column_type::timestamp);
  CHECK(only<create_table>("CREATE TABLE t (a DATETIME PRIMARY KEY) DISTRIBUTED BY HASH (a) BUCKETS 3")
            .channels == 3);
  CHECK(only<create_table>("CREATE TABLE db.t (a INT, PRIMARY KEY (a)) PROPERTIES ('x' = 'y')").name ==
        "t");
  CHECK(only<create_database>("create database d").name == "d");
}

TEST_CASE("errors in StarRocks' DDL say where") {
  CHECK(parse_error("CREATE TABLE t (a INT) ENGINE=mysql PRIMARY KEY (a)") ==
        "line 1, column 31: ENGINE = mysql is not supported; a store table is StarRocks' ENGINE = olap");
  CHECK(parse_error("CREATE TABLE t (a INT) PRIMARY KEY (a)\nDISTRIBUTED BY HASH(a) BUCKETS;") ==
        "line 2, column 31: expected a positive integer after BUCKETS, found ';'");
  CHECK(parse_error("CREATE TABLE t (a INT, b INT) PRIMARY KEY (a)\nDISTRIBUTED BY HASH(c) BUCKETS 1") ==
        "line 2, column 21: HASH (c): t has no column 'c'");
  CHECK(parse_error("CREATE TABLE t (a INT, b INT) PRIMARY KEY (a)\nDISTRIBUTED BY HASH(b) BUCKETS 1") ==
        "line 2, column 21: HASH (b): the hash columns must be primary key columns of t");
  CHECK(parse_error("CREATE TABLE t (a INT PRIMARY KEY) PRIMARY KEY (a)") ==
        "line 1, column 36: PRIMARY KEY is declared twice, in the column list and after it; "
        "declare it once");
  CHECK(parse_error("CREATE TABLE t (a INT) PRIMARY KEY (a) ENGINE = olap") ==
        "line 1, column 40: expected ENGINE, PRIMARY KEY, COMMENT, DISTRIBUTED BY, PROPERTIES, ';' "
        "or end of input, in this order, after the column list, found 'ENGINE'");
  CHECK(parse_error("CREATE TABLE t (a INT COMMENT 7) PRIMARY KEY (a)") ==
        "line 1, column 31: expected a string after COMMENT of column 'a', found '7'");
  // NOT NULL is refused in Sluice's own form, which has no StarRocks clause.
  CHECK(parse_error("CREATE TABLE t (a INT NOT NULL, PRIMARY KEY (a))").find("NOT NULL is not checked") !=
        std::string::npos);
}

TEST_CASE("TIMESTAMP literals, INTERVAL n UNIT, LOCALTIMESTAMP and DATE_ADD") {
  CHECK(shape("TIMESTAMP '2026-12-02 10:00:00'") == "CAST('2026-12-02 10:00:00' AS TIMESTAMP)");
  CHECK(parse_expr("TIMESTAMP '2026-12-02 10:00:00'").name == "TIMESTAMP");
  CHECK(parse_expr("CAST('2026-12-02 10:00:00' AS TIMESTAMP)").name.empty());
  CHECK(shape("DATE_ADD(ts, INTERVAL '10' MINUTE)") == "DATE_ADD(ts, '10 MINUTE')");
  CHECK(shape("date_sub(ts, INTERVAL 2 hour)") == "date_sub(ts, '2 hour')");
  CHECK(shape("LOCALTIMESTAMP") == "LOCALTIMESTAMP()");
  CHECK(shape("current_timestamp") == "current_timestamp()");
  CHECK(shape("CURRENT_TIMESTAMP()") == "CURRENT_TIMESTAMP()");
  CHECK(shape("timestamp") == "timestamp");  // still a column name
  CHECK(parse_error("SELECT DATE_ADD(ts, INTERVAL 10) FROM t") ==
        "line 1, column 32: expected a unit (SECOND, MINUTE, HOUR, DAY) after INTERVAL '10', found ')'");
}

TEST_CASE("the batch seeds: items without alias, no GROUP BY") {
  auto statements = parse_ok(
      "INSERT INTO order_batch_sink\n"
      "SELECT UserId, count(*) AS count, sum(price) AS totalPrice\n"
      "FROM order_source\n"
      "GROUP BY UserId;\n"
      "INSERT INTO order_total_sink\n"
      "SELECT count(*) AS count, sum(price) AS totalPrice\n"
      "FROM order_source;");
  REQUIRE(statements.size() == 2);
  auto per_user = std::get<insert_select>(statements[0]);
  CHECK(show_items(per_user.query) ==
        std::vector<std::string>{"UserId", "count(*) AS count", "sum(price) AS totalPrice"});
  CHECK(per_user.query.items[0].alias.empty());
  CHECK(show_group_by(per_user.query) == std::vector<std::string>{"UserId"});
  auto total = std::get<insert_select>(statements[1]);
  CHECK(at(total.pos, 5, 1));
  CHECK(total.query.group_by.empty());
  CHECK(show_items(total.query) ==
        std::vector<std::string>{"count(*) AS count", "sum(price) AS totalPrice"});
}

TEST_CASE("WHERE, several GROUP BY keys, qualified and backticked names, empty calls") {
  auto insert = only<insert_select>(
      "insert into s select o.customer_id, `my col`, now() as `at`, max(`o`.price) from orders "
      "where o.price > 10 and not o.region = 'north' group by o.customer_id, `my col`");
  CHECK(show_items(insert.query) == std::vector<std::string>{"o.customer_id", "my col",
                                                             "now() AS at", "max(o.price)"});
  REQUIRE(insert.query.where.has_value());
  CHECK(show(*insert.query.where) == "(AND (> o.price 10) (NOT (= o.region 'north')))");
  CHECK(show_group_by(insert.query) == std::vector<std::string>{"o.customer_id", "my col"});
}

// --- Expressions

TEST_CASE("operator precedence and grouping") {
  CHECK(shape("a + b * c") == "(+ a (* b c))");
  CHECK(shape("a * b + c") == "(+ (* a b) c)");
  CHECK(shape("(a + b) * c") == "(* (+ a b) c)");
  CHECK(shape("a - b - c") == "(- (- a b) c)");
  CHECK(shape("a / b % c * d") == "(* (% (/ a b) c) d)");
  CHECK(shape("-x") == "(- x)");
  CHECK(shape("- -x") == "(- (- x))");
  CHECK(shape("-a * b") == "(* (- a) b)");
  CHECK(shape("a - -1") == "(- a (- 1))");
  CHECK(shape("NOT a = b AND c") == "(AND (NOT (= a b)) c)");
  CHECK(shape("NOT NOT a") == "(NOT (NOT a))");
  CHECK(shape("a OR b AND c") == "(OR a (AND b c))");
  CHECK(shape("(a OR b) AND c") == "(AND (OR a b) c)");
  CHECK(shape("a + 1 > b * 2 OR c") == "(OR (> (+ a 1) (* b 2)) c)");
  CHECK(shape("a = b = c") == "(= (= a b) c)");
}

TEST_CASE("all comparison operators, != is stored as <>") {
  const std::pair<const char*, const char*> cases[] = {
      {"=", "="}, {"<>", "<>"}, {"!=", "<>"}, {"<", "<"}, {"<=", "<="}, {">", ">"}, {">=", ">="}};
  for (auto [written, stored] : cases) {
    CAPTURE(written);
    auto e = parse_expr(std::string("a ") + written + " 1");
    CHECK(e.what == expr::kind::binary);
    CHECK(e.name == stored);
    CHECK(show(e) == std::string("(") + stored + " a 1)");
  }
}

TEST_CASE("literals of each kind") {
  auto integer = parse_expr("42");
  CHECK(integer.what == expr::kind::literal);
  CHECK(std::get<int64_t>(integer.literal) == 42);
  CHECK(std::get<int64_t>(parse_expr("9223372036854775807").literal) ==
        std::numeric_limits<int64_t>::max());
  CHECK(std::get<double>(parse_expr("2.5").literal) == 2.5);
  CHECK(std::get<double>(parse_expr("0.1").literal) == 0.1);
  CHECK(std::get<std::string>(parse_expr("'it''s'").literal) == "it's");
  CHECK(std::get<std::string>(parse_expr("\"10 seconds\"").literal) == "10 seconds");
  CHECK(std::get<bool>(parse_expr("TRUE").literal) == true);
  CHECK(std::get<bool>(parse_expr("false").literal) == false);
  CHECK(is_null(parse_expr("NULL").literal));
  CHECK(is_null(parse_expr("null").literal));
  CHECK(parse_expr("null").what == expr::kind::literal);
  CHECK(parse_error("INSERT INTO s SELECT 9223372036854775808 FROM t") ==
        "line 1, column 22: integer 9223372036854775808 is too large; the largest is "
        "9223372036854775807");
}

TEST_CASE("keywords as names: window, timestamp, count, end, begin, CAST types as written") {
  CHECK(shape("window(to_timestamp(timestamp / 1000000000), \"10 seconds\")") ==
        "window(to_timestamp((/ timestamp 1000000000)), '10 seconds')");
  CHECK(shape("window.start") == "window.start");
  CHECK(shape("count + end - begin") == "(- (+ count end) begin)");
  CHECK(shape("COUNT(*)") == "COUNT(*)");
  CHECK(shape("CAST(x AS BIGINT)") == "CAST(x AS BIGINT)");
  CHECK(shape("cast(cast(x as string) AS Double)") == "CAST(CAST(x AS string) AS Double)");
  CHECK(shape("`select` + `from`") == "(+ select from)");
  auto cast = parse_expr("CAST(window.end AS String)");
  CHECK(cast.what == expr::kind::cast);
  CHECK(cast.type_name == "String");
  REQUIRE(cast.args.size() == 1);
  CHECK(cast.args[0].what == expr::kind::column);
  CHECK(cast.args[0].name == "window.end");
  auto count = parse_expr("count(*)");
  CHECK(count.what == expr::kind::call);
  REQUIRE(count.args.size() == 1);
  CHECK(count.args[0].what == expr::kind::star);
}

TEST_CASE("each node's position is its first token, a parenthesized one's is its '('") {
  auto e = parse_expr("a +\n  (b * -c)");  // SELECT starts at column 15; `a` at 22
  CHECK(e.what == expr::kind::binary);
  CHECK(at(e.pos, 1, 22));
  CHECK(at(e.args[1].pos, 2, 3));
  CHECK(at(e.args[1].args[0].pos, 2, 4));
  auto negation = e.args[1].args[1];
  CHECK(negation.what == expr::kind::unary);
  CHECK(at(negation.pos, 2, 8));
  CHECK(at(negation.args[0].pos, 2, 9));
}

// --- Errors of the streaming statements

TEST_CASE("a query without FROM") {
  CHECK(parse_error("INSERT INTO s SELECT a, b") ==
        "line 1, column 26: expected AS, ',' or FROM after a select item, found end of input");
  CHECK(parse_error("INSERT INTO s\nSELECT a AS x\nWHERE a > 1") ==
        "line 3, column 1: expected ',' or FROM after alias 'x', found 'WHERE'");
  CHECK(parse_error("INSERT INTO s SELECT a b FROM t") ==
        "line 1, column 24: expected AS, ',' or FROM after a select item, found 'b'");
  CHECK(parse_error("INSERT INTO s SELECT a, FROM t") ==
        "line 1, column 25: expected an expression, found 'FROM'");
  CHECK(parse_error("INSERT INTO s SELECT a FROM") ==
        "line 1, column 28: expected a table or scan name after FROM, found end of input");
}

TEST_CASE("an unclosed parenthesis") {
  CHECK(parse_error("INSERT INTO s SELECT (a + b FROM t") ==
        "line 1, column 29: expected ')' to close the '(' at line 1, column 22, found 'FROM'");
  CHECK(parse_error("INSERT INTO s SELECT sum((a + b) FROM t") ==
        "line 1, column 34: expected ',' or ')' after an argument of sum, found 'FROM'");
  CHECK(parse_error("INSERT INTO s SELECT CAST(a AS String FROM t") ==
        "line 1, column 39: expected ')' after the type in CAST(... AS String, found 'FROM'");
  CHECK(parse_error("INSERT INTO s SELECT CAST(a String) FROM t") ==
        "line 1, column 29: expected AS in CAST(... AS type), found 'String'");
  CHECK(parse_error("CREATE SCAN v ON t USING STREAM OPTIONS(a = '1'") ==
        "line 1, column 48: expected ',' or ')' after option 'a', found end of input");
}

TEST_CASE("OPTIONS entries are key = value") {
  CHECK(parse_error("CREATE SCAN v ON t USING STREAM OPTIONS(maxoffsetsperchannel 10000)") ==
        "line 1, column 62: expected '=' after option 'maxoffsetsperchannel', found '10000'");
  CHECK(parse_error("CREATE TABLE t USING s OPTIONS(\n  access.key.id 'x')") ==
        "line 2, column 17: expected '=' after option 'access.key.id', found string 'x'");
  CHECK(parse_error("CREATE TABLE t USING s OPTIONS(a.)") ==
        "line 1, column 34: expected a name after 'a.', found ')'");
  CHECK(parse_error("CREATE TABLE t USING s OPTIONS()") ==
        "line 1, column 32: expected an option name in OPTIONS(...), found ')'");
  CHECK(parse_error("CREATE TABLE t USING s OPTIONS(a = )") ==
        "line 1, column 36: expected a string, number or name as the value of option 'a', found "
        "')'");
  CHECK(parse_error("CREATE TABLE t USING s OPTIONS a = 1") ==
        "line 1, column 32: expected '(' after OPTIONS, found 'a'");
  CHECK(parse_error("CREATE STREAM j OPTIONS(\"outputMode\" = 'update', OUTPUTMODE = 'append') "
                    "INSERT INTO s SELECT a FROM t") ==
        "line 1, column 50: option 'OUTPUTMODE' is given twice in OPTIONS (first at line 1, "
        "column 25); option names match in any case");
}

TEST_CASE("errors in the streaming statements say what is accepted") {
  CHECK(parse_error("CREATE TABLE t STORED AS parquet") ==
        "line 1, column 16: expected '(' or USING after table name 't', found 'STORED'");
  CHECK(parse_error("CREATE TABLE t USING tablestore WITH (a = 1)") ==
        "line 1, column 33: expected OPTIONS, ';' or end of input after provider 'tablestore', "
        "found 'WITH'");
  CHECK(parse_error("CREATE SCAN v ON t USING STREAMING") ==
        "line 1, column 26: expected STREAM or BATCH after USING, found 'STREAMING'");
  CHECK(parse_error("CREATE SCAN v ON t") ==
        "line 1, column 19: expected USING after table name 't', found end of input");
  CHECK(parse_error("CREATE SCAN v ON t USING BATCH LIMIT 5") ==
        "line 1, column 32: expected OPTIONS, ';' or end of input after USING batch, found "
        "'LIMIT'");
  CHECK(parse_error("CREATE STREAM j SELECT a FROM t") ==
        "line 1, column 17: expected OPTIONS or INSERT INTO after stream name 'j', found 'SELECT'");
  CHECK(parse_error("CREATE STREAM j OPTIONS(a = 1) SELECT a FROM t") ==
        "line 1, column 32: expected INSERT INTO after OPTIONS(...), found 'SELECT'");
  CHECK(parse_error("INSERT s SELECT a FROM t") ==
        "line 1, column 8: expected INTO or OVERWRITE after INSERT, found 's'");
  CHECK(parse_error("INSERT INTO s (a) VALUES (1)") ==
        "line 1, column 15: expected SELECT after sink table 's', found '('");
  CHECK(parse_error("INSERT INTO s SELECT a FROM t SORT BY a") ==
        "line 1, column 31: expected WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, ';' or end of "
        "input after the FROM table, found 'SORT'");
  CHECK(parse_error("INSERT INTO s SELECT a FROM t WHERE a IS NULL") ==
        "line 1, column 39: expected GROUP BY, HAVING, ORDER BY, LIMIT, ';' or end of input after "
        "the WHERE condition, found 'IS'");
  CHECK(parse_error("INSERT INTO s SELECT a FROM t GROUP BY a WINDOW w") ==
        "line 1, column 42: expected ',', HAVING, ORDER BY, LIMIT, ';' or end of input after a "
        "GROUP BY expression, found 'WINDOW'");
  CHECK(parse_error("SELECT a FROM t ORDER BY a LIMIT -1") ==
        "line 1, column 34: expected a row count (0 or more) after LIMIT, found '-'");
  CHECK(parse_error("SELECT a FROM t LIMIT 5 WHERE a") ==
        "line 1, column 25: expected ';' or end of input after LIMIT, found 'WHERE'");
  CHECK(parse_error("CREATE STREAM j INSERT OVERWRITE s SELECT a FROM t") ==
        "line 1, column 17: a stream cannot INSERT OVERWRITE, which replaces a table with a "
        "batch result; write INSERT INTO");
  CHECK(parse_error("INSERT INTO s SELECT a FROM t GROUP a") ==
        "line 1, column 37: expected BY after GROUP, found 'a'");
  CHECK(parse_error("INSERT INTO s SELECT a AS FROM t") ==
        "line 1, column 27: expected an alias after AS, found 'FROM'");
}

TEST_CASE("what the dialects have and Sluice not yet is refused by name") {
  CHECK(parse_error("SELECT a FROM t RIGHT JOIN u ON t.k = u.k") ==
        "line 1, column 17: RIGHT JOIN is not supported; Sluice joins with JOIN (inner) and LEFT "
        "JOIN");
  CHECK(parse_error("SELECT a FROM t JOIN u ON t.k = u.k JOIN v ON v.k = u.k") ==
        "line 1, column 37: a query joins two tables; join the result of this one in another job");
  CHECK(parse_error("SELECT a FROM t JOIN u WHERE t.k = u.k") ==
        "line 1, column 24: expected ON and the join condition after the joined table, found "
        "'WHERE'");
  CHECK(parse_error("SELECT a FROM t WHERE a > 1 UNION SELECT a FROM u") ==
        "line 1, column 29: UNION is not supported yet; run the queries one by one");
  CHECK(parse_error("SELECT DISTINCT a FROM t") ==
        "line 1, column 8: SELECT DISTINCT is not supported yet; GROUP BY the selected columns "
        "instead");
  CHECK(parse_error("SELECT count(DISTINCT a) FROM t") ==
        "line 1, column 14: count(DISTINCT ...) is not supported yet");
  CHECK(parse_error("CREATE TABLE o (id INT, ts BIGINT, WATERMARK FOR ts AS ts - 5) WITH "
                    "('connector' = 'x')") ==
        "line 1, column 36: WATERMARK FOR is not supported yet; give the job a lateness option "
        "for its windows' watermark");
  auto flink = only<create_connector_table>(
      "CREATE TABLE o (id INT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'x')");
  CHECK(flink.primary_key == std::vector<std::string>{"id"});
}

TEST_CASE("expression errors point at the offending token") {
  CHECK(parse_error("INSERT INTO s SELECT *, a FROM t") ==
        "line 1, column 22: '*' is accepted only as in count(*); name the columns");
  CHECK(parse_error("INSERT INTO s SELECT sum(*) FROM t") ==
        "line 1, column 26: '*' is accepted only as in count(*); name the columns");
  CHECK(parse_error("INSERT INTO s SELECT count(*, a) FROM t") ==
        "line 1, column 29: expected ')' after count(*, found ','");
  CHECK(parse_error("INSERT INTO s SELECT a + FROM t") ==
        "line 1, column 26: expected an expression, found 'FROM'");
  CHECK(parse_error("INSERT INTO s SELECT a FROM t WHERE AND b") ==
        "line 1, column 37: expected an expression, found 'AND'");
  CHECK(parse_error("INSERT INTO s SELECT window. , a FROM t") ==
        "line 1, column 30: expected a name after 'window.', found ','");
  CHECK(parse_error("INSERT INTO s SELECT a FROM t WHERE a = ") ==
        "line 1, column 41: expected an expression, found end of input");
}

TEST_CASE("too deep expressions are refused, not a stack overflow") {
  // SELECT's expression starts at column 22.
  CHECK(parse_error("INSERT INTO s SELECT " + std::string(100000, '(') + "a FROM t") ==
        "line 1, column 86: expression nested too deeply: more than 64 levels of parentheses, "
        "calls and CASTs");
  std::string calls;
  for (int i = 0; i < 100; ++i) calls += "f(";
  CHECK(parse_error("INSERT INTO s SELECT " + calls + " FROM t") ==
        "line 1, column 150: expression nested too deeply: more than 64 levels of parentheses, "
        "calls and CASTs");
  std::string long_sum = "a";
  for (int i = 0; i < 5000; ++i) long_sum += "+a";
  CHECK(parse_error("INSERT INTO s SELECT " + long_sum + " FROM t") ==
        "line 1, column 2022: expression too deep: more than 1000 levels of operators; split it "
        "up");
  std::string minus;
  for (int i = 0; i < 5000; ++i) minus += "- ";
  CHECK(parse_error("INSERT INTO s SELECT " + minus + "a FROM t") ==
        "line 1, column 2020: expression too deep: more than 1000 levels of operators; split it "
        "up");

  CHECK(shape(std::string(60, '(') + "a" + std::string(60, ')')) == "a");
  std::string negated = "a";
  minus.clear();
  for (int i = 0; i < 300; ++i) {
    minus += "- ";
    negated = "(- " + negated + ")";
  }
  CHECK(shape(minus + "a") == negated);
}

TEST_CASE("FROM a JOIN b ON ... with aliases, as seed 004 writes it") {
  auto join = only<insert_select>(
                  "INSERT INTO dwd SELECT o.order_id, c.customer_name FROM customers c JOIN "
                  "orders o ON c.customer_id=o.customer_id WHERE o.order_id > 0")
                  .query;
  CHECK(join.from == "customers");
  CHECK(join.from_alias == "c");
  REQUIRE(join.join.has_value());
  CHECK(join.join->what == join_clause::kind::inner);
  CHECK(join.join->table == "orders");
  CHECK(join.join->alias == "o");
  CHECK(show(join.join->on) == "(= c.customer_id o.customer_id)");
  CHECK(join.where.has_value());

  auto left = only<select_statement>(
                  "SELECT * FROM orders AS o LEFT OUTER JOIN customers AS c ON o.k = c.k AND o.j = c.j")
                  .query;
  CHECK(left.from_alias == "o");
  CHECK(left.join->what == join_clause::kind::left);
  CHECK(left.join->alias == "c");
  CHECK(show(left.join->on) == "(AND (= o.k c.k) (= o.j c.j))");

  auto plain = only<select_statement>("SELECT * FROM orders WHERE x = 1").query;
  CHECK(plain.from_alias.empty());
  CHECK(!plain.join.has_value());
}

TEST_CASE("catalog- and database-qualified table names name the table, as seed 004 writes them") {
  auto insert = only<insert_select>(
      "INSERT INTO `default_catalog`.`flink_cdc`.`orders_sink` SELECT LOCALTIMESTAMP, order_id "
      "FROM `default_catalog`.`flink_cdc`.`orders_src` o JOIN flink_cdc.customers c ON "
      "o.customer_id = c.customer_id");
  CHECK(insert.sink == "orders_sink");
  CHECK(insert.query.from == "orders_src");
  CHECK(insert.query.from_alias == "o");
  CHECK(insert.query.join->table == "customers");
  CHECK(only<create_database>("CREATE DATABASE IF NOT EXISTS `default_catalog`.`flink_cdc`").name ==
        "flink_cdc");
  CHECK(only<drop_table>("DROP TABLE IF EXISTS flink_cdc.orders").name == "orders");
  auto error = sql::parse_script("SELECT * FROM flink_cdc.");
  REQUIRE(!error.ok());
  CHECK(std::string(error.status().message()).find("a name after 'flink_cdc.'") !=
        std::string::npos);
}

}  // namespace
}  // namespace sluice::sql

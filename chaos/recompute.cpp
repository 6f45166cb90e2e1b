#include "chaos/recompute.hpp"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <map>
#include <memory>

#include "runtime/core/status.hpp"

namespace sluice::chaos {
namespace {

absl::Status refuse(const sql::expr& e, std::string_view what) {
  return absl::UnimplementedError(fmt::format("line {}, column {}: the recomputation does not "
                                              "evaluate {}",
                                              e.pos.line, e.pos.column, what));
}

bool same(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

std::string quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// "10 seconds" -> 10.
absl::StatusOr<double> window_seconds(const sql::expr& e) {
  const auto* text = std::get_if<std::string>(&e.literal);
  if (e.what != sql::expr::kind::literal || !text) return refuse(e, "a window size that is not a string");
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(*text), ' ', absl::SkipEmpty());
  double n = 0;
  if (parts.size() != 2 || !absl::SimpleAtod(parts[0], &n)) return refuse(e, "window size " + *text);
  std::string unit = absl::AsciiStrToLower(parts[1]);
  if (absl::EndsWith(unit, "s")) unit.pop_back();
  if (unit == "second") return n;
  if (unit == "minute") return n * 60;
  if (unit == "hour") return n * 3600;
  if (unit == "day") return n * 86400;
  return refuse(e, "window size " + *text);
}

struct translator {
  std::optional<std::string> window_start;  // SQL of the window's start, in seconds
  double window_size = 0;

  bool is_time(const sql::expr& e) const {
    if (e.what == sql::expr::kind::column)
      return same(e.name, "window.start") || same(e.name, "window.end");
    return e.what == sql::expr::kind::call && same(e.name, "to_timestamp");
  }

  absl::StatusOr<std::string> sql(const sql::expr& e) const {
    using kind = sql::expr::kind;
    switch (e.what) {
      case kind::column: {
        if (same(e.name, "window.start") || same(e.name, "window.end")) {
          if (!window_start) return refuse(e, e.name + " without a window in GROUP BY");
          return same(e.name, "window.start")
                     ? *window_start
                     : fmt::format("({} + {})", *window_start, window_size);
        }
        auto dot = e.name.rfind('.');
        if (dot == std::string::npos) return quote(e.name);
        return quote(e.name.substr(0, dot)) + "." + quote(e.name.substr(dot + 1));
      }
      case kind::literal:
        return std::visit(
            [&](const auto& v) -> absl::StatusOr<std::string> {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, std::monostate>) return std::string("NULL");
              else if constexpr (std::is_same_v<T, bool>) return std::string(v ? "1" : "0");
              else if constexpr (std::is_same_v<T, int64_t>) return fmt::format("{}", v);
              else if constexpr (std::is_same_v<T, double>) return fmt::format("{:.17g}", v);
              else if constexpr (std::is_same_v<T, std::string>) {
                std::string out = "'";
                for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
                return out + "'";
              } else {
                return refuse(e, "a TIMESTAMP literal");
              }
            },
            e.literal);
      case kind::unary: {
        SLUICE_ASSIGN_OR_RETURN(auto operand, sql(e.args[0]));
        return fmt::format("({} {})", same(e.name, "NOT") ? "NOT" : "-", operand);
      }
      case kind::binary: {
        SLUICE_ASSIGN_OR_RETURN(auto left, sql(e.args[0]));
        SLUICE_ASSIGN_OR_RETURN(auto right, sql(e.args[1]));
        if (e.name == "/") return fmt::format("(CAST({} AS REAL) / {})", left, right);
        return fmt::format("({} {} {})", left, e.name, right);
      }
      case kind::call: {
        const std::string name = absl::AsciiStrToLower(e.name);
        if (name == "count" && e.args.size() == 1 && e.args[0].what == kind::star)
          return std::string("count(*)");
        if (name == "to_timestamp" && e.args.size() == 1) {
          SLUICE_ASSIGN_OR_RETURN(auto seconds, sql(e.args[0]));
          return fmt::format("(CAST({} AS REAL))", seconds);
        }
        if ((name == "count" || name == "sum" || name == "avg" || name == "min" || name == "max") &&
            e.args.size() == 1) {
          SLUICE_ASSIGN_OR_RETURN(auto arg, sql(e.args[0]));
          return fmt::format("{}({})", name, arg);
        }
        return refuse(e, "function " + e.name);
      }
      case kind::cast: {
        SLUICE_ASSIGN_OR_RETURN(auto arg, sql(e.args[0]));
        const std::string type = absl::AsciiStrToLower(e.type_name);
        if (type == "string" || type == "varchar") {
          if (is_time(e.args[0]))
            return fmt::format("strftime('%Y-%m-%d %H:%M:%S', {}, 'unixepoch')", arg);
          return fmt::format("CAST({} AS TEXT)", arg);
        }
        if (type == "double" || type == "float") return fmt::format("CAST({} AS REAL)", arg);
        if (type == "bigint" || type == "long" || type == "int" || type == "integer")
          return fmt::format("CAST({} AS INTEGER)", arg);
        return refuse(e, "CAST to " + e.type_name);
      }
      case kind::star:
        return refuse(e, "*");
    }
    return refuse(e, "this expression");
  }
};

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct statement_closer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

absl::Status sqlite_error(sqlite3* db, std::string_view what) {
  return absl::InternalError(fmt::format("SQLite, {}: {}", what, sqlite3_errmsg(db)));
}

// Loads `table` into `db` as `name`.
absl::Status load(sqlite3* db, const std::string& name, const table_rows& table) {
  const auto& schema_columns = table.schema->columns();
  std::vector<std::string> columns, marks;
  for (const auto& column : schema_columns) {
    columns.push_back(quote(column.name));
    marks.push_back("?");
  }
  const std::string create =
      fmt::format("CREATE TABLE {} ({})", name, absl::StrJoin(columns, ", "));
  if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite_error(db, "creating the table " + table.schema->name());
  const std::string insert =
      fmt::format("INSERT INTO {} VALUES ({})", name, absl::StrJoin(marks, ", "));
  sqlite3_stmt* raw_statement = nullptr;
  if (sqlite3_prepare_v2(db, insert.c_str(), -1, &raw_statement, nullptr) != SQLITE_OK)
    return sqlite_error(db, "preparing the load");
  std::unique_ptr<sqlite3_stmt, statement_closer> statement(raw_statement);
  for (const auto& row : *table.content) {
    sqlite3_reset(statement.get());
    for (size_t c = 0; c < row.size() && c < schema_columns.size(); ++c) {
      const int at = static_cast<int>(c + 1);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) sqlite3_bind_null(statement.get(), at);
            else if constexpr (std::is_same_v<T, bool>) sqlite3_bind_int64(statement.get(), at, v);
            else if constexpr (std::is_same_v<T, int64_t>) sqlite3_bind_int64(statement.get(), at, v);
            else if constexpr (std::is_same_v<T, double>) sqlite3_bind_double(statement.get(), at, v);
            else if constexpr (std::is_same_v<T, std::string>)
              sqlite3_bind_text(statement.get(), at, v.data(), static_cast<int>(v.size()),
                                SQLITE_TRANSIENT);
            else  // a TIMESTAMP as seconds, as to_timestamp gives them
              sqlite3_bind_double(statement.get(), at, static_cast<double>(v.micros) / 1e6);
          },
          row[c]);
    }
    if (sqlite3_step(statement.get()) != SQLITE_DONE) return sqlite_error(db, "loading a row");
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite_error(db, "loading the rows of " + table.schema->name());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<recomputation> recomputation::create(const sql::select_query& query) {
  if (query.star) return absl::UnimplementedError("the recomputation does not evaluate SELECT *");
  if (query.limit) return absl::UnimplementedError("the recomputation does not evaluate LIMIT");
  translator t;
  std::vector<std::string> groups;
  for (const auto& g : query.group_by) {
    if (g.what == sql::expr::kind::call && same(g.name, "window")) {
      if (g.args.size() != 2) return refuse(g, "a sliding window");
      SLUICE_ASSIGN_OR_RETURN(auto time, t.sql(g.args[0]));
      SLUICE_ASSIGN_OR_RETURN(t.window_size, window_seconds(g.args[1]));
      // floor(time / size) * size, for any sign
      const std::string ratio = fmt::format("({} / {})", time, t.window_size);
      t.window_start = fmt::format("((CAST({0} AS INTEGER) - ({0} < CAST({0} AS INTEGER))) * {1})",
                                   ratio, t.window_size);
      groups.push_back(*t.window_start);
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(groups.emplace_back(), t.sql(g));
  }
  std::vector<std::string> items;
  std::vector<bool> times;
  for (const auto& item : query.items) {
    SLUICE_ASSIGN_OR_RETURN(items.emplace_back(), t.sql(item.value));
    times.push_back(t.is_time(item.value));
  }
  // The inputs are loaded as src0 and src1, and named as the query names them.
  std::string text = fmt::format("SELECT {} FROM src0 AS {}", absl::StrJoin(items, ", "),
                                 quote(query.from_alias.empty() ? query.from : query.from_alias));
  if (query.join) {
    SLUICE_ASSIGN_OR_RETURN(auto on, t.sql(query.join->on));
    text += fmt::format(" {}JOIN src1 AS {} ON {}",
                        query.join->what == sql::join_clause::kind::left ? "LEFT " : "",
                        quote(query.join->alias.empty() ? query.join->table : query.join->alias),
                        on);
  }
  if (query.where) {
    SLUICE_ASSIGN_OR_RETURN(auto where, t.sql(*query.where));
    text += " WHERE " + where;
  }
  if (!groups.empty()) text += " GROUP BY " + absl::StrJoin(groups, ", ");
  if (query.having) {
    SLUICE_ASSIGN_OR_RETURN(auto having, t.sql(*query.having));
    text += " HAVING " + having;
  }
  return recomputation(std::move(text), std::move(times), query.join ? 2 : 1);
}

absl::StatusOr<rows> recomputation::run(const std::vector<table_rows>& tables) const {
  if (tables.size() != inputs_)
    return absl::InvalidArgumentError(
        fmt::format("the query reads {} tables, not {}", inputs_, tables.size()));
  sqlite3* raw = nullptr;
  if (sqlite3_open(":memory:", &raw) != SQLITE_OK) {
    sqlite3_close(raw);
    return absl::InternalError("SQLite cannot open an in-memory database");
  }
  std::unique_ptr<sqlite3, db_closer> db(raw);
  for (size_t i = 0; i < tables.size(); ++i)
    SLUICE_RETURN_IF_ERROR(load(db.get(), fmt::format("src{}", i), tables[i]));
  sqlite3_stmt* raw_statement = nullptr;
  if (sqlite3_prepare_v2(db.get(), text_.c_str(), -1, &raw_statement, nullptr) != SQLITE_OK)
    return sqlite_error(db.get(), "preparing " + text_);
  std::unique_ptr<sqlite3_stmt, statement_closer> query(raw_statement);
  rows out;
  int step;
  while ((step = sqlite3_step(query.get())) == SQLITE_ROW) {
    auto& row = out.emplace_back(times_.size());
    for (size_t c = 0; c < times_.size(); ++c) {
      const int at = static_cast<int>(c);
      switch (sqlite3_column_type(query.get(), at)) {
        case SQLITE_INTEGER:
          row[c] = static_cast<int64_t>(sqlite3_column_int64(query.get(), at));
          break;
        case SQLITE_FLOAT:
          row[c] = sqlite3_column_double(query.get(), at);
          break;
        case SQLITE_TEXT:
          row[c] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(query.get(), at)),
                               sqlite3_column_bytes(query.get(), at));
          break;
        default:
          break;  // NULL
      }
      if (times_[c] && !is_null(row[c])) {
        double seconds = std::holds_alternative<int64_t>(row[c])
                             ? static_cast<double>(std::get<int64_t>(row[c]))
                             : std::get<double>(row[c]);
        row[c] = timestamp{static_cast<int64_t>(std::llround(seconds * 1e6))};
      }
    }
  }
  if (step != SQLITE_DONE) return sqlite_error(db.get(), "running " + text_);
  return out;
}

namespace {

std::string text_of(const value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "NULL";
        else if constexpr (std::is_same_v<T, std::string>) return fmt::format("'{}'", x);
        else if constexpr (std::is_same_v<T, timestamp>) return fmt::format("{} us", x.micros);
        else return fmt::format("{}", x);
      },
      v);
}

std::optional<double> number(const value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* t = std::get_if<timestamp>(&v)) return static_cast<double>(t->micros);
  return std::nullopt;
}

bool equal(const value& a, const value& b) {
  auto x = number(a), y = number(b);
  if (x && y) return *x == *y || std::abs(*x - *y) <= 1e-9 * std::max(std::abs(*x), std::abs(*y));
  return a == b;
}

std::string row_text(const std::vector<value>& row) {
  std::vector<std::string> cells;
  for (const auto& v : row) cells.push_back(text_of(v));
  return "(" + absl::StrJoin(cells, ", ") + ")";
}

}  // namespace

std::vector<std::string> differences(const rows& sink, const rows& expected,
                                     const std::vector<size_t>& key) {
  constexpr size_t shown = 5;
  auto key_of = [&](const std::vector<value>& row) {
    std::string k;
    for (auto c : key) k += (c < row.size() ? text_of(row[c]) : "?") + "|";
    return k;
  };
  std::vector<std::string> out;
  std::map<std::string, const std::vector<value>*> actual;
  for (const auto& row : sink)
    if (!actual.emplace(key_of(row), &row).second && out.size() < shown)
      out.push_back("twice in the sink: " + row_text(row));
  for (const auto& want : expected) {
    auto it = actual.find(key_of(want));
    if (it == actual.end()) {
      if (out.size() < shown) out.push_back("missing from the sink: " + row_text(want));
      continue;
    }
    const auto& got = *it->second;
    bool same_row = got.size() == want.size();
    for (size_t c = 0; same_row && c < want.size(); ++c) same_row = equal(got[c], want[c]);
    if (!same_row && out.size() < shown)
      out.push_back(fmt::format("sink has {}, expected {}", row_text(got), row_text(want)));
    actual.erase(it);
  }
  for (const auto& [k, row] : actual)
    if (out.size() < shown) out.push_back("not expected in the sink: " + row_text(*row));
  return out;
}

}  // namespace sluice::chaos

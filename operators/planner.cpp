#include "operators/planner.hpp"

#include <absl/strings/match.h>
#include <fmt/format.h>

#include <charconv>
#include <functional>

#include "runtime/core/status.hpp"

namespace sluice::ops {
namespace {

using sql::expr;

absl::Status error_at(sql::position where, std::string_view message) {
  return absl::InvalidArgumentError(
      fmt::format("line {}, column {}: {}", where.line, where.column, message));
}

bool same_name(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

// Structural equality, positions ignored: how a SELECT item is matched with a GROUP BY key.
bool same_expr(const expr& a, const expr& b) {
  if (a.what != b.what || a.args.size() != b.args.size()) return false;
  bool names_match = a.what == expr::kind::call ? same_name(a.name, b.name) : a.name == b.name;
  if (!names_match || a.literal != b.literal || !same_name(a.type_name, b.type_name)) return false;
  for (size_t i = 0; i < a.args.size(); ++i)
    if (!same_expr(a.args[i], b.args[i])) return false;
  return true;
}

std::optional<aggregate_kind> aggregate_of(const expr& e) {
  if (e.what != expr::kind::call) return std::nullopt;
  if (same_name(e.name, "count"))
    return e.args.size() == 1 && e.args[0].what == expr::kind::star ? aggregate_kind::count_star
                                                                     : aggregate_kind::count;
  if (same_name(e.name, "sum")) return aggregate_kind::sum;
  if (same_name(e.name, "min")) return aggregate_kind::min;
  if (same_name(e.name, "max")) return aggregate_kind::max;
  if (same_name(e.name, "avg")) return aggregate_kind::avg;
  return std::nullopt;
}

expr column_ref(std::string name, sql::position pos) {
  expr e;
  e.what = expr::kind::column;
  e.name = std::move(name);
  e.pos = pos;
  return e;
}

absl::StatusOr<absl::Duration> parse_duration_option(const sql::option& option) {
  int64_t ms = 0;
  auto [end, error] = std::from_chars(option.value.data(), option.value.data() + option.value.size(), ms);
  if (error == std::errc() && end == option.value.data() + option.value.size() && ms >= 0)
    return absl::Milliseconds(ms);
  auto micros = parse_duration(option.value);
  if (!micros.ok())
    return error_at(option.pos, fmt::format("{} must be a duration such as \"1 second\" or a number "
                                            "of milliseconds, not '{}'",
                                            option.key, option.value));
  return absl::Microseconds(*micros);
}

absl::StatusOr<job_options> parse_options(const std::vector<sql::option>& options) {
  job_options out;
  for (const auto& option : options) {
    if (same_name(option.key, "checkpointLocation")) {
      out.checkpoint_location = option.value;
    } else if (same_name(option.key, "outputMode")) {
      if (same_name(option.value, "update")) out.mode = output_mode::update;
      else if (same_name(option.value, "append")) out.mode = output_mode::append;
      else
        return error_at(option.pos, fmt::format("outputMode '{}' is not supported; use 'update' "
                                                "or 'append'",
                                                option.value));
    } else if (same_name(option.key, "checkpoint.interval")) {
      SLUICE_ASSIGN_OR_RETURN(out.checkpoint_interval, parse_duration_option(option));
    } else if (same_name(option.key, "lateness")) {
      SLUICE_ASSIGN_OR_RETURN(out.lateness, parse_duration_option(option));
    } else if (same_name(option.key, "lateRowsTable")) {
      out.late_rows_table = option.value;
    } else if (same_name(option.key, "timeZone")) {
      if (!absl::LoadTimeZone(option.value, &out.zone))
        return error_at(option.pos, fmt::format("unknown time zone '{}' (use a name such as "
                                                "UTC or Asia/Shanghai)",
                                                option.value));
    } else {
      return error_at(option.pos,
                      fmt::format("unknown job option '{}'; accepted: checkpointLocation, "
                                  "outputMode, checkpoint.interval, lateness, "
                                  "lateRowsTable, timeZone",
                                  option.key));
    }
  }
  return out;
}

// Splits the SELECT: what each source row contributes, and how a group becomes a sink row.
class select_planner {
 public:
  select_planner(job_plan& plan, std::vector<input_column> input)
      : plan_(plan), input_(std::move(input)) {}

  absl::Status plan_group_by(const std::vector<expr>& group_by) {
    for (const auto& e : group_by) {
      if (e.what == expr::kind::call && is_group_window(e)) {
        SLUICE_RETURN_IF_ERROR(plan_window(e));
        continue;
      }
      if (aggregate_of(e)) return error_at(e.pos, "GROUP BY cannot hold an aggregate function");
      SLUICE_ASSIGN_OR_RETURN(auto key, compile_input(e));
      plan_.keys.push_back(std::move(key));
      key_exprs_.push_back(&e);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<expr> rewrite(const expr& e) {
    if (auto kind = aggregate_of(e)) return rewrite_aggregate(e, *kind);
    if (e.what == expr::kind::call) {
      for (std::string_view group : {"tumble", "hop", "session"}) {
        for (std::string_view bound : {"start", "end"}) {
          if (!same_name(e.name, fmt::format("{}_{}", group, bound))) continue;
          if (!window_call_ || !same_name(window_call_->name, group) ||
              window_call_->args.size() != e.args.size() ||
              !std::equal(e.args.begin(), e.args.end(), window_call_->args.begin(), same_expr))
            return error_at(e.pos, fmt::format("{} needs GROUP BY {}(...) with the same arguments",
                                               e.name, group));
          return column_ref(fmt::format("window.{}", bound), e.pos);
        }
      }
    }
    for (size_t k = 0; k < key_exprs_.size(); ++k)
      if (same_expr(e, *key_exprs_[k])) return column_ref(fmt::format("$key{}", k), e.pos);
    if (e.what == expr::kind::column) {
      if (same_name(e.name, "window.start") || same_name(e.name, "window.end")) {
        if (!plan_.window && !plan_.session_gap)
          return error_at(e.pos, fmt::format("{} needs GROUP BY window(...)", e.name));
        return column_ref(same_name(e.name, "window.start") ? "window.start" : "window.end", e.pos);
      }
      if (same_name(e.name, "session_window.start") || same_name(e.name, "session_window.end")) {
        if (!plan_.session_gap)
          return error_at(e.pos, fmt::format("{} needs GROUP BY session_window(...)", e.name));
        return column_ref(same_name(e.name, "session_window.start") ? "window.start" : "window.end",
                          e.pos);
      }
      return error_at(e.pos, fmt::format("column {} is neither in GROUP BY nor inside an "
                                         "aggregate function",
                                         e.name));
    }
    expr out = e;
    for (auto& arg : out.args) {
      SLUICE_ASSIGN_OR_RETURN(arg, rewrite(arg));
    }
    return out;
  }

  absl::StatusOr<expression> compile_input(const expr& e) {
    return expression::compile(e, input_, plan_.options.zone, plan_.options.dialect);
  }

 private:
  static bool is_group_window(const expr& e) {
    for (std::string_view name : {"window", "tumble", "hop", "session", "session_window"})
      if (same_name(e.name, name)) return true;
    return false;
  }

  // Spark's window(time, "size" [, "slide"]); Flink's TUMBLE(time, INTERVAL size) and HOP(time,
  // INTERVAL slide, INTERVAL size).
  absl::Status plan_window(const expr& e) {
    if (plan_.window || plan_.session_gap) return error_at(e.pos, "GROUP BY can hold one window");
    if (same_name(e.name, "session") || same_name(e.name, "session_window")) return plan_session(e);
    const bool hop = same_name(e.name, "hop"), tumble = same_name(e.name, "tumble");
    const size_t arity = e.args.size();
    if ((hop && arity != 3) || (tumble && arity != 2) || (!hop && !tumble && arity != 2 && arity != 3))
      return error_at(e.pos, hop      ? "HOP(time, INTERVAL slide, INTERVAL size) takes three arguments"
                             : tumble ? "TUMBLE(time, INTERVAL size) takes two arguments"
                                      : "window(time, \"size\" [, \"slide\"]) takes a time, a "
                                        "size and, for sliding windows, a slide");
    SLUICE_ASSIGN_OR_RETURN(auto time, compile_input(e.args[0]));
    if (time.type() != dtype::timestamp)
      return error_at(e.args[0].pos,
                      fmt::format("{}() needs a TIMESTAMP, not {}; for a column of ms since the "
                                  "epoch write {}",
                                  e.name, dtype_name(time.type()),
                                  plan_.options.dialect == sql_dialect::flink
                                      ? "TO_TIMESTAMP_LTZ(ts, 3)"
                                      : "to_timestamp(timestamp / 1000)"));
    std::string durations[2];  // size, slide
    for (size_t i = 1; i < arity; ++i) {
      const expr& duration = e.args[i];
      if (duration.what != expr::kind::literal || !std::holds_alternative<std::string>(duration.literal))
        return error_at(duration.pos, "a window duration is a string such as \"10 seconds\" (or "
                                      "INTERVAL '10' SECOND)");
      durations[hop ? 2 - i : i - 1] = std::get<std::string>(duration.literal);
    }
    auto window = time_window::parse(durations[0], durations[1]);
    if (!window.ok()) return error_at(e.args.back().pos, std::string(window.status().message()));
    plan_.event_time = std::move(time);
    plan_.window = *window;
    window_call_ = &e;
    return absl::OkStatus();
  }

  // Spark's session_window(time, "gap"), Flink's SESSION(time, INTERVAL gap).
  absl::Status plan_session(const expr& e) {
    if (e.args.size() != 2)
      return error_at(e.pos, fmt::format("{}(time, gap) takes a time and a gap", e.name));
    SLUICE_ASSIGN_OR_RETURN(auto time, compile_input(e.args[0]));
    if (time.type() != dtype::timestamp)
      return error_at(e.args[0].pos, fmt::format("{}() needs a TIMESTAMP, not {}", e.name,
                                                 dtype_name(time.type())));
    const expr& gap = e.args[1];
    if (gap.what != expr::kind::literal || !std::holds_alternative<std::string>(gap.literal))
      return error_at(gap.pos, "a session gap is a string such as \"5 minutes\" (or INTERVAL "
                               "'5' MINUTE)");
    auto micros = parse_duration(std::get<std::string>(gap.literal));
    if (!micros.ok()) return error_at(gap.pos, std::string(micros.status().message()));
    if (*micros == 0) return error_at(gap.pos, "a session gap must be positive");
    plan_.event_time = std::move(time);
    plan_.session_gap = *micros;
    window_call_ = &e;
    return absl::OkStatus();
  }

  absl::StatusOr<expr> rewrite_aggregate(const expr& e, aggregate_kind kind) {
    aggregate_spec spec{kind, dtype::null};
    std::optional<expression> input;
    if (kind != aggregate_kind::count_star) {
      if (e.args.size() != 1)
        return error_at(e.pos, fmt::format("{} takes one argument", aggregate_name(kind)));
      for (const auto& arg : e.args[0].args)
        if (aggregate_of(arg)) return error_at(arg.pos, "aggregate functions cannot be nested");
      if (aggregate_of(e.args[0])) return error_at(e.args[0].pos, "aggregate functions cannot be nested");
      SLUICE_ASSIGN_OR_RETURN(input, compile_input(e.args[0]));
      spec.input = input->type();
    }
    if (auto status = check(spec); !status.ok())
      return error_at(e.pos, std::string(status.message()));
    plan_.aggregates.push_back(spec);
    plan_.aggregate_inputs.push_back(std::move(input));
    return column_ref(fmt::format("$agg{}", plan_.aggregates.size() - 1), e.pos);
  }

  job_plan& plan_;
  std::vector<input_column> input_;
  std::vector<const expr*> key_exprs_;
  const expr* window_call_ = nullptr;  // the GROUP BY window
};

std::vector<input_column> input_columns(const table_schema& table) {
  std::vector<input_column> input;
  for (const auto& column : table.columns()) input.push_back({column.name, to_dtype(column.type)});
  return input;
}

absl::Status plan_where(const sql::select_query& query, select_planner& planner, job_plan& p) {
  if (!query.where) return absl::OkStatus();
  SLUICE_ASSIGN_OR_RETURN(auto filter, planner.compile_input(*query.where));
  if (filter.type() != dtype::boolean && filter.type() != dtype::null)
    return error_at(query.where->pos, fmt::format("WHERE needs a BOOLEAN condition, not {}",
                                                  dtype_name(filter.type())));
  p.filter = std::move(filter);
  return absl::OkStatus();
}

// The SELECT items, SELECT * expanded to every input column.
std::vector<sql::select_item> select_items(const sql::select_query& query,
                                           const std::vector<input_column>& input) {
  if (!query.star) return query.items;
  std::vector<sql::select_item> items;
  for (const auto& column : input) items.push_back({column_ref(column.name, query.pos), ""});
  return items;
}

// A query's FROM, bound: the source (and with a JOIN, the join), the columns its expressions read,
// and the query with every column of a join named as `qualifier.column`.
struct bound_input {
  sql::select_query query;
  std::vector<input_column> input;
};

// Calls fn(expr&) for every expression of kind `what` in the query's clauses.
template <typename F>
absl::Status for_each_expr(sql::select_query& query, expr::kind what, F&& fn) {
  std::function<absl::Status(expr&)> walk = [&](expr& e) -> absl::Status {
    if (e.what == what) SLUICE_RETURN_IF_ERROR(fn(e));
    for (auto& arg : e.args) SLUICE_RETURN_IF_ERROR(walk(arg));
    return absl::OkStatus();
  };
  for (auto& item : query.items) SLUICE_RETURN_IF_ERROR(walk(item.value));
  for (auto* clause : {&query.where, &query.having})
    if (*clause) SLUICE_RETURN_IF_ERROR(walk(**clause));
  for (auto& e : query.group_by) SLUICE_RETURN_IF_ERROR(walk(e));
  for (auto& order : query.order_by) SLUICE_RETURN_IF_ERROR(walk(order.value));
  if (query.join) SLUICE_RETURN_IF_ERROR(walk(query.join->on));
  return absl::OkStatus();
}

// The columns of `table` as `qualifier.name`.
std::vector<input_column> qualified_columns(const table_schema& table, const std::string& qualifier) {
  auto input = input_columns(table);
  for (auto& column : input) column.name = qualifier + "." + column.name;
  return input;
}

// Whether every column `e` reads starts with `qualifier.`.
bool reads_only(const expr& e, const std::string& qualifier) {
  if (e.what == expr::kind::column) return absl::StartsWith(e.name, qualifier + ".");
  return std::all_of(e.args.begin(), e.args.end(),
                     [&](const expr& arg) { return reads_only(arg, qualifier); });
}

// ON a.x = b.y [AND ...]: the key pairs, each side's compiled over its own row.
absl::Status plan_join_keys(const expr& on, const std::vector<input_column>& left,
                            const std::vector<input_column>& right, const std::string& lq,
                            const std::string& rq, job_plan& p) {
  if (on.what == expr::kind::binary && on.name == "AND") {
    SLUICE_RETURN_IF_ERROR(plan_join_keys(on.args[0], left, right, lq, rq, p));
    return plan_join_keys(on.args[1], left, right, lq, rq, p);
  }
  const bool equality = on.what == expr::kind::binary && on.name == "=";
  const expr* l = equality ? &on.args[0] : nullptr;
  const expr* r = equality ? &on.args[1] : nullptr;
  if (equality && reads_only(*l, rq) && reads_only(*r, lq)) std::swap(l, r);
  if (!equality || !reads_only(*l, lq) || !reads_only(*r, rq))
    return error_at(on.pos, fmt::format("a join condition is equalities of a {} column and a {} "
                                        "column, joined by AND (put other conditions in WHERE)",
                                        lq, rq));
  auto& join = *p.join;
  SLUICE_ASSIGN_OR_RETURN(auto left_key, expression::compile(*l, left, p.options.zone, p.options.dialect));
  SLUICE_ASSIGN_OR_RETURN(auto right_key, expression::compile(*r, right, p.options.zone, p.options.dialect));
  auto same_type = [](dtype a, dtype b) {
    auto as_stored = [](dtype t) { return t == dtype::timestamp ? dtype::bigint : t; };
    return as_stored(a) == as_stored(b);
  };
  if (!same_type(left_key.type(), right_key.type()))
    return error_at(on.pos, fmt::format("the join compares {} with {}; CAST one side", 
                                        dtype_name(left_key.type()), dtype_name(right_key.type())));
  join.left_keys.push_back(std::move(left_key));
  join.right_keys.push_back(std::move(right_key));
  return absl::OkStatus();
}

absl::StatusOr<bound_input> bind_input(const sql::select_query& query, const session& names,
                                       job_plan& p) {
  bound_input out{query, {}};
  SLUICE_RETURN_IF_ERROR(for_each_expr(out.query, expr::kind::call, [&](expr& e) {
    if (e.args.empty() && (same_name(e.name, "localtimestamp") || same_name(e.name, "current_timestamp"))) {
      e.what = expr::kind::literal;
      e.literal = timestamp{absl::ToUnixMicros(p.options.start_time)};
    }
    return absl::OkStatus();
  }));
  SLUICE_ASSIGN_OR_RETURN(p.source, names.source(query.from, query.from_pos));
  if (!query.join) {
    out.input = input_columns(*p.source.table);
    return out;
  }
  const sql::join_clause& clause = *query.join;
  auto& join = p.join.emplace();
  join.kind = clause.what == sql::join_clause::kind::left ? join_kind::left : join_kind::inner;
  SLUICE_ASSIGN_OR_RETURN(join.right, names.source(clause.table, clause.table_pos));
  const std::string lq = query.from_alias.empty() ? query.from : query.from_alias;
  const std::string rq = clause.alias.empty() ? clause.table : clause.alias;
  if (lq == rq)
    return error_at(clause.table_pos, fmt::format("both sides of the join are called {}; give "
                                                  "them aliases (FROM {} a JOIN {} b ON ...)",
                                                  lq, query.from, clause.table));
  const auto left = qualified_columns(*p.source.table, lq);
  const auto right = qualified_columns(*join.right.table, rq);
  out.input = left;
  out.input.insert(out.input.end(), right.begin(), right.end());
  // A bare column name is the column of the side that has it.
  SLUICE_RETURN_IF_ERROR(for_each_expr(out.query, expr::kind::column, [&](expr& e) -> absl::Status {
    if (absl::StartsWith(e.name, lq + ".") || absl::StartsWith(e.name, rq + ".")) return absl::OkStatus();
    bool in_left = p.source.table->find_column(e.name).has_value();
    bool in_right = join.right.table->find_column(e.name).has_value();
    if (in_left && in_right)
      return error_at(e.pos, fmt::format("column {} is in {} and in {}: write {}.{} or {}.{}",
                                         e.name, lq, rq, lq, e.name, rq, e.name));
    if (in_left || in_right) e.name = (in_left ? lq : rq) + "." + e.name;
    return absl::OkStatus();
  }));
  SLUICE_RETURN_IF_ERROR(plan_join_keys(out.query.join->on, left, right, lq, rq, p));
  return out;
}

bool has_aggregate(const expr& e) {
  if (aggregate_of(e)) return true;
  return std::any_of(e.args.begin(), e.args.end(), has_aggregate);
}

// An expression as SQL text, for the name of a result column without an alias.
std::string expr_text(const expr& e) {
  switch (e.what) {
    case expr::kind::column: return e.name;
    case expr::kind::star: return "*";
    case expr::kind::literal:
      return std::visit(
          [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) return "NULL";
            else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::string>) return fmt::format("'{}'", v);
            else if constexpr (std::is_same_v<T, timestamp>)
              return fmt::format("TIMESTAMP '{}'", timestamp_text(v.micros, absl::UTCTimeZone()));
            else return fmt::format("{}", v);
          },
          e.literal);
    case expr::kind::unary:
      return fmt::format("{}{}{}", e.name, e.name == "-" ? "" : " ", expr_text(e.args[0]));
    case expr::kind::binary:
      return fmt::format("({} {} {})", expr_text(e.args[0]), e.name, expr_text(e.args[1]));
    case expr::kind::cast:
      return fmt::format("CAST({} AS {})", expr_text(e.args[0]), e.type_name);
    case expr::kind::call: {
      std::string text = e.name + "(";
      for (size_t i = 0; i < e.args.size(); ++i) text += (i ? ", " : "") + expr_text(e.args[i]);
      return text + ")";
    }
  }
  return "?";
}

// The statement that makes late-row table `name` of `source`: its columns, then late_row_columns.
std::string late_rows_ddl(const std::string& name, const table_schema& source) {
  std::string columns;
  for (const auto& column : source.columns())
    columns += fmt::format("{} {}, ", column.name, type_name(column.type));
  return fmt::format("CREATE TABLE {} ({}{})", name, columns, late_row_columns);
}

absl::Status check_late_rows_table(const table_schema& late, const table_schema& source,
                                   sql::position where) {
  const std::vector<std::pair<std::string, column_type>> extra = {
      {"window_start", column_type::string}, {"window_end", column_type::string},
      {"arrived", column_type::string},      {"channel", column_type::bigint},
      {"offset", column_type::bigint},       {"retracted", column_type::boolean}};
  bool same = late.column_count() == source.column_count() + extra.size();
  for (size_t c = 0; same && c < late.column_count(); ++c) {
    const auto& want = c < source.column_count()
                           ? std::pair(source.column(c).name, source.column(c).type)
                           : extra[c - source.column_count()];
    same = late.column(c).name == want.first && late.column(c).type == want.second;
  }
  const std::vector<std::string> key = {"channel", "offset", "retracted", "window_start"};
  for (size_t k = 0; same && k < key.size(); ++k)
    same = late.primary_key().size() == key.size() &&
           late.column(late.primary_key()[k]).name == key[k];
  if (same) return absl::OkStatus();
  return error_at(where, fmt::format("late-row table {} is {}; it should be {}", late.name(),
                                     late.describe(), late_rows_ddl(late.name(), source)));
}

// A projection's keys are its SELECT items, those of the sink key first, and a count(*) counts
// each distinct result row; the outputs read the keys back in the sink's column order.
absl::StatusOr<std::vector<expr>> plan_projection(const std::vector<sql::select_item>& items,
                                                  select_planner& planner, job_plan& p) {
  std::vector<size_t> order(p.sink->primary_key().begin(), p.sink->primary_key().end());
  for (size_t i = 0; i < items.size(); ++i)
    if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
  std::vector<expr> outputs(items.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const expr& item = items[order[k]].value;
    SLUICE_ASSIGN_OR_RETURN(auto key, planner.compile_input(item));
    p.keys.push_back(std::move(key));
    outputs[order[k]] = column_ref(fmt::format("$key{}", k), item.pos);
  }
  p.aggregates.push_back({aggregate_kind::count_star, dtype::null});
  p.aggregate_inputs.emplace_back();
  p.routed_keys = p.sink->primary_key().size();
  return outputs;
}

expr cast_to(expr e, std::string type_name) {
  expr cast;
  cast.what = expr::kind::cast;
  cast.pos = e.pos;
  cast.type_name = std::move(type_name);
  cast.args.push_back(std::move(e));
  return cast;
}

// TIMESTAMP 'text' of the string literal `e`.
expr timestamp_literal(expr e) {
  expr cast = cast_to(std::move(e), "TIMESTAMP");
  cast.name = "TIMESTAMP";
  return cast;
}

bool is_string_literal(const expr& e) {
  return e.what == expr::kind::literal && std::holds_alternative<std::string>(e.literal);
}

bool assignable(dtype from, column_type to) {
  if (from == dtype::null) return true;
  if (from == to_dtype(to)) return true;
  return from == dtype::bigint && to == column_type::double_;
}

absl::StatusOr<std::shared_ptr<const job_plan>> plan(std::string name,
                                                     const std::vector<sql::option>& options,
                                                     const std::string& sink,
                                                     sql::position sink_pos,
                                                     const sql::select_query& written,
                                                     const session& names,
                                                     absl::Time start_time) {
  auto result = std::make_shared<job_plan>();
  job_plan& p = *result;
  p.name = std::move(name);
  SLUICE_ASSIGN_OR_RETURN(p.options, parse_options(options));
  p.options.dialect = names.dialect();
  p.options.start_time = start_time;
  if (written.having)
    return error_at(written.having->pos, "a job cannot have HAVING yet; it works in SELECT queries");
  if (!written.order_by.empty() || written.limit)
    return error_at(written.pos, "a job writes every group: ORDER BY and LIMIT apply to SELECT "
                                 "queries only");
  SLUICE_ASSIGN_OR_RETURN(auto bound, bind_input(written, names, p));
  const sql::select_query& query = bound.query;
  SLUICE_ASSIGN_OR_RETURN(p.sink, names.sink(sink, sink_pos));
  const auto& input = bound.input;
  if (p.join && p.options.lateness)
    return error_at(query.pos, "a join keeps both sides whole, with no lateness; drop the "
                               "lateness option");
  select_planner planner(p, input);
  SLUICE_RETURN_IF_ERROR(plan_where(query, planner, p));
  SLUICE_RETURN_IF_ERROR(planner.plan_group_by(query.group_by));
  if (p.options.mode == output_mode::append && (!p.window || !p.options.lateness))
    return error_at(query.pos, "outputMode 'append' writes each window once, when it is final: "
                               "it needs GROUP BY window(...) and a lateness option");
  if (p.options.lateness && p.session_gap)
    return error_at(query.pos, "session windows do not take a lateness yet: a session stays open "
                               "for its rows' retractions; drop the lateness option");
  if (p.options.lateness && !p.window)
    return error_at(query.pos, "a lateness applies to windows: add GROUP BY window(...) or drop "
                               "the lateness option");
  if (!p.options.late_rows_table.empty()) {
    if (!p.options.lateness || !p.window)
      return error_at(query.pos, "lateRowsTable keeps the rows that come for windows already "
                                 "final: it needs GROUP BY window(...) and a lateness option");
    auto late = names.sink(p.options.late_rows_table, query.pos);
    if (!late.ok())
      return absl::Status(late.status().code(),
                          fmt::format("{}; make it with {}", std::string(late.status().message()),
                                      late_rows_ddl(p.options.late_rows_table, *p.source.table)));
    p.late_rows = *late;
    SLUICE_RETURN_IF_ERROR(check_late_rows_table(*p.late_rows, *p.source.table, query.pos));
  }
  std::vector<expr> rewritten;
  const auto items = select_items(query, input);
  if (items.size() != p.sink->column_count())
    return error_at(query.pos, fmt::format("{} has {} columns but the SELECT gives {}",
                                           p.sink->name(), p.sink->column_count(), items.size()));
  p.projection = query.group_by.empty() &&
                 std::none_of(items.begin(), items.end(),
                              [](const auto& item) { return has_aggregate(item.value); });
  if (p.projection) {
    SLUICE_ASSIGN_OR_RETURN(rewritten, plan_projection(items, planner, p));
  } else {
    for (const auto& item : items) {
      SLUICE_ASSIGN_OR_RETURN(rewritten.emplace_back(), planner.rewrite(item.value));
    }
  }
  auto output = output_columns(p.keys, p.aggregates);
  for (size_t i = 0; i < rewritten.size(); ++i) {
    const auto& column = p.sink->column(i);
    if (column.type == column_type::timestamp && is_string_literal(rewritten[i]))
      rewritten[i] = timestamp_literal(std::move(rewritten[i]));
    SLUICE_ASSIGN_OR_RETURN(auto out, expression::compile(rewritten[i], output, p.options.zone,
                                                          p.options.dialect));
    if (!assignable(out.type(), column.type))
      return error_at(items[i].value.pos,
                      fmt::format("column {} of {} is {}, but SELECT item {} is {}; CAST it",
                                  column.name, p.sink->name(), type_name(column.type), i + 1,
                                  dtype_name(out.type())));
    p.outputs.push_back(std::move(out));
  }
  if (p.options.checkpoint_location.empty()) p.options.checkpoint_location = p.name;
  p.fingerprint = fmt::format("source {}/{} tunnel {} sink {}/{} filter {} window {} keys",
                              p.source.table->name(), p.source.table->id(), p.source.tunnel_id,
                              p.sink->name(), p.sink->id(), p.filter.has_value(),
                              p.window ? p.window->size() : 0);
  if (p.window && p.window->slide() != p.window->size())
    p.fingerprint += fmt::format(" sliding {}", p.window->slide());
  if (p.session_gap) p.fingerprint += fmt::format(" session {}", *p.session_gap);
  for (const auto& key : p.keys) p.fingerprint += fmt::format(" {}", dtype_name(key.type()));
  p.fingerprint += " aggregates";
  for (const auto& a : p.aggregates)
    p.fingerprint += fmt::format(" {}({})", aggregate_name(a.kind), dtype_name(a.input));
  if (p.options.dialect == sql_dialect::flink) p.fingerprint += " flink";
  if (p.late_rows)
    p.fingerprint += fmt::format(" late rows {}/{}", p.late_rows->name(), p.late_rows->id());
  if (p.source.ignore_delete) p.fingerprint += " ignoring deletes";
  if (p.projection) p.fingerprint += " projection";
  if (p.join) {
    const auto& right = p.join->right;
    p.fingerprint += fmt::format(" {} join {}/{} tunnel {} on", p.join->kind == join_kind::left ? "left" : "inner",
                                 right.table->name(), right.table->id(), right.tunnel_id);
    for (const auto& key : p.join->left_keys) p.fingerprint += fmt::format(" {}", dtype_name(key.type()));
    if (right.ignore_delete) p.fingerprint += " ignoring right deletes";
    // The join state keeps only these columns of its rows (and packs them as below).
    p.fingerprint += " keeping ";
    for (bool read : p.columns_read()) p.fingerprint += read ? '1' : '0';
  }
  return std::shared_ptr<const job_plan>(std::move(result));
}

column_type result_column_type(dtype type) {
  switch (type) {
    case dtype::boolean: return column_type::boolean;
    case dtype::bigint: return column_type::bigint;
    case dtype::timestamp: return column_type::timestamp;
    case dtype::double_: return column_type::double_;
    default: return column_type::string;
  }
}


}  // namespace

absl::StatusOr<query_plan> plan_query(const sql::select_statement& statement,
                                      const session& names,
                                      std::optional<absl::Time> start_time) {
  query_plan out;
  auto job = std::make_shared<job_plan>();
  job_plan& p = *job;
  p.name = fmt::format("query at line {}", statement.pos.line);
  p.options.dialect = names.dialect();
  p.options.start_time = start_time.value_or(absl::Now());
  SLUICE_ASSIGN_OR_RETURN(auto from, bind_input(statement.query, names, p));
  const sql::select_query& query = from.query;
  const auto& input = from.input;
  select_planner planner(p, input);
  SLUICE_RETURN_IF_ERROR(plan_where(query, planner, p));
  const auto items = select_items(query, input);
  out.grouped = !query.group_by.empty() || (query.having && has_aggregate(*query.having)) ||
                std::any_of(items.begin(), items.end(),
                            [](const auto& item) { return has_aggregate(item.value); });
  if (query.having && !out.grouped)
    return error_at(query.having->pos, "HAVING needs GROUP BY or an aggregate function");
  if (out.grouped) SLUICE_RETURN_IF_ERROR(planner.plan_group_by(query.group_by));
  // Named as written, before a join's columns were qualified.
  for (const auto& item : select_items(statement.query, input))
    out.columns.push_back(item.alias.empty() ? expr_text(item.value) : item.alias);
  // Every output is bound first (binding plans the aggregates, which make the output row a
  // group's), then compiled: the shown columns, then HAVING and ORDER BY as hidden ones.
  std::vector<std::pair<expr, bool>> bound;  // (expression, shown)
  auto bind = [&](const expr& e, bool shown) -> absl::StatusOr<size_t> {
    if (out.grouped) {
      SLUICE_ASSIGN_OR_RETURN(auto rewritten, planner.rewrite(e));
      bound.emplace_back(std::move(rewritten), shown);
    } else if (has_aggregate(e)) {
      return error_at(e.pos, "aggregate functions need GROUP BY or an aggregate query");
    } else {
      bound.emplace_back(e, shown);
    }
    return bound.size() - 1;
  };
  for (const auto& item : items) SLUICE_RETURN_IF_ERROR(bind(item.value, true).status());
  if (query.having) {
    SLUICE_ASSIGN_OR_RETURN(out.having, bind(*query.having, false));
  }
  for (const auto& order : query.order_by) {
    const expr& e = order.value;
    std::optional<size_t> output;
    if (e.what == expr::kind::literal && std::holds_alternative<int64_t>(e.literal)) {
      int64_t position = std::get<int64_t>(e.literal);
      if (position < 1 || static_cast<size_t>(position) > items.size())
        return error_at(e.pos, fmt::format("ORDER BY {} is not a column position: the query has "
                                           "columns 1..{}",
                                           position, items.size()));
      output = static_cast<size_t>(position - 1);
    } else if (e.what == expr::kind::column) {
      auto named = std::find(out.columns.begin(), out.columns.end(), e.name);
      if (named != out.columns.end()) output = static_cast<size_t>(named - out.columns.begin());
    }
    if (!output) {
      SLUICE_ASSIGN_OR_RETURN(output, bind(e, false));
    }
    out.order.push_back({*output, order.descending});
  }
  const auto rows = out.grouped ? output_columns(p.keys, p.aggregates) : input;
  for (auto& [e, shown] : bound) {
    SLUICE_ASSIGN_OR_RETURN(auto compiled,
                            expression::compile(e, rows, p.options.zone, p.options.dialect));
    // TIMESTAMPs show as Spark shows them, as text in the session time zone.
    if (shown && compiled.type() == dtype::timestamp) {
      SLUICE_ASSIGN_OR_RETURN(compiled, expression::compile(cast_to(e, "STRING"), rows,
                                                            p.options.zone, p.options.dialect));
    }
    p.outputs.push_back(std::move(compiled));
  }
  if (out.having) {
    auto type = p.outputs[*out.having].type();
    if (type != dtype::boolean && type != dtype::null)
      return error_at(query.having->pos,
                      fmt::format("HAVING needs a BOOLEAN condition, not {}", dtype_name(type)));
  }
  out.limit = query.limit;
  std::vector<column_def> columns;
  for (size_t c = 0; c < p.outputs.size(); ++c)
    columns.push_back({fmt::format("${}", c), result_column_type(p.outputs[c].type())});
  SLUICE_ASSIGN_OR_RETURN(auto result, table_schema::create(0, "result", std::move(columns), {"$0"}, 1));
  p.sink = std::make_shared<const table_schema>(std::move(result));
  out.job = std::move(job);
  return out;
}

std::vector<input_column> output_columns(const std::vector<expression>& keys,
                                         const std::vector<aggregate_spec>& aggregates) {
  std::vector<input_column> columns;
  for (size_t k = 0; k < keys.size(); ++k) columns.push_back({fmt::format("$key{}", k), keys[k].type()});
  columns.push_back({"window.start", dtype::timestamp});
  columns.push_back({"window.end", dtype::timestamp});
  for (size_t a = 0; a < aggregates.size(); ++a)
    columns.push_back({fmt::format("$agg{}", a), result_type(aggregates[a])});
  return columns;
}

std::string job_name(const sql::create_stream& statement) { return statement.name; }

std::string job_name(const sql::insert_select& statement) {
  return fmt::format("insert into {} at line {}", statement.sink, statement.pos.line);
}

absl::StatusOr<std::shared_ptr<const job_plan>> plan_job(const sql::create_stream& statement,
                                                         const session& names,
                                                         std::optional<absl::Time> start_time) {
  return plan(job_name(statement), statement.options, statement.sink, statement.sink_pos,
              statement.query, names, start_time.value_or(absl::Now()));
}

absl::StatusOr<std::shared_ptr<const job_plan>> plan_job(const sql::insert_select& statement,
                                                         const session& names,
                                                         std::optional<absl::Time> start_time) {
  return plan(job_name(statement), {}, statement.sink, statement.pos, statement.query, names,
              start_time.value_or(absl::Now()));
}

}  // namespace sluice::ops

#include "operators/batch.hpp"

#include <absl/container/flat_hash_set.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <limits>

#include "operators/join.hpp"
#include "operators/partial_aggregator.hpp"
#include "operators/reducer_state.hpp"
#include "runtime/core/key_codec.hpp"
#include "runtime/core/status.hpp"

namespace sluice::ops {
namespace {

// Calls fn(reader, row bytes) for every input row of the plan: the source table's rows, read
// by `readers` threads, or the joined rows of both sides' (by one).
absl::Status for_each_input_row(const std::shared_ptr<const job_plan>& plan, const store::api& db,
                                unsigned readers,
                                const std::function<absl::Status(unsigned, std::string_view)>& fn) {
  if (!plan->join) return db.scan_images(*plan->source.table, readers, fn);
  // The right side first, so that each left row finds its matches there: the result then comes
  // without retractions.
  join_state joined(plan->join->kind);
  const std::vector<uint32_t> owner(key_groups, 0);
  for (auto side : {join_side::right, join_side::left}) {
    join_router router(plan, side);
    const auto& table = side == join_side::left ? *plan->source.table : *plan->join->right.table;
    SLUICE_RETURN_IF_ERROR(db.scan_images(table, 1, [&](unsigned, std::string_view image) {
      return router.add_row(image);
    }));
    auto messages = router.flush(owner, 1, 0, 0);
    if (messages[0].empty()) continue;
    SLUICE_RETURN_IF_ERROR(joined.merge(messages[0], [&](std::string_view row, int64_t weight) {
      for (int64_t i = 0; i < weight; ++i) SLUICE_RETURN_IF_ERROR(fn(0, row));
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

struct grouped {
  row_batch rows;
  uint64_t rows_read = 0;
};

// The plan's sink rows over a snapshot of its source: every group, each window final.
absl::StatusOr<grouped> aggregate(std::shared_ptr<const job_plan> plan, const store::api& db,
                                  unsigned readers) {
  readers = std::max(1u, readers);
  // One cache line each: readers on other cores count without sharing one.
  struct alignas(64) reader_state {
    explicit reader_state(std::shared_ptr<const job_plan> plan) : partial(std::move(plan)) {}
    partial_aggregator partial;
    uint64_t read = 0;
  };
  std::vector<std::unique_ptr<reader_state>> state;
  for (unsigned r = 0; r < readers; ++r) state.push_back(std::make_unique<reader_state>(plan));
  if (plan->join) readers = 1;
  SLUICE_RETURN_IF_ERROR(for_each_input_row(plan, db, readers,
                                        [&](unsigned reader, std::string_view row) {
                                          auto& s = *state[reader];
                                          ++s.read;
                                          return s.partial.add_row(row, +1);
                                        }));
  reducer_state reducer(plan);
  const std::vector<uint32_t> owner(key_groups, 0);
  uint64_t rows_read = 0;
  for (auto& s : state) {
    rows_read += s->read;
    auto messages = s->partial.flush(owner, 1, 0, 0);
    if (!messages[0].empty()) SLUICE_RETURN_IF_ERROR(reducer.merge(messages[0]));
  }
  reducer.advance_watermark(std::numeric_limits<int64_t>::max());
  const bool global =
      plan->keys.empty() && !plan->window && !plan->session_gap && reducer.size() == 0;
  SLUICE_ASSIGN_OR_RETURN(auto rows, reducer.take_changes());
  if (global) {
    // SQL: an aggregate without GROUP BY over no rows is one row (count 0, sum NULL).
    SLUICE_ASSIGN_OR_RETURN(auto row, reducer.empty_group_row());
    size_t r = rows.add_row(change_op::put);
    for (size_t c = 0; c < row.size(); ++c) rows.set(r, c, std::move(row[c]));
  }
  return grouped{std::move(rows), rows_read};
}

std::string key_of(const table_schema& table, std::span<const value> row) {
  std::string key;
  for (auto k : table.primary_key()) append_key_cell(row[k], key);
  return key;
}

// A total order of one column's values: NULL first, NaN above every other double.
int compare(const value& a, const value& b) {
  if (a.index() != b.index()) return a.index() < b.index() ? -1 : 1;
  if (const double* x = std::get_if<double>(&a)) {
    double y = std::get<double>(b);
    if (std::isnan(*x) || std::isnan(y)) return std::isnan(*x) - std::isnan(y);
    return *x < y ? -1 : (*x > y ? 1 : 0);
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Without aggregates: the outputs of every source row the filter keeps.
absl::StatusOr<query_result> project(const query_plan& plan, const store::api& db,
                                     unsigned readers) {
  const job_plan& job = *plan.job;
  readers = std::max(1u, readers);
  if (job.join) readers = 1;
  std::vector<bool> used(job.input_width(), false);
  if (job.filter) job.filter->mark_columns(used);
  for (const auto& output : job.outputs) output.mark_columns(used);
  struct alignas(64) reader_state {
    std::vector<datum> row;
    string_arena arena;
    std::vector<std::vector<value>> out;
    uint64_t read = 0;
  };
  std::vector<reader_state> state(readers);
  SLUICE_RETURN_IF_ERROR(for_each_input_row(
      plan.job, db, readers, [&](unsigned reader, std::string_view image) {
        auto& s = state[reader];
        ++s.read;
        if (!to_datums(image, used, s.row)) return absl::DataLossError("a row of the table is corrupt");
        s.arena.clear();
        if (job.filter) {
          datum keep = job.filter->eval(s.row, s.arena);
          if (keep.is_null() || !keep.boolean) return absl::OkStatus();
        }
        auto& row = s.out.emplace_back();
        for (const auto& output : job.outputs) row.push_back(to_value(output.eval(s.row, s.arena)));
        return absl::OkStatus();
      }));
  query_result result;
  for (auto& s : state) {
    result.rows_read += s.read;
    std::move(s.out.begin(), s.out.end(), std::back_inserter(result.rows));
  }
  return result;
}

}  // namespace

absl::StatusOr<batch_result> run_batch(std::shared_ptr<const job_plan> plan, bool overwrite,
                                       store::api& db, unsigned readers) {
  auto start = std::chrono::steady_clock::now();
  SLUICE_ASSIGN_OR_RETURN(auto result, aggregate(plan, db, readers));
  batch_result out;
  out.rows_read = result.rows_read;
  row_batch& rows = result.rows;
  if (overwrite) {
    const table_schema& sink = *plan->sink;
    absl::flat_hash_set<std::string> kept;
    std::vector<value> row(sink.column_count());
    for (size_t r = 0; r < rows.size(); ++r) {
      for (size_t c = 0; c < row.size(); ++c) row[c] = rows.get(r, c);
      kept.insert(key_of(sink, row));
    }
    SLUICE_RETURN_IF_ERROR(db.scan(sink, [&](std::span<const value> stored) {
      if (kept.contains(key_of(sink, stored))) return absl::OkStatus();
      size_t r = rows.add_row(change_op::delete_);
      for (auto k : sink.primary_key()) rows.set(r, k, stored[k]);
      ++out.deleted;
      return absl::OkStatus();
    }));
  }
  if (!rows.empty()) {
    SLUICE_ASSIGN_OR_RETURN(out.written, db.write(rows));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

absl::StatusOr<query_result> run_query(const query_plan& plan, const store::api& db,
                                       unsigned readers) {
  query_result result;
  if (plan.grouped) {
    SLUICE_ASSIGN_OR_RETURN(auto groups, aggregate(plan.job, db, readers));
    result.rows_read = groups.rows_read;
    const size_t width = plan.job->outputs.size();
    for (size_t r = 0; r < groups.rows.size(); ++r) {
      auto& row = result.rows.emplace_back();
      for (size_t c = 0; c < width; ++c) row.push_back(groups.rows.get(r, c));
    }
  } else {
    SLUICE_ASSIGN_OR_RETURN(result, project(plan, db, readers));
  }
  if (plan.having) {
    const size_t h = *plan.having;
    std::erase_if(result.rows, [&](const std::vector<value>& row) {
      const bool* keep = std::get_if<bool>(&row[h]);
      return keep == nullptr || !*keep;
    });
  }
  const size_t shown = plan.columns.size();
  auto before = [&](const std::vector<value>& a, const std::vector<value>& b) {
    for (const auto& key : plan.order)
      if (int c = compare(a[key.output], b[key.output]); c != 0) return key.descending ? c > 0 : c < 0;
    for (size_t c = 0; c < shown; ++c)
      if (int order = compare(a[c], b[c]); order != 0) return order < 0;
    return false;
  };
  if (plan.limit && *plan.limit < result.rows.size()) {
    std::partial_sort(result.rows.begin(), result.rows.begin() + static_cast<ptrdiff_t>(*plan.limit),
                      result.rows.end(), before);
    result.rows.resize(*plan.limit);
  } else {
    std::sort(result.rows.begin(), result.rows.end(), before);
  }
  for (auto& row : result.rows) row.resize(shown);
  result.columns = plan.columns;
  return result;
}

}  // namespace sluice::ops

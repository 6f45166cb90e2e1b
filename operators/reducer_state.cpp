#include "operators/reducer_state.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <absl/time/clock.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "runtime/core/key_codec.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"
#include "operators/wire_message.hpp"

namespace sluice::ops {
namespace {

template <typename F>
absl::Status read_partial_batch(std::span<const char> bytes, F&& fn) {
  return read_message<wire::PartialBatch>(bytes, "a partial batch", std::forward<F>(fn));
}

// |rows| (defined for the lowest int64 too).
uint64_t magnitude(int64_t rows) {
  return rows < 0 ? uint64_t{0} - static_cast<uint64_t>(rows) : static_cast<uint64_t>(rows);
}

value to_column(const datum& d, column_type type) {
  if (d.type == dtype::bigint && type == column_type::double_)
    return static_cast<double>(d.bigint);
  return to_value(d);
}

}  // namespace

reducer_state::reducer_state(std::shared_ptr<const job_plan> plan)
    : plan_(std::move(plan)),
      groups_(plan_->aggregates, plan_->routed_keys, plan_->session_gap.has_value()),
      intent_(plan_->session_gap.has_value(), 4096) {}

absl::Status reducer_state::check_shape(capnp::List<wire::PartialGroup>::Reader groups) const {
  for (auto group : groups)
    if (group.getKey().size() != plan_->keys.size() ||
        group.getAggregates().size() != plan_->aggregates.size())
      return absl::InvalidArgumentError(fmt::format(
          "a partial batch holds a group of {} keys and {} aggregates; the job's have {} and {}",
          group.getKey().size(), group.getAggregates().size(), plan_->keys.size(),
          plan_->aggregates.size()));
  return absl::OkStatus();
}

absl::Status reducer_state::merge(std::span<const char> partial_batch) {
  absl::Status shape;
  auto read = read_partial_batch(partial_batch, [&](wire::PartialBatch::Reader batch) {
    batch.totalSize();  // walks the whole message: a bad one throws before anything is merged
    auto groups = batch.getGroups();
    shape = check_shape(groups);
    if (!shape.ok()) return;
    std::vector<bool> late;  // which groups were late: kept for a late-row table only
    if (plan_->late_rows) late.assign(groups.size(), false);
    for (uint32_t i = 0; i < groups.size(); ++i) {
      auto group = groups[i];
      if (plan_->options.lateness && plan_->window &&
          group.getWindowStart() + plan_->window->size() <= watermark_) {
        // With a late-row table, each image written to it counts (an update's two as well).
        if (plan_->late_rows) late[i] = true;
        else late_rows_ += magnitude(group.getRows());
        continue;
      }
      groups_.merge(group);
    }
    if (!plan_->late_rows) return;
    const std::string arrived = timestamp_text(absl::ToUnixMicros(absl::Now()), plan_->options.zone);
    for (auto candidate : batch.getLate()) {
      if (candidate.getGroup() >= groups.size() || !late[candidate.getGroup()]) continue;
      add_late_row(candidate, groups[candidate.getGroup()].getWindowStart(), arrived);
      ++late_rows_;
    }
  });
  SLUICE_RETURN_IF_ERROR(read);
  return shape;
}

void reducer_state::add_late_row(wire::LateCandidate::Reader candidate, int64_t window_start,
                                 const std::string& arrived) {
  const table_schema& source = *plan_->source.table;
  if (!late_) late_.emplace(plan_->late_rows);
  std::vector<value> row;
  auto image = candidate.getImage();
  auto decoded = decode_row(std::string_view(reinterpret_cast<const char*>(image.begin()), image.size()),
                            source.column_count(), row);
  if (!decoded.ok()) return;  // a corrupt image: its record fails the source that read it
  size_t r = late_->add_row(change_op::put);
  for (size_t c = 0; c < row.size(); ++c) late_->set(r, c, std::move(row[c]));
  size_t c = source.column_count();
  late_->set(r, c++, timestamp_text(window_start, plan_->options.zone));
  late_->set(r, c++, timestamp_text(window_start + plan_->window->size(), plan_->options.zone));
  late_->set(r, c++, arrived);
  late_->set(r, c++, static_cast<int64_t>(candidate.getChannel()));
  late_->set(r, c++, static_cast<int64_t>(candidate.getOffset()));
  late_->set(r, c, candidate.getRetracted());
}

std::optional<row_batch> reducer_state::take_late_rows() { return std::exchange(late_, std::nullopt); }

void reducer_state::advance_watermark(int64_t watermark) {
  watermark_ = std::max(watermark_, watermark);
}

bool reducer_state::is_final(const group_state& group) const {
  return plan_->options.lateness && plan_->window &&
         group.window_start + plan_->window->size() <= watermark_;
}

int64_t reducer_state::window_end(const group_state& group) const {
  return plan_->window ? group.window_start + plan_->window->size() : 0;
}

absl::StatusOr<std::vector<value>> reducer_state::sink_row(const group_state& group,
                                                           int64_t window_end) {
  const job_plan& plan = *plan_;
  output_.clear();
  for (const auto& key : group.key) output_.push_back(to_datum(key));
  if (plan.window || plan.session_gap) {
    output_.push_back(datum::of_timestamp(group.window_start));
    output_.push_back(datum::of_timestamp(window_end));
  } else {
    output_.push_back(datum::null());
    output_.push_back(datum::null());
  }
  std::vector<value> results;
  results.reserve(plan.aggregates.size());
  for (size_t a = 0; a < plan.aggregates.size(); ++a) {
    SLUICE_ASSIGN_OR_RETURN(results.emplace_back(), group.aggregates[a].result(plan.aggregates[a]));
  }
  for (const auto& result : results) output_.push_back(to_datum(result));
  std::vector<value> row;
  row.reserve(plan.outputs.size());
  for (size_t c = 0; c < plan.outputs.size(); ++c)
    row.push_back(to_column(plan.outputs[c].eval(output_, arena_), plan.sink->column(c).type));
  return row;
}

absl::StatusOr<std::vector<value>> reducer_state::empty_group_row() {
  group_state empty;
  empty.aggregates.resize(plan_->aggregates.size());
  return sink_row(empty, 0);
}

absl::StatusOr<row_batch> reducer_state::take_changes() {
  if (plan_->session_gap) return take_session_changes();
  row_batch changes(plan_->sink);
  absl::Status status;
  bool append = plan_->options.mode == output_mode::append;
  auto emit = [&](const group_state& group) {
    return append ? is_final(group) : group.changed || is_final(group);
  };
  auto drop = [&](const group_state& group) { return is_final(group); };
  // Deletes first: a projection's new row of a sink key may come with the delete of its old one.
  row_batch deletes(plan_->sink);
  groups_.take(emit, drop, [&](group_state& group) {
    if (!status.ok()) return;
    auto row = sink_row(group, window_end(group));
    if (!row.ok()) {
      status = row.status();
      return;
    }
    intent_.add(group, 0);
    row_batch& into = group.rows == 0 ? deletes : changes;
    size_t r = into.add_row(group.rows == 0 ? change_op::delete_ : change_op::put);
    for (size_t c = 0; c < row->size(); ++c) into.set(r, c, std::move((*row)[c]));
  });
  arena_.clear();
  SLUICE_RETURN_IF_ERROR(status);
  if (deletes.empty()) return changes;
  for (size_t r = 0; r < changes.size(); ++r) {
    size_t to = deletes.add_row(change_op::put);
    for (size_t c = 0; c < plan_->sink->column_count(); ++c) deletes.set(to, c, changes.get(r, c));
  }
  return deletes;
}

std::vector<store::snapshot_chunk> reducer_state::snapshot(const std::vector<bool>& owns,
                                                           const std::vector<bool>& imaged,
                                                           size_t groups_per_chunk) {
  auto in = [](const std::vector<bool>& which, uint32_t key_group) {
    return key_group < which.size() && which[key_group];
  };
  std::vector<const group_state*> all;
  groups_.take_dirty([&](const group_state& group, bool dirty) {
    if (dirty || in(imaged, group.key_group)) all.push_back(&group);
  });
  auto removed = groups_.take_removed();
  for (const auto& group : removed)
    if (!in(imaged, group.key_group)) all.push_back(&group);
  std::stable_sort(all.begin(), all.end(), [](const group_state* a, const group_state* b) {
    return a->key_group < b->key_group;
  });
  std::vector<store::snapshot_chunk> chunks;
  size_t first = 0;
  for (uint32_t g = 0; g < key_groups; ++g) {
    size_t end = first;
    while (end < all.size() && all[end]->key_group == g) ++end;
    if (end == first && !in(owns, g)) continue;
    do {
      size_t count = std::min(groups_per_chunk, end - first);
      size_t bytes = 4;
      for (size_t i = 0; i < count; ++i) bytes += group_table::wire_size(*all[first + i]);
      capnp::MallocMessageBuilder message(first_segment_words(bytes));
      auto root = message.initRoot<wire::PartialBatch>();
      root.setWatermark(watermark_);
      if (in(imaged, g) && (chunks.empty() || chunks.back().slot != g)) root.initImaged(1).set(0, g);
      auto groups = root.initGroups(count);
      for (size_t i = 0; i < count; ++i) group_table::to_wire(*all[first + i], groups[i]);
      chunks.push_back({g, message_bytes(message)});
      first += count;
    } while (first < end);
  }
  return chunks;
}

absl::flat_hash_map<std::string, std::vector<const group_state*>> reducer_state::groups_by_key(
    absl::flat_hash_set<std::string>* changed_keys) {
  absl::flat_hash_map<std::string, std::vector<const group_state*>> keys;
  std::string key;
  auto key_of = [&](const group_state& group) -> const std::string& {
    key.clear();
    for (const auto& v : group.key) append_key_cell(v, key);
    return key;
  };
  groups_.take(
      [&](const group_state& group) {
        if (changed_keys && group.changed) changed_keys->insert(key_of(group));
        return true;
      },
      [](const group_state&) { return false; },
      [&](group_state& group) {
        if (!group_table::is_empty(group)) keys[key_of(group)].push_back(&group);
      });
  for (auto& [k, members] : keys)
    std::sort(members.begin(), members.end(),
              [](const group_state* a, const group_state* b) { return a->window_start < b->window_start; });
  return keys;
}

std::vector<reducer_state::session> reducer_state::sessions_of(
    const std::vector<const group_state*>& members) const {
  const int64_t gap = *plan_->session_gap;
  std::vector<session> out;
  for (const group_state* group : members) {
    if (out.empty() || group->window_start >= out.back().end) {
      session next;
      next.merged.key = group->key;
      next.merged.window_start = group->window_start;
      next.merged.aggregates.resize(plan_->aggregates.size());
      out.push_back(std::move(next));
    }
    session& current = out.back();
    current.end = group->window_start + gap;
    current.merged.rows += group->rows;
    for (size_t a = 0; a < plan_->aggregates.size(); ++a)
      current.merged.aggregates[a].merge(group->aggregates[a]);
  }
  return out;
}

absl::StatusOr<row_batch> reducer_state::take_session_changes() {
  row_batch changes(plan_->sink);
  auto add = [&](const group_state& group, int64_t end, change_op op) -> absl::Status {
    SLUICE_ASSIGN_OR_RETURN(auto row, sink_row(group, end));
    intent_.add(group, end);
    size_t r = changes.add_row(op);
    for (size_t c = 0; c < row.size(); ++c) changes.set(r, c, std::move(row[c]));
    return absl::OkStatus();
  };
  absl::flat_hash_set<std::string> changed;
  auto keys = groups_by_key(&changed);
  for (const auto& k : changed) {
    std::vector<session> now;
    if (auto it = keys.find(k); it != keys.end()) now = sessions_of(it->second);
    auto& sink = emitted_[k];
    if (!now.empty()) sink.key = now.front().merged.key;
    // Deletes first: a new session may have the sink key of one it replaces.
    for (const auto& emitted : sink.sessions) {
      const auto [start, end] = emitted;
      bool kept = std::any_of(now.begin(), now.end(), [&emitted](const session& s) {
        return s.merged.window_start == emitted.first && s.end == emitted.second;
      });
      if (kept) continue;
      group_state gone;
      gone.key = sink.key;
      gone.window_start = start;
      gone.aggregates.resize(plan_->aggregates.size());
      SLUICE_RETURN_IF_ERROR(add(gone, end, change_op::delete_));
    }
    sink.sessions.clear();
    for (const auto& s : now) {
      SLUICE_RETURN_IF_ERROR(add(s.merged, s.end, change_op::put));
      sink.sessions.emplace_back(s.merged.window_start, s.end);
    }
    if (now.empty()) emitted_.erase(k);
  }
  arena_.clear();
  return changes;
}

absl::Status reducer_state::restore(std::span<const char> snapshot) {
  absl::Status shape;
  auto read = read_partial_batch(snapshot, [&](wire::PartialBatch::Reader batch) {
    batch.totalSize();  // walks the whole message: a bad one throws before anything is applied
    shape = check_shape(batch.getGroups());
    if (!shape.ok()) return;
    advance_watermark(batch.getWatermark());
    auto imaged = batch.getImaged();
    if (imaged.size() > 0) {
      std::vector<bool> drop(key_groups, false);
      for (uint32_t g : imaged)
        if (g < key_groups) drop[g] = true;
      groups_.erase_key_groups([&](uint32_t key_group) { return drop[key_group]; });
    }
    for (auto group : batch.getGroups()) groups_.replace(group);
  });
  SLUICE_RETURN_IF_ERROR(read);
  return shape;
}

void reducer_state::finish_restore(absl::FunctionRef<bool(uint32_t)> owns) {
  groups_.erase_key_groups([&](uint32_t key_group) { return !owns(key_group); });
  if (plan_->session_gap) {
    // What the sink holds: the sessions of the restored groups.
    emitted_.clear();
    for (const auto& [k, members] : groups_by_key(nullptr)) {
      auto& sink = emitted_[k];
      for (const auto& s : sessions_of(members)) {
        sink.key = s.merged.key;
        sink.sessions.emplace_back(s.merged.window_start, s.end);
      }
    }
  }
  groups_.take_changed([](group_state&) {});
  groups_.take_dirty([](const group_state&, bool) {});
  groups_.take_removed();
}

absl::Status reducer_state::rewrite(std::span<const char> intent,
                                    absl::FunctionRef<bool(uint32_t)> owns) {
  absl::Status shape;
  auto read = read_message<wire::SinkIntent>(intent, "a sink intent", [&](wire::SinkIntent::Reader in) {
    in.totalSize();  // walks the whole message: a bad one throws before anything is marked
    auto groups = in.getGroups();
    auto ends = in.getSessionEnds();
    if (plan_->session_gap && ends.size() != groups.size()) {
      shape = absl::InvalidArgumentError(fmt::format(
          "a sink intent holds {} sessions and {} ends", groups.size(), ends.size()));
      return;
    }
    for (auto group : groups)
      if (group.getKey().size() != plan_->keys.size()) {
        shape = absl::InvalidArgumentError(fmt::format(
            "a sink intent holds a group of {} keys; the job's have {}", group.getKey().size(),
            plan_->keys.size()));
        return;
      }
    std::string key;
    for (uint32_t i = 0; i < groups.size(); ++i) {
      const group_state& group = groups_.at(groups[i]);
      if (!plan_->session_gap || !owns(group.key_group)) continue;
      // The session as the sink may hold it: deleted unless the state has it still.
      key.clear();
      for (const auto& v : group.key) append_key_cell(v, key);
      auto& sink = emitted_[key];
      sink.key = group.key;
      const std::pair<int64_t, int64_t> session{group.window_start, ends[i]};
      if (std::find(sink.sessions.begin(), sink.sessions.end(), session) == sink.sessions.end())
        sink.sessions.push_back(session);
    }
  });
  groups_.erase_key_groups([&](uint32_t key_group) { return !owns(key_group); });
  SLUICE_RETURN_IF_ERROR(read);
  return shape;
}

}  // namespace sluice::ops

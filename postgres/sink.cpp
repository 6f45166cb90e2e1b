#include "postgres/sink.hpp"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/str_join.h>
#include <absl/time/clock.h>
#include <fmt/format.h>

#include <deque>

#include "postgres/table.hpp"
#include "runtime/core/key_codec.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"
#include "runtime/core/timestamp_text.hpp"

namespace sluice::postgres {
namespace {

constexpr size_t records_per_channel_read = 4096;
constexpr size_t records_per_transaction = 32768;
constexpr size_t rows_per_statement = 16384;
constexpr auto poll_interval = absl::Milliseconds(100);

constexpr std::string_view create_offsets =
    "CREATE TABLE IF NOT EXISTS sluice_sink_offsets (sink text NOT NULL, channel integer NOT "
    "NULL, next_offset bigint NOT NULL, PRIMARY KEY (sink, channel))";

// What a batch of changes leaves of one key: its last row, or nothing (deleted).
struct key_state {
  std::vector<value> row;
  bool deleted = false;
};

// A cell as PostgreSQL's text input reads it; false for NULL.
bool cell_text(const value& cell, std::string& out) {
  struct visitor {
    std::string& out;
    bool operator()(std::monostate) const { return false; }
    bool operator()(bool b) const { out = b ? "true" : "false"; return true; }
    bool operator()(int64_t n) const { out = fmt::format("{}", n); return true; }
    bool operator()(double d) const { out = fmt::format("{}", d); return true; }
    bool operator()(const std::string& s) const { out = s; return true; }
    bool operator()(timestamp t) const {
      out = timestamp_text(t.micros, absl::UTCTimeZone()) + "+00";  // ignored by a plain timestamp
      return true;
    }
  };
  return std::visit(visitor{out}, cell);
}

// Statement parameters as text; nullptr is NULL.
class statement_parameters {
 public:
  void add(std::string text) { pointers_.push_back(texts_.emplace_back(std::move(text)).c_str()); }
  size_t size() const { return pointers_.size(); }
  const std::vector<const char*>& pointers() const { return pointers_; }

 private:
  std::deque<std::string> texts_;  // a deque keeps the pointers valid as it grows
  std::vector<const char*> pointers_;
};

// Column `c` of `states` as a PostgreSQL array literal: {"a","b",NULL}.
std::string array_of(const std::vector<const key_state*>& states, size_t c) {
  std::string out = "{", text;
  for (const auto* state : states) {
    if (out.size() > 1) out += ',';
    if (!cell_text(state->row[c], text)) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char ch : text) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> columns_of(const table_layout& layout, const std::vector<size_t>& which) {
  std::vector<std::string> names;
  for (auto c : which) names.push_back(layout.columns[c]);
  return names;
}

// Runs `statement` over `states`, its columns `columns` as one array parameter each
// ($1::type[], ...), in chunks of rows_per_statement. `statement` gets the unnest(...) call.
absl::Status in_chunks(connection& pg, const std::vector<const key_state*>& states,
                       const std::vector<size_t>& columns, const table_layout& layout,
                       const std::function<std::string(const std::string& unnest)>& statement) {
  std::vector<std::string> arrays;
  for (size_t i = 0; i < columns.size(); ++i)
    arrays.push_back(fmt::format("${}::{}[]", i + 1, layout.types[columns[i]]));
  const std::string text = statement(fmt::format("unnest({})", absl::StrJoin(arrays, ", ")));
  for (size_t first = 0; first < states.size(); first += rows_per_statement) {
    std::vector<const key_state*> chunk(
        states.begin() + first, states.begin() + std::min(states.size(), first + rows_per_statement));
    statement_parameters parameters;
    for (auto c : columns) parameters.add(array_of(chunk, c));
    SLUICE_RETURN_IF_ERROR(pg.execute(text, parameters.pointers()).status());
  }
  return absl::OkStatus();
}

}  // namespace

sink::sink(sink_target target, std::shared_ptr<const table_schema> table, const store::api& db,
           log_fn log)
    : target_(std::move(target)), table_(std::move(table)), db_(db), log_(std::move(log)) {
  name_ = fmt::format("{} -> {} at {}", target_.store_table, target_.where.table,
                      describe_server(target_.where));
  sink_id_ = fmt::format("{}#{} -> {}", target_.store_table, table_->id(), target_.where.table);
}

sink::~sink() = default;

absl::Status sink::check() {
  SLUICE_ASSIGN_OR_RETURN(auto pg, connection::connect(target_.where));
  return prepare_table(*pg, target_.where, *table_).status();
}

absl::Status sink::run(const std::atomic<bool>& stop, bool until_caught_up) {
  return retry_outages(stop, log_, [&](bool& progressed) {
    return pass(stop, until_caught_up, progressed);
  });
}

absl::Status sink::pass(const std::atomic<bool>& stop, bool until_caught_up, bool& progressed) {
  SLUICE_ASSIGN_OR_RETURN(auto pg, connection::connect(target_.where));
  SLUICE_ASSIGN_OR_RETURN(auto layout, prepare_table(*pg, target_.where, *table_));
  if (auto created = pg->execute(create_offsets); !created.ok()) {
    // Two sinks creating it at once: one of them fails on the catalog's unique index.
    SLUICE_RETURN_IF_ERROR(pg->execute(create_offsets).status());
  }
  statement_parameters seed;
  seed.add(sink_id_);
  std::vector<std::string> channels;
  for (uint32_t c = 0; c < table_->channels(); ++c) {
    seed.add(std::to_string(c));
    channels.push_back(fmt::format("($1, ${}::integer, 0)", seed.size()));
  }
  SLUICE_RETURN_IF_ERROR(pg->execute(fmt::format("INSERT INTO sluice_sink_offsets VALUES {} ON "
                                                 "CONFLICT DO NOTHING",
                                                 absl::StrJoin(channels, ", ")),
                                     seed.pointers())
                             .status());
  std::vector<uint64_t> next(table_->channels(), 0);
  while (true) {
    const bool ending = stop || until_caught_up;
    SLUICE_ASSIGN_OR_RETURN(auto ends, db_.end_offsets(*table_));
    if (ending && !final_ends_) final_ends_ = ends;
    const auto& until = final_ends_ ? *final_ends_ : ends;
    SLUICE_ASSIGN_OR_RETURN(bool applied, apply(*pg, layout, next, until));
    progressed |= applied;
    if (applied) continue;
    if (ending) return absl::OkStatus();
    for (auto wake = absl::Now() + poll_interval; !stop && absl::Now() < wake;)
      absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<bool> sink::apply(connection& pg, const table_layout& layout,
                                 std::vector<uint64_t>& next, const std::vector<uint64_t>& end) {
  bool behind = false;
  for (uint32_t c = 0; c < table_->channels(); ++c) behind |= next[c] < end[c];
  if (!behind) return false;
  SLUICE_RETURN_IF_ERROR(pg.execute("BEGIN").status());
  auto rollback = [&](absl::Status status) {
    pg.execute("ROLLBACK").IgnoreError();
    return status;
  };
  // The offsets as the last transaction left them, locked until this one ends.
  auto stored = pg.execute("SELECT channel, next_offset FROM sluice_sink_offsets WHERE sink = $1 "
                           "FOR UPDATE",
                           {sink_id_.c_str()});
  if (!stored.ok()) return rollback(stored.status());
  for (const auto& row : *stored) {
    uint32_t channel = std::stoul(*row[0]);
    if (channel < next.size()) next[channel] = std::stoull(*row[1]);
  }

  absl::flat_hash_map<std::string, size_t> index;
  std::vector<key_state> states;
  std::vector<uint64_t> reached = next;
  size_t records = 0;
  std::string key;
  std::vector<value> row;
  for (uint32_t c = 0; c < table_->channels(); ++c) {
    while (reached[c] < end[c] && records < records_per_transaction) {
      auto batch = db_.read_channel(*table_, c, reached[c],
                                    std::min(records_per_channel_read, end[c] - reached[c]));
      if (!batch.ok()) return rollback(batch.status());
      if (batch->empty()) break;
      absl::Status decoded;
      batch->for_each([&](uint64_t, wire::ChangeRecord::Reader record) {
        if (!decoded.ok()) return;
        const bool deleted = !record.hasAfter();
        decoded = decode_row(store::image_bytes(deleted ? record.getBefore() : record.getAfter()),
                             table_->column_count(), row);
        if (!decoded.ok()) return;
        key.clear();
        for (auto k : table_->primary_key()) append_key_cell(row[k], key);
        auto [at, added] = index.try_emplace(key, states.size());
        if (added) states.emplace_back();
        states[at->second] = {row, deleted};
      });
      if (!decoded.ok()) return rollback(decoded);
      records += batch->size();
      reached[c] = batch->end_offset();
    }
  }
  if (reached == next) {  // another sink of these tables got there first
    SLUICE_RETURN_IF_ERROR(pg.execute("COMMIT").status());
    return false;
  }

  std::vector<const key_state*> upserts, deletes;
  for (const auto& state : states) (state.deleted ? deletes : upserts).push_back(&state);
  std::vector<size_t> all(table_->column_count()), key_columns(table_->primary_key().begin(),
                                                                table_->primary_key().end()),
      updated;
  for (size_t c = 0; c < all.size(); ++c) {
    all[c] = c;
    if (!table_->is_key(c)) updated.push_back(c);
  }
  std::vector<std::string> assignments;
  for (auto c : updated)
    assignments.push_back(fmt::format("{0} = EXCLUDED.{0}", layout.columns[c]));
  const std::string conflict =
      assignments.empty() ? "DO NOTHING"
                          : fmt::format("DO UPDATE SET {}", absl::StrJoin(assignments, ", "));
  const std::string keys = absl::StrJoin(columns_of(layout, key_columns), ", ");
  auto written = in_chunks(pg, deletes, key_columns, layout, [&](const std::string& unnest) {
    return fmt::format("DELETE FROM {} WHERE ({}) IN (SELECT * FROM {})", layout.name, keys,
                       unnest);
  });
  if (written.ok())
    written = in_chunks(pg, upserts, all, layout, [&](const std::string& unnest) {
      return fmt::format("INSERT INTO {} ({}) SELECT * FROM {} ON CONFLICT ({}) {}", layout.name,
                         absl::StrJoin(layout.columns, ", "), unnest, keys, conflict);
    });
  for (uint32_t c = 0; written.ok() && c < table_->channels(); ++c) {
    if (reached[c] == next[c]) continue;
    const std::string channel = std::to_string(c), offset = std::to_string(reached[c]);
    written = pg.execute("UPDATE sluice_sink_offsets SET next_offset = $3::bigint WHERE sink = $1 "
                         "AND channel = $2::integer",
                         {sink_id_.c_str(), channel.c_str(), offset.c_str()})
                  .status();
  }
  if (written.ok()) written = pg.execute("COMMIT").status();
  if (!written.ok()) return rollback(written);
  next = reached;
  return true;
}

}  // namespace sluice::postgres

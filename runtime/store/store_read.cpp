// The read paths: channel reads, consistent scans and base snapshots.
#include <absl/cleanup/cleanup.h>
#include <fmt/format.h>
#include <rocksdb/db.h>

#include <queue>

#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"
#include "runtime/store/keys.hpp"
#include "runtime/store/store_state.hpp"

namespace sluice::store {

absl::StatusOr<change_batch> store::read_channel(const table_schema& table, uint32_t channel,
                                                 uint64_t from, size_t max_records) const {
  uint64_t end;
  {
    absl::ReaderMutexLock lock(&mu_);
    SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(table));
    if (channel >= state->ends.size())
      return absl::InvalidArgumentError(fmt::format("table {} has channels 0..{}, not {}",
                                                    table.name(), state->ends.size() - 1,
                                                    channel));
    end = state->ends[channel];
  }
  if (from > end)
    return absl::OutOfRangeError(fmt::format(
        "channel {} of table {} ends at offset {}; cannot read from {}", channel, table.name(),
        end, from));
  end = std::min(end, from + max_records);
  if (from == end) return change_batch::empty(table.id(), channel, from);

  // Records below `end` were written before `end` was read, so the iterator sees them all.
  std::string upper = keys::segment(table.id(), channel, end);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, log_));
  std::string prefix = keys::channel_prefix(table.id(), channel);
  it->SeekForPrev(keys::segment(table.id(), channel, from));
  if (!it->Valid()) it->Seek(prefix);
  bool first = true;
  auto batch = change_batch::create(
      table.id(), channel, from, end, [&]() -> std::optional<std::string_view> {
        // create() copies a segment before asking for the next, so the iterator may move on.
        if (!first) it->Next();
        first = false;
        if (!it->Valid() || !it->key().starts_with(prefix)) return std::nullopt;
        return it->value().ToStringView();
      });
  SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading a channel"));
  return batch;
}


absl::Status store::scan(const table_schema& table,
                         const std::function<absl::Status(std::span<const value>)>& fn) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    SLUICE_RETURN_IF_ERROR(live_table(table).status());
  }
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  absl::Cleanup release = [&] { db_->ReleaseSnapshot(snapshot); };
  // Rows are kept per channel, each channel in key order: merge the channels.
  const uint32_t channels = table.channels();
  std::vector<std::string> bounds;
  for (uint32_t c = 0; c <= channels; ++c) bounds.push_back(keys::channel_prefix(table.id(), c));
  std::vector<rocksdb::Slice> upper(bounds.begin() + 1, bounds.end());
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators;
  for (uint32_t c = 0; c < channels; ++c) {
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot;
    read_options.iterate_upper_bound = &upper[c];
    iterators.emplace_back(db_->NewIterator(read_options, rows_));
    iterators.back()->Seek(bounds[c]);
  }
  auto key_of = [&](uint32_t c) {
    return iterators[c]->key().ToStringView().substr(keys::channel_prefix_size);
  };
  auto later = [&](uint32_t a, uint32_t b) { return key_of(a) > key_of(b); };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(later)> heads(later);
  for (uint32_t c = 0; c < channels; ++c) {
    SLUICE_RETURN_IF_ERROR(from_rocksdb(iterators[c]->status(), "scanning rows"));
    if (iterators[c]->Valid()) heads.push(c);
  }
  std::vector<value> row;
  while (!heads.empty()) {
    uint32_t c = heads.top();
    heads.pop();
    SLUICE_RETURN_IF_ERROR(
        decode_row(iterators[c]->value().ToStringView(), table.column_count(), row));
    SLUICE_RETURN_IF_ERROR(fn(row));
    iterators[c]->Next();
    SLUICE_RETURN_IF_ERROR(from_rocksdb(iterators[c]->status(), "scanning rows"));
    if (iterators[c]->Valid()) heads.push(c);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<base_snapshot>> store::snapshot(const table_schema& table) const {
  // Under the write lock no write is half way: the snapshot and the end offsets agree.
  absl::MutexLock write_lock(&write_mu_);
  absl::ReaderMutexLock lock(&mu_);
  SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(table));
  return std::unique_ptr<base_snapshot>(
      new base_snapshot(*this, state->schema, db_->GetSnapshot(), state->ends));
}

base_snapshot::base_snapshot(const store& owner, std::shared_ptr<const table_schema> table,
                             const rocksdb::Snapshot* snapshot, std::vector<uint64_t> end_offsets)
    : store_(owner),
      table_(std::move(table)),
      snapshot_(snapshot),
      end_offsets_(std::move(end_offsets)) {}

base_snapshot::~base_snapshot() { store_.db_->ReleaseSnapshot(snapshot_); }

absl::StatusOr<base_snapshot::chunk> base_snapshot::read(uint32_t channel,
                                                         std::string_view resume_key,
                                                         size_t max_rows) const {
  if (channel >= table_->channels())
    return absl::InvalidArgumentError(fmt::format("table {} has channels 0..{}, not {}",
                                                  table_->name(), table_->channels() - 1,
                                                  channel));
  std::string prefix = keys::channel_prefix(table_->id(), channel);
  std::string upper = keys::channel_prefix(table_->id(), channel + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot_;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store_.db_->NewIterator(read_options, store_.rows_));
  it->Seek(prefix + std::string(resume_key));
  if (!resume_key.empty() && it->Valid() &&
      it->key().ToStringView().substr(keys::channel_prefix_size) == resume_key)
    it->Next();
  chunk out;
  for (; it->Valid() && out.rows.size() < max_rows; it->Next()) {
    SLUICE_RETURN_IF_ERROR(decode_row(it->value().ToStringView(), table_->column_count(),
                                      out.rows.emplace_back()));
    out.resume_key = std::string(it->key().ToStringView().substr(keys::channel_prefix_size));
  }
  SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading a base snapshot"));
  out.done = !it->Valid();
  if (out.done) out.resume_key.clear();
  return out;
}

}  // namespace sluice::store

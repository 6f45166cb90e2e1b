// The read paths: channel reads, consistent scans and base snapshots.
#include <fmt/format.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>

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
  SLUICE_ASSIGN_OR_RETURN(auto cursor, open_scan(table));
  return cursor->read(std::numeric_limits<size_t>::max(), fn);
}

absl::StatusOr<std::unique_ptr<scan_cursor>> store::open_scan(const table_schema& table,
                                                              std::string_view after_key) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    SLUICE_RETURN_IF_ERROR(live_table(table).status());
  }
  auto cursor = std::unique_ptr<scan_cursor>(new scan_cursor(*this, table));
  SLUICE_RETURN_IF_ERROR(cursor->start(after_key));
  return cursor;
}

scan_cursor::scan_cursor(const store& owner, const table_schema& table)
    : store_(owner), width_(table.column_count()), snapshot_(owner.db_->GetSnapshot()) {
  for (uint32_t c = 0; c <= table.channels(); ++c)
    bounds_.push_back(keys::channel_prefix(table.id(), c));
  upper_.assign(bounds_.begin() + 1, bounds_.end());
}

scan_cursor::~scan_cursor() {
  iterators_.clear();
  store_.db_->ReleaseSnapshot(snapshot_);
}

std::string_view scan_cursor::key_of(uint32_t channel) const {
  return iterators_[channel]->key().ToStringView().substr(keys::channel_prefix_size);
}

absl::Status scan_cursor::start(std::string_view after_key) {
  // Rows are kept per channel, each channel in key order: the cursor merges the channels.
  for (uint32_t c = 0; c < upper_.size(); ++c) {
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot_;
    read_options.iterate_upper_bound = &upper_[c];
    auto& it = iterators_.emplace_back(store_.db_->NewIterator(read_options, store_.rows_));
    it->Seek(bounds_[c] + std::string(after_key));
    if (!after_key.empty() && it->Valid() && key_of(c) == after_key) it->Next();
    SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "scanning rows"));
    if (it->Valid()) heads_.push_back(c);
  }
  auto later = [this](uint32_t a, uint32_t b) { return this->later(a, b); };
  std::make_heap(heads_.begin(), heads_.end(), later);
  return absl::OkStatus();
}

absl::Status scan_cursor::read(size_t max_rows,
                               const std::function<absl::Status(std::span<const value>)>& fn) {
  auto later = [this](uint32_t a, uint32_t b) { return this->later(a, b); };
  for (size_t n = 0; n < max_rows && !heads_.empty(); ++n) {
    std::pop_heap(heads_.begin(), heads_.end(), later);
    uint32_t c = heads_.back();
    heads_.pop_back();
    auto& it = iterators_[c];
    SLUICE_RETURN_IF_ERROR(decode_row(it->value().ToStringView(), width_, row_));
    last_key_ = key_of(c);
    SLUICE_RETURN_IF_ERROR(fn(row_));
    it->Next();
    SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "scanning rows"));
    if (it->Valid()) {
      heads_.push_back(c);
      std::push_heap(heads_.begin(), heads_.end(), later);
    }
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

absl::Status store::scan_images(const table_schema& table, unsigned readers,
                                const image_fn& fn) const {
  SLUICE_ASSIGN_OR_RETURN(auto view, snapshot(table));
  const uint32_t channels = view->table_->channels();
  std::atomic<uint32_t> next_channel{0};
  std::atomic<bool> failed{false};
  std::vector<absl::Status> results(std::clamp(readers, 1u, channels));
  auto read = [&](unsigned reader) {
    for (uint32_t c = next_channel++; c < channels && !failed; c = next_channel++) {
      results[reader] = view->for_each_image(c, [&](std::string_view row) { return fn(reader, row); });
      if (!results[reader].ok()) failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned r = 1; r < results.size(); ++r) threads.emplace_back(read, r);
  read(0);
  for (auto& thread : threads) thread.join();
  for (auto& result : results) SLUICE_RETURN_IF_ERROR(result);
  return absl::OkStatus();
}

// An iterator over the rows of one channel in the snapshot, with the bound it reads up to (which
// must outlive it: the struct is not moved).
struct base_snapshot::channel_rows {
  template <typename Tune>
  channel_rows(const base_snapshot& view, uint32_t channel, Tune&& tune)
      : prefix(keys::channel_prefix(view.table_->id(), channel)),
        upper(keys::channel_prefix(view.table_->id(), channel + 1)),
        upper_slice(upper) {
    rocksdb::ReadOptions options;
    options.snapshot = view.snapshot_;
    options.iterate_upper_bound = &upper_slice;
    tune(options);
    it.reset(view.store_.db_->NewIterator(options, view.store_.rows_));
  }
  channel_rows(const channel_rows&) = delete;

  std::string prefix;
  std::string upper;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
};

absl::Status base_snapshot::for_each_image(
    uint32_t channel, const std::function<absl::Status(std::string_view row)>& fn) const {
  // A whole table read once: read ahead, and leave the block cache to what is read often.
  channel_rows rows(*this, channel, [](rocksdb::ReadOptions& options) {
    options.readahead_size = 2 << 20;
    options.fill_cache = false;
  });
  auto& it = rows.it;
  for (it->Seek(rows.prefix); it->Valid(); it->Next())
    SLUICE_RETURN_IF_ERROR(fn(it->value().ToStringView()));
  return from_rocksdb(it->status(), "reading a base snapshot");
}

absl::StatusOr<base_snapshot::chunk> base_snapshot::read(uint32_t channel,
                                                         std::string_view resume_key,
                                                         size_t max_rows) const {
  if (channel >= table_->channels())
    return absl::InvalidArgumentError(fmt::format("table {} has channels 0..{}, not {}",
                                                  table_->name(), table_->channels() - 1,
                                                  channel));
  channel_rows rows(*this, channel, [](rocksdb::ReadOptions&) {});
  auto& it = rows.it;
  it->Seek(rows.prefix + std::string(resume_key));
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

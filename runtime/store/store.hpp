// The durable store: tables with typed schemas, their rows, the tunnel of each table split into
// channels, and the catalog. RocksDB underneath (see docs/architecture.md for the key layout).
//
// Contract:
// - Every method is thread-safe. Writes (row batches, catalog changes, tunnel commits) are
//   serialized; reads run concurrently with them and see whole writes only.
// - A write is atomic: the rows of a batch, the change records it appends to the channels and the
//   channels' end offsets change in one RocksDB write batch, or nothing changes.
// - Once a write returns OK it survives a crash of the process (SIGKILL); with options::sync it
//   also survives a crash of the machine.
// - One process opens a data directory for writing at a time; a second open fails with
//   FailedPrecondition. Read-only opens may sit beside it.
#pragma once

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/store/api.hpp"

namespace rocksdb {
class DB;
class WriteBatch;
class ColumnFamilyHandle;
class Snapshot;
class Iterator;
class Slice;
}  // namespace rocksdb

namespace sluice::store {

struct options {
  std::filesystem::path dir;
  // fsync the log on every write: survives power loss, at the cost of a disk flush per batch.
  bool sync = false;
  // Open a point-in-time view that refuses writes, beside a process that has the directory open
  // for writing (for `sluice scan` and `sluice tunnel` while a job or the generator runs).
  bool read_only = false;
};

class base_snapshot;
class scan_cursor;

// Names a write of a remote client so that a retry of it is applied once (see
// store::write(batch, by, id)). A client numbers its writes 1, 2, 3, ... in the order it
// sends them; several may be in flight at once.
struct client_write {
  std::string client;  // random, unique per client
  uint64_t seq = 0;
  // Every write of this client numbered below it has been answered: the store may forget them.
  uint64_t answered_below = 0;
};

class store final : public api {
 public:
  static absl::StatusOr<std::unique_ptr<store>> open(const options& opts);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // --- catalog
  // The methods of api are documented there.
  absl::StatusOr<std::vector<std::string>> apply_catalog(std::span<const catalog_op> ops,
                                                         size_t* failed_op = nullptr) override;
  absl::StatusOr<std::shared_ptr<const table_schema>> find_table(
      std::string_view name) const override;
  std::vector<std::shared_ptr<const table_schema>> tables() const;

  // --- writes
  absl::StatusOr<write_result> write(const row_batch& batch, const fence& by = {}) override;
  // The same, applied at most once per (id.client, id.seq): a write seen before returns the
  // result recorded then and changes nothing, and so does a write numbered below an
  // answered_below the client has sent (its answer was given; this is a stale copy). The record
  // of a client is one key holding its unanswered writes, changed in the write's atomic batch.
  absl::StatusOr<write_result> write(const row_batch& batch, const fence& by,
                                     const client_write& id);
  absl::StatusOr<write_result> write_at(const row_batch& batch, const source_position& at) override;
  // The same, applied at most once per (id.client, id.seq), as write(batch, by, id).
  absl::StatusOr<write_result> write_at(const row_batch& batch, const source_position& at,
                                        const client_write& id);
  absl::StatusOr<std::string> source_position_of(std::string_view source) const override;

  // --- the tunnel
  absl::StatusOr<std::vector<uint64_t>> end_offsets(const table_schema& table) const override;
  absl::StatusOr<change_batch> read_channel(const table_schema& table, uint32_t channel,
                                            uint64_t from, size_t max_records) const override;
  absl::StatusOr<std::vector<tunnel_info>> tunnels(const table_schema& table) const override;
  absl::StatusOr<tunnel_info> find_tunnel(const table_schema& table,
                                          std::string_view id_or_name) const override;
  // Records that every record below offsets[c] of channel c is consumed through this tunnel.
  absl::Status commit_tunnel(const table_schema& table, std::string_view id_or_name,
                             std::span<const uint64_t> offsets);
  // A consistent snapshot of the table's rows, with the end offsets its channels had then.
  absl::StatusOr<std::unique_ptr<base_snapshot>> snapshot(const table_schema& table) const;

  // --- checkpoints of streaming jobs (see checkpoint.hpp)
  absl::Status put_snapshot(std::string_view job, uint64_t checkpoint_id, slot_range slots,
                            std::span<const snapshot_chunk> chunks,
                            const fence& by = {}) override;
  absl::StatusOr<std::vector<std::string>> get_snapshot(std::string_view job,
                                                        uint64_t checkpoint_id,
                                                        slot_range slots) const override;
  absl::Status put_sink_intent(std::string_view job, uint64_t checkpoint_id, uint32_t part,
                               std::span<const std::vector<char>> chunks,
                               const fence& by = {}) override;
  absl::StatusOr<std::vector<std::string>> sink_intents(std::string_view job) const override;
  absl::Status complete_checkpoint(std::string_view job, const checkpoint& cp,
                                   std::span<const source_tunnel> sources,
                                   const fence& by = {}) override;
  absl::StatusOr<checkpoint> last_checkpoint(std::string_view job) const override;

  // --- jobs of a cluster
  absl::Status put_job(const job_record& job) override;
  absl::StatusOr<std::vector<job_record>> jobs() const override;
  absl::StatusOr<int64_t> start_time_of(std::string_view job, int64_t now_us) override;

  // --- scans
  absl::Status scan(const table_schema& table,
                    const std::function<absl::Status(std::span<const value>)>& fn) const override;
  // Channels are read by up to `readers` threads of this call, from one RocksDB snapshot.
  absl::Status scan_images(const table_schema& table, unsigned readers,
                           const image_fn& fn) const override;
  // The same scan read a page at a time, starting after the row whose encoded primary key is
  // `after_key` (empty: from the first row); see scan_cursor.
  absl::StatusOr<std::unique_ptr<scan_cursor>> open_scan(const table_schema& table,
                                                         std::string_view after_key = {}) const;

 private:
  friend class base_snapshot;
  friend class scan_cursor;
  struct table_state;

  store() = default;
  absl::Status load_catalog();
  // A new directory is marked with the change log format this code writes (images as row_codec
  // bytes: version "2"); one of another format, or an unmarked one with tables (version 1: images
  // as lists of values), is refused rather than misread.
  absl::Status check_log_format();
  static constexpr const char* log_format_version = "2";
  // FailedPrecondition on a read-only store.
  absl::Status check_writable() const;
  // The state of `table` if it is still the live table of that name (not dropped or recreated).
  absl::StatusOr<const table_state*> live_table(const table_schema& table) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<const tunnel_info*> tunnel_of(const table_state& state,
                                               std::string_view id_or_name) const;
  // Writes `batch` durably (fsync'd with options::sync); `what` names it in errors.
  absl::Status commit(rocksdb::WriteBatch& batch, std::string_view what);
  // The tunnel of `table` with its committed offsets set to `offsets`, checked against the
  // channels' ends. The caller holds write_mu_, writes the tunnel, then calls remember_tunnel.
  absl::StatusOr<tunnel_info> tunnel_committed_at(const table_schema& table,
                                                  std::string_view id_or_name,
                                                  std::span<const uint64_t> offsets) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void remember_tunnel(const table_schema& table, tunnel_info tunnel);
  absl::StatusOr<write_result> apply_write(const row_batch& batch, const fence& by,
                                           const client_write* id, const source_position* at);
  // FailedPrecondition when `by` names a job whose record has a newer epoch.
  absl::Status check_fence(const fence& by) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Replaces the meta values from `first` up to `end` with `values`, in one fenced write (a
  // snapshot, a sink intent).
  using keyed_value = std::pair<std::string, std::span<const char>>;
  absl::Status replace_range(const std::string& first, const std::string& end,
                             std::span<const keyed_value> values, const fence& by,
                             std::string_view doing);
  // The meta values from `first` up to `end`, in key order.
  absl::StatusOr<std::vector<std::string>> values_between(const std::string& first,
                                                          const std::string& end,
                                                          std::string_view doing) const;

  options options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;  // catalog, tunnels, end offsets
  rocksdb::ColumnFamilyHandle* rows_ = nullptr;  // table rows by (table, channel, primary key)
  rocksdb::ColumnFamilyHandle* log_ = nullptr;   // change segments by (table, channel, offset)
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  mutable absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one writer at a time
  mutable absl::Mutex mu_;
  std::map<std::string, table_state, std::less<>> tables_ ABSL_GUARDED_BY(mu_);
  uint32_t next_table_id_ ABSL_GUARDED_BY(write_mu_) = 1;
  // The epoch of every job record, for the fence check of each write.
  std::map<std::string, uint64_t, std::less<>> job_epochs_ ABSL_GUARDED_BY(write_mu_);
};

// A consistent view of one table's rows (a base tunnel's data), read channel by channel in
// primary-key order. Holds a RocksDB snapshot until destroyed; must not outlive its store.
class base_snapshot {
 public:
  ~base_snapshot();
  // The end offsets of the channels when the snapshot was taken: a base_and_stream tunnel's
  // stream part starts there.
  const std::vector<uint64_t>& end_offsets() const { return end_offsets_; }

  struct chunk {
    std::vector<std::vector<value>> rows;
    std::string resume_key;  // pass to the next read; empty with done
    bool done = false;       // the channel has no rows after these
  };
  // At most `max_rows` rows of `channel` that come after `resume_key` (empty: from the first).
  absl::StatusOr<chunk> read(uint32_t channel, std::string_view resume_key, size_t max_rows) const;
  // fn(row) for every row of `channel`, as row_codec bytes, in primary-key order; stops early
  // with fn's error. Thread-safe: channels may be read at the same time.
  absl::Status for_each_image(uint32_t channel,
                              const std::function<absl::Status(std::string_view row)>& fn) const;

 private:
  friend class store;
  base_snapshot(const store& owner, std::shared_ptr<const table_schema> table,
                const rocksdb::Snapshot* snapshot, std::vector<uint64_t> end_offsets);
  struct channel_rows;

  const store& store_;
  std::shared_ptr<const table_schema> table_;
  const rocksdb::Snapshot* snapshot_;
  std::vector<uint64_t> end_offsets_;
};

// The rows of one table in primary-key order from a consistent snapshot, read in pages: what
// store::scan and a remote scan are made of. Holds a RocksDB snapshot until destroyed; must not
// outlive its store. One reader at a time.
class scan_cursor {
 public:
  ~scan_cursor();
  // Calls fn with each of the next rows, at most `max_rows`; stops early with fn's error.
  absl::Status read(size_t max_rows, const std::function<absl::Status(std::span<const value>)>& fn);
  bool done() const { return heads_.empty(); }
  // The encoded primary key of the last row read: open_scan(table, it) continues after it.
  const std::string& last_key() const { return last_key_; }

 private:
  friend class store;
  scan_cursor(const store& owner, const table_schema& table);
  absl::Status start(std::string_view after_key);
  std::string_view key_of(uint32_t channel) const;
  bool later(uint32_t a, uint32_t b) const { return key_of(a) > key_of(b); }

  const store& store_;
  size_t width_;
  const rocksdb::Snapshot* snapshot_;
  std::vector<std::string> bounds_;  // channel prefixes 0..channels
  std::vector<rocksdb::Slice> upper_;
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators_;
  std::vector<uint32_t> heads_;  // a heap of channels with rows left, least key on top
  std::string last_key_;
  std::vector<value> row_;
};

}  // namespace sluice::store

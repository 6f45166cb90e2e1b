// Opening the store, loading and changing the catalog, tunnels.
#include "runtime/store/store.hpp"

#include <absl/strings/match.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <random>

#include "runtime/core/status.hpp"
#include "runtime/store/keys.hpp"
#include "runtime/store/store_state.hpp"

namespace sluice::store {
namespace {

constexpr const char* rows_family = "rows";
constexpr const char* log_family = "log";

rocksdb::ColumnFamilyOptions rows_options() {
  rocksdb::ColumnFamilyOptions cf;
  // Row keys arrive in random order: small memtables stay in cache, which makes their skip-list
  // inserts several times cheaper; merging four of them per flush keeps level 0 small. Measured
  // (sluice bench store): 8 MiB x 4 ingests ~30% faster than one 32 or 128 MiB memtable.
  cf.write_buffer_size = 8 << 20;
  cf.min_write_buffer_number_to_merge = 4;
  cf.max_write_buffer_number = 6;
  cf.compression = rocksdb::kNoCompression;
  // Every write looks its rows up for their before-images; most are new rows, which the memtable
  // and table bloom filters answer without touching data blocks.
  cf.memtable_prefix_bloom_size_ratio = 0.1;
  cf.memtable_whole_key_filtering = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// The default family: catalog and job records, and reducer and joiner snapshots, which every
// checkpoint writes and the next ones delete, so their flushes and compactions run beside the
// jobs. Snappy (RocksDB's default) took a quarter of the CPU of a join drain compressing them;
// the recent levels stay uncompressed and older ones are LZ4, as in the log.
rocksdb::ColumnFamilyOptions meta_options() {
  rocksdb::ColumnFamilyOptions cf;
  cf.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                              rocksdb::kNoCompression, rocksdb::kLZ4Compression};
  return cf;
}

rocksdb::ColumnFamilyOptions log_options() {
  rocksdb::ColumnFamilyOptions cf;
  // Segments are read whole by every consumer. The recent ones (levels 0-2, up to about 2.8 GB)
  // stay uncompressed: LZ4 took 14-17% of a drain's CPU to decompress them and 15% more in
  // flushes and compactions (the seed job drained 5.7-7.1 M rows/s with it, 8.8-10.4 M
  // without). Older ones are LZ4 (several times faster to read than the default Snappy), which
  // shrinks them to less than half.
  cf.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                              rocksdb::kNoCompression, rocksdb::kLZ4Compression};
  // 32 MiB memtables: with records in the row encoding that is about 400 k records each. A
  // loader's last memtables are flushed when it closes the store, inside its run: with 128 MiB
  // ones `gen` of 3 M orders measured 324 k rows/s, with 64 or 32 MiB 369-375 k, and the seed
  // drain was no slower (11.6-11.9 M rows/s).
  cf.write_buffer_size = 32 << 20;
  cf.max_write_buffer_number = 4;
  return cf;
}

std::string new_tunnel_id() {
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
  uint64_t hi = random(), lo = random();
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "no table 'x'" with a did-you-mean for a case-insensitive match, or the list of tables.
template <typename Map>
absl::Status unknown_table(const Map& tables, std::string_view name) {
  for (const auto& [existing, state] : tables)
    if (absl::EqualsIgnoreCase(existing, absl::string_view(name.data(), name.size())))
      return absl::NotFoundError(fmt::format(
          "no table '{}' (names keep their case: did you mean '{}'?)", name, existing));
  if (tables.empty())
    return absl::NotFoundError(fmt::format("no table '{}': the store has no tables yet", name));
  std::vector<std::string_view> names;
  for (const auto& [existing, state] : tables) names.push_back(existing);
  return absl::NotFoundError(
      fmt::format("no table '{}'; the tables are {}", name, fmt::join(names, ", ")));
}

}  // namespace

store::~store() {
  // Flushed memtables leave nothing in the write-ahead log to replay: the next open (read-only
  // ones by `scan` and `tunnel` included) starts at once instead of re-reading the last writes.
  if (!options_.read_only && db_) db_->Flush(rocksdb::FlushOptions(), handles_);
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
}

absl::StatusOr<std::unique_ptr<store>> store::open(const options& opts) {
  std::error_code error;
  if (opts.read_only && !std::filesystem::exists(opts.dir / "CURRENT"))
    return absl::NotFoundError(fmt::format("no Sluice data in {}", opts.dir.string()));
  if (!opts.read_only) std::filesystem::create_directories(opts.dir, error);
  if (error)
    return absl::UnavailableError(
        fmt::format("cannot create data directory {}: {}", opts.dir.string(), error.message()));
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  // Compactions yield the CPU to the actors and writers (flushes keep their priority): on a
  // 2-core machine, a compaction left over from loading otherwise slows a drain by a third.
  db_options.env->LowerThreadPoolCPUPriority(rocksdb::Env::LOW);
  db_options.bytes_per_sync = 1 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, meta_options()},
      {rows_family, rows_options()},
      {log_family, log_options()}};
  auto result = std::unique_ptr<store>(new store());
  result->options_ = opts;
  rocksdb::DB* db = nullptr;
  auto status =
      opts.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, opts.dir.string(), families, &result->handles_, &db)
          : rocksdb::DB::Open(db_options, opts.dir.string(), families, &result->handles_, &db);
  if (!status.ok()) {
    if (status.IsIOError() && absl::StrContains(status.ToString(), "lock"))
      return absl::FailedPreconditionError(fmt::format(
          "data directory {} is in use by another sluice process", opts.dir.string()));
    // Beside a writer, a table file a read-only open has listed can be compacted away before it
    // is opened: a race to try again (Unavailable), not damage.
    if (opts.read_only && status.IsCorruption() &&
        absl::StrContains(status.ToString(), "No such file or directory"))
      return absl::UnavailableError(fmt::format("data directory {} changed while it was opened: {}",
                                                opts.dir.string(), status.ToString()));
    return from_rocksdb(status, fmt::format("cannot open data directory {}", opts.dir.string()));
  }
  result->db_.reset(db);
  result->meta_ = result->handles_[0];
  result->rows_ = result->handles_[1];
  result->log_ = result->handles_[2];
  SLUICE_RETURN_IF_ERROR(result->load_catalog());
  return result;
}

absl::Status store::load_catalog() {
  absl::MutexLock write_lock(&write_mu_);
  absl::MutexLock lock(&mu_);
  SLUICE_RETURN_IF_ERROR(check_log_format());
  std::string next;
  auto status = db_->Get(rocksdb::ReadOptions(), meta_, keys::next_table_id, &next);
  if (status.ok() && next.size() == 4) next_table_id_ = keys::read_u32(next);
  else if (!status.IsNotFound()) return from_rocksdb(status, "reading the catalog");

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek("T"); it->Valid() && it->key().starts_with("T"); it->Next()) {
    SLUICE_ASSIGN_OR_RETURN(auto schema, decode_table(it->value().ToStringView()));
    table_state state;
    state.schema = std::make_shared<const table_schema>(std::move(schema));
    std::string ends;
    SLUICE_RETURN_IF_ERROR(from_rocksdb(
        db_->Get(rocksdb::ReadOptions(), meta_, keys::ends(state.schema->id()), &ends),
        fmt::format("reading the end offsets of table {}", state.schema->name())));
    SLUICE_ASSIGN_OR_RETURN(state.ends, decode_offsets(ends, state.schema->channels()));
    tables_.emplace(state.schema->name(), std::move(state));
  }
  SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading the catalog"));
  SLUICE_ASSIGN_OR_RETURN(auto jobs, this->jobs());
  for (const auto& job : jobs) job_epochs_[job.name] = job.epoch;
  for (auto& [name, state] : tables_) {
    std::string prefix = keys::tunnels_of(state.schema->id());
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      SLUICE_ASSIGN_OR_RETURN(auto tunnel, decode_tunnel(it->value().ToStringView()));
      state.tunnels.emplace(tunnel.name, std::move(tunnel));
    }
  }
  return from_rocksdb(it->status(), "reading the tunnels");
}

absl::Status store::check_log_format() {
  std::string version;
  auto status = db_->Get(rocksdb::ReadOptions(), meta_, keys::log_format, &version);
  if (status.ok() && version == log_format_version) return absl::OkStatus();
  if (!status.ok() && !status.IsNotFound()) return from_rocksdb(status, "reading the log format");
  bool has_tables = false;
  if (status.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
    it->Seek("T");
    has_tables = it->Valid() && it->key().starts_with("T");
    SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading the catalog"));
  }
  if (status.ok() || has_tables)
    return absl::FailedPreconditionError(fmt::format(
        "data directory {} holds change records of another format ({}) than this Sluice reads "
        "({}); dump its tables with the Sluice that wrote them (sluice scan --format jsonl) and "
        "load them into a new directory (sluice put)",
        options_.dir.string(), status.ok() ? version : "1", log_format_version));
  if (options_.read_only) return absl::OkStatus();
  return from_rocksdb(
      db_->Put(rocksdb::WriteOptions(), meta_, keys::log_format, log_format_version),
      "recording the log format");
}

absl::Status store::check_writable() const {
  if (!options_.read_only) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("the data directory {} is open read-only here", options_.dir.string()));
}

absl::StatusOr<std::vector<std::string>> store::apply_catalog(std::span<const catalog_op> ops,
                                                             size_t* failed_op) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  absl::MutexLock write_lock(&write_mu_);
  std::map<std::string, table_state, std::less<>> tables;
  {
    absl::ReaderMutexLock lock(&mu_);
    tables = tables_;
  }
  uint32_t next_id = next_table_id_;
  rocksdb::WriteBatch batch;
  std::vector<std::string> done;
  // Applies one op to the working copy; an error leaves the catalog as it was.
  auto apply = [&](const catalog_op& op) -> absl::Status {
    if (auto* create = std::get_if<create_table_op>(&op)) {
      if (tables.contains(create->name)) {
        if (!create->if_not_exists)
          return absl::AlreadyExistsError(fmt::format(
              "table {} already exists; use CREATE TABLE IF NOT EXISTS, or DROP TABLE first",
              create->name));
        done.push_back(fmt::format("table {} exists; skipped", create->name));
        return absl::OkStatus();
      }
      SLUICE_ASSIGN_OR_RETURN(auto schema,
                              table_schema::create(next_id++, create->name, create->columns,
                                                   create->primary_key, create->channels));
      table_state state;
      state.schema = std::make_shared<const table_schema>(std::move(schema));
      state.ends.assign(state.schema->channels(), 0);
      tunnel_info tunnel{new_tunnel_id(), std::string(default_tunnel_name), tunnel_type::stream,
                         state.ends, state.ends, now_ms()};
      uint32_t id = state.schema->id();
      batch.Put(meta_, keys::table(create->name), encode_table(*state.schema));
      batch.Put(meta_, keys::ends(id), encode_offsets(state.ends));
      batch.Put(meta_, keys::tunnel(id, tunnel.name), encode_tunnel(tunnel));
      state.tunnels.emplace(tunnel.name, std::move(tunnel));
      done.push_back(fmt::format("created table {} {}", create->name, state.schema->describe()));
      tables.emplace(create->name, std::move(state));
    } else if (auto* drop = std::get_if<drop_table_op>(&op)) {
      auto it = tables.find(drop->name);
      if (it == tables.end()) {
        if (!drop->if_exists) return unknown_table(tables, drop->name);
        done.push_back(fmt::format("no table {}; skipped", drop->name));
        return absl::OkStatus();
      }
      uint32_t id = it->second.schema->id();
      batch.Delete(meta_, keys::table(drop->name));
      batch.Delete(meta_, keys::ends(id));
      batch.DeleteRange(meta_, keys::tunnels_of(id), keys::tunnels_of(id + 1));
      batch.DeleteRange(rows_, keys::table_prefix(id), keys::table_prefix(id + 1));
      batch.DeleteRange(log_, keys::table_prefix(id), keys::table_prefix(id + 1));
      tables.erase(it);
      done.push_back(fmt::format("dropped table {}", drop->name));
    } else if (auto* create_tunnel = std::get_if<create_tunnel_op>(&op)) {
      auto it = tables.find(create_tunnel->table);
      if (it == tables.end()) return unknown_table(tables, create_tunnel->table);
      auto& state = it->second;
      if (state.tunnels.contains(create_tunnel->name)) {
        if (!create_tunnel->if_not_exists)
          return absl::AlreadyExistsError(
              fmt::format("tunnel {} on table {} already exists; use CREATE TUNNEL IF NOT EXISTS",
                          create_tunnel->name, create_tunnel->table));
        done.push_back(fmt::format("tunnel {} exists; skipped", create_tunnel->name));
        return absl::OkStatus();
      }
      tunnel_info tunnel{new_tunnel_id(), create_tunnel->name, create_tunnel->type, state.ends,
                         state.ends, now_ms()};
      batch.Put(meta_, keys::tunnel(state.schema->id(), tunnel.name), encode_tunnel(tunnel));
      done.push_back(fmt::format("created {} tunnel {} on table {}, id {}",
                                 tunnel_type_name(tunnel.type), tunnel.name,
                                 create_tunnel->table, tunnel.id));
      state.tunnels.emplace(tunnel.name, std::move(tunnel));
    } else if (auto* drop_tunnel = std::get_if<drop_tunnel_op>(&op)) {
      auto it = tables.find(drop_tunnel->table);
      if (it == tables.end()) return unknown_table(tables, drop_tunnel->table);
      auto& state = it->second;
      if (drop_tunnel->name == default_tunnel_name)
        return absl::FailedPreconditionError(fmt::format(
            "the default tunnel of table {} lives as long as the table", drop_tunnel->table));
      if (!state.tunnels.contains(drop_tunnel->name)) {
        if (!drop_tunnel->if_exists)
          return absl::NotFoundError(fmt::format("no tunnel {} on table {}; `sluice tunnel {}` lists them",
                                                 drop_tunnel->name, drop_tunnel->table,
                                                 drop_tunnel->table));
        done.push_back(fmt::format("no tunnel {}; skipped", drop_tunnel->name));
        return absl::OkStatus();
      }
      batch.Delete(meta_, keys::tunnel(state.schema->id(), drop_tunnel->name));
      state.tunnels.erase(drop_tunnel->name);
      done.push_back(fmt::format("dropped tunnel {} on table {}", drop_tunnel->name,
                                 drop_tunnel->table));
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    if (auto status = apply(ops[i]); !status.ok()) {
      if (failed_op) *failed_op = i;
      return status;
    }
  }
  std::string next;
  keys::append_u32(next, next_id);
  batch.Put(meta_, keys::next_table_id, next);
  SLUICE_RETURN_IF_ERROR(commit(batch, "writing the catalog"));
  next_table_id_ = next_id;
  absl::MutexLock lock(&mu_);
  tables_ = std::move(tables);
  return done;
}

absl::StatusOr<std::shared_ptr<const table_schema>> store::find_table(std::string_view name) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) return unknown_table(tables_, name);
  return it->second.schema;
}

std::vector<std::shared_ptr<const table_schema>> store::tables() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::shared_ptr<const table_schema>> out;
  for (const auto& [name, state] : tables_) out.push_back(state.schema);
  return out;
}

absl::StatusOr<const store::table_state*> store::live_table(const table_schema& table) const {
  auto it = tables_.find(table.name());
  if (it == tables_.end() || it->second.schema->id() != table.id())
    return absl::FailedPreconditionError(
        fmt::format("table {} was dropped or recreated", table.name()));
  return &it->second;
}

absl::StatusOr<std::vector<uint64_t>> store::end_offsets(const table_schema& table) const {
  absl::ReaderMutexLock lock(&mu_);
  SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(table));
  return state->ends;
}

absl::StatusOr<const tunnel_info*> store::tunnel_of(const table_state& state,
                                                    std::string_view id_or_name) const {
  for (const auto& [name, tunnel] : state.tunnels)
    if (tunnel.id == id_or_name || tunnel.name == id_or_name) return &tunnel;
  return absl::NotFoundError(
      fmt::format("no tunnel '{}' on table {}; `sluice tunnel {}` lists its tunnels and ids",
                  id_or_name, state.schema->name(), state.schema->name()));
}

absl::StatusOr<std::vector<tunnel_info>> store::tunnels(const table_schema& table) const {
  absl::ReaderMutexLock lock(&mu_);
  SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(table));
  std::vector<tunnel_info> out;
  for (const auto& [name, tunnel] : state->tunnels) out.push_back(tunnel);
  return out;
}

absl::StatusOr<tunnel_info> store::find_tunnel(const table_schema& table,
                                               std::string_view id_or_name) const {
  absl::ReaderMutexLock lock(&mu_);
  SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(table));
  SLUICE_ASSIGN_OR_RETURN(const tunnel_info* tunnel, tunnel_of(*state, id_or_name));
  return *tunnel;
}

absl::Status store::commit(rocksdb::WriteBatch& batch, std::string_view what) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  return from_rocksdb(db_->Write(write_options, &batch), what);
}

absl::StatusOr<tunnel_info> store::tunnel_committed_at(const table_schema& table,
                                                       std::string_view id_or_name,
                                                       std::span<const uint64_t> offsets) const {
  absl::ReaderMutexLock lock(&mu_);
  SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(table));
  SLUICE_ASSIGN_OR_RETURN(const tunnel_info* found, tunnel_of(*state, id_or_name));
  if (offsets.size() != state->ends.size())
    return absl::InvalidArgumentError(fmt::format("table {} has {} channels, not {}",
                                                  table.name(), state->ends.size(),
                                                  offsets.size()));
  for (size_t c = 0; c < offsets.size(); ++c)
    if (offsets[c] > state->ends[c])
      return absl::InvalidArgumentError(fmt::format(
          "channel {} of table {} ends at offset {}; cannot commit {}", c, table.name(),
          state->ends[c], offsets[c]));
  tunnel_info tunnel = *found;
  tunnel.committed_offsets.assign(offsets.begin(), offsets.end());
  return tunnel;
}

void store::remember_tunnel(const table_schema& table, tunnel_info tunnel) {
  absl::MutexLock lock(&mu_);
  tables_.find(table.name())->second.tunnels[tunnel.name] = std::move(tunnel);
}

absl::Status store::commit_tunnel(const table_schema& table, std::string_view id_or_name,
                                  std::span<const uint64_t> offsets) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  absl::MutexLock write_lock(&write_mu_);
  SLUICE_ASSIGN_OR_RETURN(auto tunnel, tunnel_committed_at(table, id_or_name, offsets));
  rocksdb::WriteBatch batch;
  batch.Put(meta_, keys::tunnel(table.id(), tunnel.name), encode_tunnel(tunnel));
  SLUICE_RETURN_IF_ERROR(commit(batch, "committing tunnel offsets"));
  remember_tunnel(table, std::move(tunnel));
  return absl::OkStatus();
}

}  // namespace sluice::store

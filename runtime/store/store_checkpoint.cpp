// Checkpoints of streaming jobs: snapshots, sink intents and the atomic record that completes them.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstring>

#include "runtime/core/status.hpp"
#include "runtime/store/keys.hpp"
#include "runtime/store/store_state.hpp"

namespace sluice::store {

// id, created_ms, parts (its top bit set, and the next one), the number of offsets, the
// offsets, first_snapshot, the watermark (all little-endian u64), then the fingerprint's bytes.
// A record without the top bit set in parts (written before snapshots came in slices) has no
// first_snapshot: its snapshots image everything, so it is its own first. One without the next
// bit (written before checkpoints kept their watermark) has none. The third bit says its
// snapshots are stored by key group (checkpoint::by_key_group).
constexpr uint64_t has_first_snapshot = uint64_t{1} << 63;
constexpr uint64_t has_watermark = uint64_t{1} << 62;
constexpr uint64_t stored_by_key_group = uint64_t{1} << 61;
constexpr uint64_t record_flags = has_first_snapshot | has_watermark | stored_by_key_group;

std::string encode_checkpoint(const checkpoint& cp) {
  std::vector<uint64_t> words = {
      cp.id, static_cast<uint64_t>(cp.created_ms),
      cp.parts | has_first_snapshot | has_watermark | (cp.by_key_group ? stored_by_key_group : 0),
      cp.offsets.size()};
  words.insert(words.end(), cp.offsets.begin(), cp.offsets.end());
  words.push_back(cp.first_snapshot);
  words.push_back(static_cast<uint64_t>(cp.watermark));
  return encode_offsets(words) + cp.fingerprint;
}

absl::StatusOr<checkpoint> decode_checkpoint(std::string_view bytes) {
  auto truncated = absl::DataLossError("a stored checkpoint record is truncated");
  if (bytes.size() < 32) return truncated;
  SLUICE_ASSIGN_OR_RETURN(auto head, decode_offsets(bytes.substr(0, 32), 4));
  const bool first_given = (head[2] & has_first_snapshot) != 0;
  const bool watermark_given = (head[2] & has_watermark) != 0;
  const uint64_t words = head[3] + (first_given ? 1 : 0) + (watermark_given ? 1 : 0);
  if (head[3] >= (uint64_t{1} << 32) || words > (bytes.size() - 32) / 8) return truncated;
  SLUICE_ASSIGN_OR_RETURN(auto tail, decode_offsets(bytes.substr(32, words * 8), words));
  checkpoint cp;
  cp.id = head[0];
  cp.created_ms = static_cast<int64_t>(head[1]);
  cp.parts = static_cast<uint32_t>(head[2] & ~record_flags);
  cp.by_key_group = (head[2] & stored_by_key_group) != 0;
  if (watermark_given) {
    cp.watermark = static_cast<int64_t>(tail.back());
    tail.pop_back();
  }
  cp.first_snapshot = first_given ? tail.back() : cp.id;
  if (first_given) tail.pop_back();
  cp.offsets = std::move(tail);
  cp.fingerprint = std::string(bytes.substr(32 + words * 8));
  return cp;
}

std::string encode_job(const job_record& job) {
  return nlohmann::json{{"name", job.name},
                        {"script", job.script},
                        {"stopped", job.stopped},
                        {"epoch", job.epoch},
                        {"submitted_ms", job.submitted_ms}}
      .dump();
}

absl::StatusOr<job_record> decode_job(std::string_view bytes) {
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return absl::DataLossError("a stored job record is not valid JSON");
  job_record job;
  try {
    job.name = json.at("name").get<std::string>();
    job.script = json.at("script").get<std::string>();
    job.stopped = json.at("stopped").get<bool>();
    job.epoch = json.at("epoch").get<uint64_t>();
    job.submitted_ms = json.at("submitted_ms").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(fmt::format("a stored job record is incomplete: {}", e.what()));
  }
  return job;
}

absl::Status store::check_fence(const fence& by) const {
  if (by.job.empty()) return absl::OkStatus();
  auto it = job_epochs_.find(by.job);
  if (it == job_epochs_.end() || it->second <= by.epoch) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("job {}: a write of assignment {} is fenced: assignment {} has replaced it",
                  by.job, by.epoch, it->second));
}

absl::Status store::put_job(const job_record& job) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  absl::MutexLock write_lock(&write_mu_);
  rocksdb::WriteBatch batch;
  batch.Put(meta_, keys::job(job.name), encode_job(job));
  SLUICE_RETURN_IF_ERROR(commit(batch, "recording a job"));
  job_epochs_[job.name] = job.epoch;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> store::start_time_of(std::string_view job, int64_t now_us) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  absl::MutexLock write_lock(&write_mu_);
  std::string bytes;
  auto status = db_->Get(rocksdb::ReadOptions(), meta_, keys::job_start(job), &bytes);
  if (status.ok() && bytes.size() == 8) return static_cast<int64_t>(keys::read_u64(bytes));
  if (!status.IsNotFound()) {
    SLUICE_RETURN_IF_ERROR(from_rocksdb(status, "reading a job's start time"));
    return absl::DataLossError(fmt::format("job {}: its start time record is corrupt", job));
  }
  std::string value;
  keys::append_u64(value, static_cast<uint64_t>(now_us));
  rocksdb::WriteBatch batch;
  batch.Put(meta_, keys::job_start(job), value);
  SLUICE_RETURN_IF_ERROR(commit(batch, "recording a job's start time"));
  return now_us;
}

absl::StatusOr<std::vector<job_record>> store::jobs() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  std::vector<job_record> jobs;
  for (it->Seek(keys::jobs); it->Valid() && it->key().starts_with(keys::jobs); it->Next()) {
    SLUICE_ASSIGN_OR_RETURN(auto job, decode_job(it->value().ToStringView()));
    jobs.push_back(std::move(job));
  }
  SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), "reading job records"));
  return jobs;
}

absl::Status store::replace_range(const std::string& first, const std::string& end,
                                  std::span<const keyed_value> values, const fence& by,
                                  std::string_view doing) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  absl::MutexLock write_lock(&write_mu_);
  SLUICE_RETURN_IF_ERROR(check_fence(by));
  rocksdb::WriteBatch batch;
  batch.DeleteRange(meta_, first, end);
  for (const auto& [key, bytes] : values)
    batch.Put(meta_, key, rocksdb::Slice(bytes.data(), bytes.size()));
  return commit(batch, doing);
}

absl::StatusOr<std::vector<std::string>> store::values_between(const std::string& first,
                                                               const std::string& end,
                                                               std::string_view doing) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  std::vector<std::string> values;
  for (it->Seek(first); it->Valid() && it->key().compare(end) < 0; it->Next())
    values.emplace_back(it->value().ToStringView());
  SLUICE_RETURN_IF_ERROR(from_rocksdb(it->status(), doing));
  return values;
}

absl::Status store::put_snapshot(std::string_view job, uint64_t checkpoint_id, slot_range slots,
                                 std::span<const snapshot_chunk> chunks, const fence& by) {
  // Chunk n of a slot is at (slot, n). Writing the range again (a checkpoint id reused after a
  // failed attempt, perhaps by other owners) replaces every chunk of it.
  std::vector<keyed_value> values;
  uint32_t n = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const uint32_t slot = chunks[i].slot;
    if (slot < slots.first || slot >= slots.end || (i > 0 && slot < chunks[i - 1].slot))
      return absl::InvalidArgumentError(fmt::format(
          "job {}: a snapshot of slots [{}, {}) has a chunk of slot {}{}", job, slots.first,
          slots.end, slot, i > 0 && slot < chunks[i - 1].slot ? " after a later slot's" : ""));
    n = i > 0 && slot == chunks[i - 1].slot ? n + 1 : 0;
    std::string key = keys::job_snapshot(job, checkpoint_id, slot);
    keys::append_u32(key, n);
    values.push_back({std::move(key), chunks[i].bytes});
  }
  return replace_range(keys::job_snapshot(job, checkpoint_id, slots.first),
                       keys::job_snapshot(job, checkpoint_id, slots.end), values, by,
                       "storing a snapshot");
}

absl::StatusOr<std::vector<std::string>> store::get_snapshot(std::string_view job,
                                                             uint64_t checkpoint_id,
                                                             slot_range slots) const {
  SLUICE_ASSIGN_OR_RETURN(auto chunks,
                          values_between(keys::job_snapshot(job, checkpoint_id, slots.first),
                                         keys::job_snapshot(job, checkpoint_id, slots.end),
                                         "reading a snapshot"));
  if (chunks.empty())
    return absl::NotFoundError(fmt::format("job {} has no snapshot of slots [{}, {}) of checkpoint {}",
                                           job, slots.first, slots.end, checkpoint_id));
  return chunks;
}

absl::Status store::put_sink_intent(std::string_view job, uint64_t checkpoint_id, uint32_t part,
                                    std::span<const std::vector<char>> chunks, const fence& by) {
  const auto first = keys::job_sink_intent(job, checkpoint_id, by.epoch, part);
  std::vector<keyed_value> values;
  for (uint32_t n = 0; n < chunks.size(); ++n) {
    std::string key = first;
    keys::append_u32(key, n);
    values.push_back({std::move(key), chunks[n]});
  }
  return replace_range(first, keys::job_sink_intent(job, checkpoint_id, by.epoch, part + 1),
                       values, by, "storing a sink intent");
}

absl::StatusOr<std::vector<std::string>> store::sink_intents(std::string_view job) const {
  std::string first = keys::job_sink_intents(job), end = first;
  end.back() = '\1';  // the prefix ends in '\0': this is the first key after all under it
  return values_between(first, end, "reading sink intents");
}

absl::Status store::complete_checkpoint(std::string_view job, const checkpoint& cp,
                                        std::span<const source_tunnel> sources,
                                        const fence& by) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  absl::MutexLock write_lock(&write_mu_);
  SLUICE_RETURN_IF_ERROR(check_fence(by));
  // Checkpoint ids of a job only grow. The same id again is a retried call (its answer was
  // lost): already done. An older one is a late duplicate and must not bring back a state
  // whose snapshots are gone.
  if (auto last = last_checkpoint(job); last.ok()) {
    if (cp.id == last->id && cp.offsets == last->offsets) return absl::OkStatus();
    if (cp.id <= last->id)
      return absl::FailedPreconditionError(fmt::format(
          "job {}: checkpoint {} is not newer than its last complete checkpoint {}", job, cp.id,
          last->id));
  } else if (!absl::IsNotFound(last.status())) {
    return last.status();
  }
  std::vector<tunnel_info> tunnels;
  size_t first = 0;
  for (const auto& source : sources) {
    const size_t channels = source.table->channels();
    if (first + channels > cp.offsets.size())
      return absl::InvalidArgumentError(fmt::format(
          "job {}: checkpoint {} has {} offsets, fewer than its sources' channels", job, cp.id,
          cp.offsets.size()));
    SLUICE_ASSIGN_OR_RETURN(tunnels.emplace_back(),
                            tunnel_committed_at(*source.table, source.tunnel_id,
                                                std::span(cp.offsets).subspan(first, channels)));
    first += channels;
  }
  if (first != cp.offsets.size())
    return absl::InvalidArgumentError(fmt::format(
        "job {}: checkpoint {} has {} offsets for {} channels", job, cp.id, cp.offsets.size(), first));
  rocksdb::WriteBatch batch;
  batch.Put(meta_, keys::job_checkpoint(job), encode_checkpoint(cp));
  for (size_t s = 0; s < sources.size(); ++s)
    batch.Put(meta_, keys::tunnel(sources[s].table->id(), tunnels[s].name), encode_tunnel(tunnels[s]));
  if (cp.first_snapshot > cp.id)
    return absl::InvalidArgumentError(fmt::format(
        "job {}: checkpoint {} cannot start its snapshots at {}", job, cp.id, cp.first_snapshot));
  batch.DeleteRange(meta_, keys::job_snapshots(job), keys::job_snapshot(job, cp.first_snapshot, 0));
  batch.DeleteRange(meta_, keys::job_sink_intents(job), keys::job_sink_intent(job, cp.id + 1, 0, 0));
  SLUICE_RETURN_IF_ERROR(commit(batch, "recording a checkpoint"));
  for (size_t s = 0; s < sources.size(); ++s) remember_tunnel(*sources[s].table, std::move(tunnels[s]));
  return absl::OkStatus();
}

absl::StatusOr<checkpoint> store::last_checkpoint(std::string_view job) const {
  std::string bytes;
  auto status = db_->Get(rocksdb::ReadOptions(), meta_, keys::job_checkpoint(job), &bytes);
  if (status.IsNotFound())
    return absl::NotFoundError(fmt::format("job {} has no complete checkpoint", job));
  SLUICE_RETURN_IF_ERROR(from_rocksdb(status, "reading a checkpoint"));
  return decode_checkpoint(bytes);
}

}  // namespace sluice::store

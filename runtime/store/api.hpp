// What the roles of Sluice ask of the store, whether it is open in this process (store::store)
// or served by `sluice store` over the network (remote::store_client). Coordinators, workers and
// the command-line tools are written against this interface only.
//
// Contract (both implementations):
// - Every method is thread-safe; writes are atomic and durable once they return OK (see
//   store.hpp for the details of the local store).
// - A remote implementation retries a call whose store is unreachable, with backoff, until the
//   store answers: an error returned here is the store's answer, never a lost connection.
//   A retried write is applied once (each write carries a client batch id).
// - Fenced writes: a write or snapshot that carries a fence {job, epoch} is refused with
//   FailedPrecondition when the store's record of that job has a newer epoch. A coordinator
//   raises the epoch (put_job) before it hands a job's work to a new set of actors, so actors of
//   an older assignment (a worker that was hung and came back) can change nothing.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/row_batch.hpp"
#include "runtime/core/table_schema.hpp"
#include "runtime/store/catalog_op.hpp"
#include "runtime/store/change_batch.hpp"
#include "runtime/store/checkpoint.hpp"
#include "runtime/store/tunnel.hpp"

namespace sluice::store {

struct write_result {
  size_t changed = 0;    // rows whose stored value changed; each appended one change record
  size_t unchanged = 0;  // puts and updates equal to the stored row, deletes of absent rows
};

// Who writes: the job and the epoch of the assignment the writing actor belongs to. An empty
// job: an unfenced write (the command-line tools, `sluice run`).
// A job's source and the tunnel it reads it through: a checkpoint commits its offsets there.
struct source_tunnel {
  const table_schema* table;
  std::string tunnel_id;
};

// Where a table mirrored from a system outside Sluice (a database's binlog) stands in that system:
// `source` names the mirror, `position` is its own encoding of a place in the system's log.
struct source_position {
  std::string source;
  std::string position;
};

struct fence {
  std::string job;
  uint64_t epoch = 0;
};

// A job submitted to a cluster, persisted by name so that a restarted coordinator resumes it.
struct job_record {
  std::string name;
  // The statements it was submitted with (external tables, scans, the job itself): a worker
  // plans the job from them, and so plans exactly what the coordinator planned.
  std::string script;
  bool stopped = false;  // stopped by `sluice jobs stop`: not resumed
  uint64_t epoch = 0;    // of the newest assignment; fences writes of older ones
  int64_t submitted_ms = 0;
};

class api {
 public:
  virtual ~api() = default;

  // --- catalog
  // Applies the ops in order, all or nothing; returns one line per op saying what it did
  // ("created table OrderSource", "table OrderSource exists; skipped"). On an error, the index of
  // the op that failed goes to *failed_op when given.
  virtual absl::StatusOr<std::vector<std::string>> apply_catalog(std::span<const catalog_op> ops,
                                                                 size_t* failed_op = nullptr) = 0;
  // NotFound names the table and suggests a case-insensitive match or lists the tables.
  virtual absl::StatusOr<std::shared_ptr<const table_schema>> find_table(
      std::string_view name) const = 0;

  // --- writes
  // Validates the whole batch first (row_batch::validate); a bad row rejects it whole. Within a
  // batch, rows apply in order: a later change of the same key sees the earlier one.
  virtual absl::StatusOr<write_result> write(const row_batch& batch, const fence& by = {}) = 0;
  // A write of a mirror: the rows and the source position they bring the table to, in one atomic
  // write (the batch may be empty: the position still moves). A mirror restarted after a crash
  // resumes from source_position_of, so nothing is skipped or applied twice.
  virtual absl::StatusOr<write_result> write_at(const row_batch& batch,
                                                const source_position& at) = 0;
  // NotFound before the mirror's first write_at.
  virtual absl::StatusOr<std::string> source_position_of(std::string_view source) const = 0;

  // --- the tunnel
  // Per channel: one past the offset of the last record.
  virtual absl::StatusOr<std::vector<uint64_t>> end_offsets(const table_schema& table) const = 0;
  // At most `max_records` records of `channel` from offset `from` on (fewer at the channel's end).
  virtual absl::StatusOr<change_batch> read_channel(const table_schema& table, uint32_t channel,
                                                    uint64_t from, size_t max_records) const = 0;
  virtual absl::StatusOr<std::vector<tunnel_info>> tunnels(const table_schema& table) const = 0;
  // Looks a tunnel up by id or by name.
  virtual absl::StatusOr<tunnel_info> find_tunnel(const table_schema& table,
                                                  std::string_view id_or_name) const = 0;

  // --- checkpoints of streaming jobs (see checkpoint.hpp)
  // A snapshot of the slots [slots.first, slots.end) comes in chunks (a big state is never one
  // huge value), each of one slot of the range; they replace whatever the range held, in one
  // atomic write. A read of a range gives its chunks by slot, each slot's in the order written;
  // a range with none is NotFound.
  virtual absl::Status put_snapshot(std::string_view job, uint64_t checkpoint_id, slot_range slots,
                                    std::span<const snapshot_chunk> chunks,
                                    const fence& by = {}) = 0;
  virtual absl::StatusOr<std::vector<std::string>> get_snapshot(std::string_view job,
                                                                uint64_t checkpoint_id,
                                                                slot_range slots) const = 0;
  // A sink intent: the groups whose sink rows a reducer (snapshot part `part`) is about to write
  // for a checkpoint, stored before it writes them, in chunks like a snapshot. The sink is
  // written before its checkpoint completes, so rows of a checkpoint that never completed may be
  // there; whoever restores the job writes these groups again (see checkpoint.hpp).
  virtual absl::Status put_sink_intent(std::string_view job, uint64_t checkpoint_id,
                                       uint32_t part, std::span<const std::vector<char>> chunks,
                                       const fence& by = {}) = 0;
  // The chunks of every sink intent of a checkpoint after the job's last complete one (of any
  // epoch and part).
  virtual absl::StatusOr<std::vector<std::string>> sink_intents(std::string_view job) const = 0;
  // Makes `cp` the job's last complete checkpoint, commits cp.offsets to the tunnels of its
  // sources (the offsets of the first's channels, then the next's), and deletes the snapshots of
  // earlier checkpoints and the sink intents of it and earlier ones, in one atomic write.
  virtual absl::Status complete_checkpoint(std::string_view job, const checkpoint& cp,
                                           std::span<const source_tunnel> sources,
                                           const fence& by = {}) = 0;
  // NotFound when the job has no complete checkpoint.
  virtual absl::StatusOr<checkpoint> last_checkpoint(std::string_view job) const = 0;

  // --- jobs of a cluster
  // Creates or replaces the record of job.name.
  virtual absl::Status put_job(const job_record& job) = 0;
  virtual absl::StatusOr<std::vector<job_record>> jobs() const = 0;
  // When `job` (a checkpoint location) first started, in Unix microseconds: the first call
  // records `now_us`, every later one returns what the first recorded. A job's LOCALTIMESTAMP,
  // so that it is one value across restarts and on every process of a cluster.
  virtual absl::StatusOr<int64_t> start_time_of(std::string_view job, int64_t now_us) = 0;

  // --- scans
  // Every row of the table in primary-key order, from a consistent snapshot. Stops early, with
  // fn's status, when fn returns an error.
  virtual absl::Status scan(const table_schema& table,
                            const std::function<absl::Status(std::span<const value>)>& fn) const = 0;
  // Every row of the table from one consistent snapshot, as row_codec bytes (what a batch job
  // reads): fn(reader, row) for each. Up to `readers` threads read channels at once, each with
  // its own reader index in [0, readers): calls with one index come one after another, calls
  // with different ones at the same time. Stops early, with fn's status, when fn returns an error.
  using image_fn = std::function<absl::Status(unsigned reader, std::string_view row)>;
  virtual absl::Status scan_images(const table_schema& table, unsigned readers,
                                   const image_fn& fn) const = 0;
};

}  // namespace sluice::store

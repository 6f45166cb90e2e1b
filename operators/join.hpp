// The two halves of a streaming equi-join (job_plan::join).
//
// join_router runs in a source actor: every change record of one side's channel retracts its
// before-image and adds its after-image, each routed by its join key to the joiner that owns the
// key's key group (JoinBatch messages). A right row whose key has a NULL matches nothing and is
// dropped; so is a left one in an inner join (a LEFT JOIN still emits it, once, with NULLs).
//
// join_state runs in a joiner: per join key, the multiset of each side's row images. A change of
// one side emits the joined rows it adds or retracts (the left image's cells, then the right's;
// a LEFT JOIN's left row with no match is joined to NULLs, which the short image reads as), so
// that what the rest of the job sees is the changelog of the join's result: a customer's new name
// retracts every joined order with the old one and adds it with the new.
//
// Not thread-safe: one per actor.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/functional/function_ref.h>
#include <absl/status/status.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/string_arena.hpp"
#include "runtime/store/change_batch.hpp"

namespace sluice::ops {

enum class join_side : uint8_t { left = 0, right = 1 };

class join_router {
 public:
  join_router(std::shared_ptr<const job_plan> plan, join_side side);

  // Routes the batch's records. A record whose image does not decode is DataLoss.
  absl::Status on_batch(const store::change_batch& batch);
  // Routes one row of the side's table (row_codec bytes), as a batch job reads them. DataLoss
  // when it does not decode.
  absl::Status add_row(std::string_view image);
  bool empty() const { return rows_.empty(); }

  // The rows since the last flush as one JoinBatch message per joiner (empty bytes for a joiner
  // with nothing to take). `owner[g]` is the joiner of key group g.
  std::vector<std::vector<char>> flush(std::span<const uint32_t> owner, uint32_t joiners,
                                       uint64_t epoch, uint32_t channel);

 private:
  struct routed {
    int64_t weight;
    uint32_t key_group;
    bool null_key;
    std::string key;
    std::string image;
  };
  // False when the image does not decode.
  bool route(std::string_view image, int64_t weight);

  std::shared_ptr<const job_plan> plan_;
  join_side side_;
  const std::vector<expression>* keys_;
  bool ignore_delete_;
  std::vector<bool> used_;
  std::vector<datum> row_;
  std::vector<datum> key_;
  string_arena arena_;
  std::vector<routed> rows_;
};

class join_state {
 public:
  explicit join_state(join_kind kind);

  // A joined row added (weight > 0) or retracted (< 0): row_codec bytes of the joined columns.
  using emit_fn = absl::FunctionRef<absl::Status(std::string_view joined, int64_t weight)>;

  // Applies a JoinBatch message from a source, emitting the joined rows it changes. Bytes that
  // do not decode are InvalidArgument and change nothing.
  absl::Status merge(std::span<const char> join_batch, emit_fn emit);
  // Applies one row change (the unit merge is made of).
  absl::Status apply(join_side side, std::string_view key, uint32_t key_group, bool null_key,
                     std::string_view image, int64_t weight, emit_fn emit);

  // A snapshot, as JoinBatch messages of about `rows_per_chunk` stored rows each (at least one):
  // every key of the key groups `imaged` selects, then every other key changed since the last
  // snapshot, each whole after its marker (a key gone is its marker alone), each side's rows
  // packed in one JoinRow.
  std::vector<std::vector<char>> snapshot(const std::vector<bool>& imaged,
                                          size_t rows_per_chunk = 65536);
  // Applies one message of a snapshot (in order, every message of the snapshots a checkpoint
  // needs). Bytes that do not decode are InvalidArgument.
  absl::Status restore(std::span<const char> snapshot);
  // After a restore: drops the keys of key groups `owns` rejects; the next snapshot should image
  // everything.
  void finish_restore(absl::FunctionRef<bool(uint32_t key_group)> owns);

  size_t keys() const { return keys_.size(); }
  // Stored row images of both sides.
  size_t rows() const;

 private:
  struct entry {
    uint32_t key_group = 0;
    bool dirty = false;
    // Per side: row image -> multiplicity, and their sum.
    absl::flat_hash_map<std::string, int64_t> rows[2];
    int64_t total[2] = {0, 0};
  };
  // Emits `left` joined with `right` (empty: NULLs), `weight` times signed.
  absl::Status emit_joined(std::string_view left, std::string_view right, int64_t weight,
                           emit_fn emit);

  join_kind kind_;
  absl::node_hash_map<std::string, entry> keys_;
  struct gone {
    std::string key;
    uint32_t key_group;
  };
  std::vector<gone> removed_;  // since the last snapshot
  std::string joined_;
};

}  // namespace sluice::ops

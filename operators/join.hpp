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
#include <absl/functional/function_ref.h>
#include <absl/status/status.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "operators/job_plan.hpp"
#include "operators/string_arena.hpp"
#include "runtime/store/change_batch.hpp"
#include "runtime/store/checkpoint.hpp"

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
    std::string_view key;    // in routed_bytes_
    std::string_view image;  // in routed_bytes_
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
  string_arena routed_bytes_;  // of rows_, until the flush
  std::string key_bytes_;
  // The side's columns the job reads after the join: the others travel and are kept as NULLs,
  // so the join state holds only what the job needs (and equal projections count as one image).
  std::vector<bool> kept_;
  bool projects_ = false;
  std::string projected_;
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

  // A snapshot, as JoinBatch messages of one key group and about `rows_per_chunk` stored rows
  // each, in the slot of their key group, at least one for each key group `owns` selects: every
  // key of the key groups `imaged` selects, each whole after its marker with each side's
  // rows packed in one JoinRow; a marker alone for every other key gone since the last snapshot;
  // and for every other key changed since, the multiplicity now of each row that changed, packed
  // per side (a delta row). When the rows that changed take more bytes than delta_bytes_bound()
  // (an interval in which most of the state changed), the changed keys go whole instead.
  std::vector<store::snapshot_chunk> snapshot(const std::vector<bool>& owns,
                                              const std::vector<bool>& imaged,
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
  // One side's rows of a key: each distinct image (its bytes in images_) with its multiplicity.
  // Most keys hold a few rows, which a scan of the list finds faster than hashing the image;
  // a key with many gets an index of the list.
  class side_rows {
   public:
    using row = std::pair<std::string_view, int64_t>;
    // The image's row, or null.
    row* find(std::string_view image);
    row& add(std::string_view stored_image);
    void erase(row& r);
    std::vector<row>::const_iterator begin() const { return list_.begin(); }
    std::vector<row>::const_iterator end() const { return list_.end(); }
    size_t size() const { return list_.size(); }
    bool empty() const { return list_.empty(); }

   private:
    static constexpr size_t indexed_from = 16;
    std::vector<row> list_;
    absl::flat_hash_map<absl::string_view, size_t> index_;  // image -> position in list_
  };
  struct entry {
    uint32_t key_group = 0;
    bool dirty = false;
    side_rows rows[2];
    int64_t total[2] = {0, 0};  // per side, the sum of the multiplicities
  };
  // Emits `left` joined with `right` (empty: NULLs), `weight` times signed; InvalidArgument when
  // the weight overflowed (none).
  absl::Status emit_joined(std::string_view left, std::string_view right,
                           std::optional<int64_t> weight, emit_fn emit);
  // Adds `count` to an image's multiplicity on one side of `e`, storing its bytes when new and
  // forgetting them when it reaches 0.
  void add_image(entry& e, int side, std::string_view image, int64_t count);
  // Copies the stored images into fresh blocks, leaving the bytes of removed ones behind.
  void compact_images();
  // Sets an image's multiplicity on one side of `e` (a delta row of a snapshot).
  void set_image(entry& e, int side, std::string_view image, int64_t count);
  // Above this many bytes of changed rows, a snapshot writes changed keys whole.
  size_t delta_bytes_bound() const;
  // Notes a changed row for the next snapshot's delta rows, unless they are over their bound.
  void note_change(std::string_view key, uint32_t key_group, join_side side, std::string_view image);

  join_kind kind_;
  absl::flat_hash_map<std::string, entry> keys_;
  struct gone {
    std::string key;
    uint32_t key_group;
  };
  std::vector<gone> removed_;  // since the last snapshot
  struct changed_row {  // since the last snapshot, its bytes in changed_bytes_
    std::string_view key;
    uint32_t key_group;
    join_side side;
    std::string_view image;
  };
  std::vector<changed_row> changed_;
  string_arena changed_bytes_;
  size_t changed_size_ = 0;     // bytes kept in changed_bytes_
  bool changed_over_ = false;  // over delta_bytes_bound(): changed keys go whole
  struct change {  // a row of a join batch being merged, its bytes in the message
    join_side side;
    bool null_key;
    uint32_t key_group;
    int64_t weight;
    std::string_view key;
    std::string_view image;
  };
  std::vector<change> changes_;
  std::string joined_;
  // The bytes of every stored image, one allocation per block rather than per row: blocks never
  // move, so the rows' views stay valid until compact_images() rebuilds them.
  string_arena images_;
  size_t stored_bytes_ = 0;   // kept in images_
  size_t removed_bytes_ = 0;  // of those, of images no longer stored
};

}  // namespace sluice::ops

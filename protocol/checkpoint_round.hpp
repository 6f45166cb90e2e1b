// The job's side of an aligned checkpoint, without CAF (as Flink's CheckpointCoordinator): one
// round at a time. It begins by sending Barrier(n) to every source; each source answers with its
// channel's offset and each reducer acks once its sink rows and snapshot for n are stored. With
// every answer in, the checkpoint is recorded in the store; only once the store has it is it
// complete, and the next round may begin. Answers of another round are ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/store/checkpoint.hpp"

namespace sluice::protocol {

class checkpoint_round {
 public:
  using clock = std::chrono::steady_clock;

  // 0 when no round is under way.
  uint64_t pending() const { return pending_; }

  // Begins checkpoint `last + 1` over `committed.size()` channels (the last complete checkpoint's
  // offsets) and `reducers` reducers: the caller sends the barrier of pending() to every source.
  // False while a round is under way.
  bool begin(uint64_t last, const std::vector<uint64_t>& committed, uint32_t reducers,
             clock::time_point now);
  // An answer of checkpoint `id`. True when it was the last one: the caller records record()
  // in the store and calls recorded() once the store has it.
  bool on_offset(uint64_t id, uint32_t channel, uint64_t offset);
  // A reducer's ack carries its late rows so far and its watermark as of the checkpoint.
  bool on_ack(uint64_t id, uint32_t reducer, uint64_t late_rows, int64_t watermark);

  // What the store keeps of the round. The snapshots an assignment takes first image every key
  // group (`first_snapshot`); after that each key group is imaged whole once every
  // ops::snapshot_slices checkpoints, so the last snapshot_slices ones restore it.
  store::checkpoint record(uint64_t first_snapshot, std::string fingerprint) const;
  // The checkpoint is stored: the round is over. Its duration, from the barrier.
  std::chrono::duration<double, std::milli> recorded(clock::time_point now);
  // The round is abandoned (a failure): its answers, and the store's, are ignored.
  void drop() { pending_ = 0; }

  bool overdue(clock::time_point now, clock::duration timeout) const {
    return pending_ != 0 && now - started_ > timeout;
  }
  const std::vector<uint64_t>& offsets() const { return offsets_; }
  // Per reducer: source rows that came for windows already final, as of this round.
  const std::vector<uint64_t>& late_rows() const { return late_; }

 private:
  bool ready() const { return offsets_in_ == offsets_.size() && acks_in_ == late_.size(); }

  uint64_t pending_ = 0;
  clock::time_point started_;
  std::vector<uint64_t> offsets_;
  std::vector<bool> offset_in_;
  std::vector<bool> ack_in_;
  std::vector<uint64_t> late_;
  int64_t watermark_ = std::numeric_limits<int64_t>::min();  // the highest acked
  size_t offsets_in_ = 0;
  size_t acks_in_ = 0;
};

}  // namespace sluice::protocol

// A reducer's barrier alignment, without CAF (as Flink's SingleCheckpointBarrierHandler): once an
// input (a source) has sent Barrier(n), its further batches are held back until every input has
// sent Barrier(n); then the state as of the barrier is checkpointed, and the held-back batches
// come in, in the order they came, up to an input's next barrier. The watermark of checkpoint n
// is the least over the inputs' barriers, ignoring inputs whose watermark is unknown (a source
// that caught up without a record: protocol::source_watermark).
//
// Batch is whatever the reducer keeps of a held-back batch (its bytes and its pending reply).
// Each event appends, in order, what to do: merge a batch, or take checkpoint n.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::protocol {

// Every input has sent the barrier of `checkpoint`: take it now, before the next merge.
struct aligned {
  uint64_t checkpoint;
  // The least watermark of the inputs' barriers; unknown (lowest) when no input has one.
  int64_t watermark;
};

template <typename Batch>
class barrier_alignment {
 public:
  using command = std::variant<Batch, aligned>;  // a batch to merge now, or a checkpoint to take
  static constexpr int64_t unknown = std::numeric_limits<int64_t>::min();

  explicit barrier_alignment(uint32_t inputs)
      : seen_(inputs, false), watermarks_(inputs, unknown), held_(inputs) {}

  uint32_t inputs() const { return static_cast<uint32_t>(seen_.size()); }

  void on_batch(uint32_t input, Batch batch, std::vector<command>& out) {
    if (seen_[input] || !held_[input].empty()) {
      held_[input].push_back(std::move(batch));
      return;
    }
    out.push_back(std::move(batch));
  }

  // A repeated or stale barrier (of a checkpoint already aligned) is ignored.
  void on_barrier(uint32_t input, uint64_t checkpoint, int64_t watermark,
                  std::vector<command>& out) {
    if (checkpoint <= aligned_) return;
    if (seen_[input]) {
      // The input's next barrier, while this one still aligns: it waits its turn.
      held_[input].push_back(barrier{checkpoint, watermark});
      return;
    }
    seen_[input] = true;
    watermarks_[input] = std::max(watermarks_[input], watermark);
    if (++barriers_ < inputs()) return;
    int64_t least = std::numeric_limits<int64_t>::max();
    for (int64_t w : watermarks_)
      if (w != unknown) least = std::min(least, w);
    out.push_back(aligned{checkpoint, least == std::numeric_limits<int64_t>::max() ? unknown : least});
    aligned_ = checkpoint;
    barriers_ = 0;
    seen_.assign(inputs(), false);
    release(out);
  }

 private:
  struct barrier {
    uint64_t checkpoint;
    int64_t watermark;
  };

  void release(std::vector<command>& out) {
    for (uint32_t input = 0; input < inputs(); ++input) {
      auto& queue = held_[input];
      while (!queue.empty() && !seen_[input]) {
        auto next = std::move(queue.front());
        queue.pop_front();
        if (auto* b = std::get_if<barrier>(&next)) {
          on_barrier(input, b->checkpoint, b->watermark, out);
          continue;
        }
        out.push_back(std::move(std::get<Batch>(next)));
      }
    }
  }

  std::vector<bool> seen_;  // per input: its barrier of the checkpoint aligning
  std::vector<int64_t> watermarks_;
  std::vector<std::deque<std::variant<Batch, barrier>>> held_;
  uint32_t barriers_ = 0;
  uint64_t aligned_ = 0;  // the last checkpoint aligned: older barriers are stale
};

}  // namespace sluice::protocol

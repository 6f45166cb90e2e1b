#include "protocol/checkpoint_round.hpp"

#include <absl/time/clock.h>

#include <algorithm>

#include "operators/group_table.hpp"

namespace sluice::protocol {

bool checkpoint_round::begin(uint64_t last, const std::vector<uint64_t>& committed,
                             uint32_t reducers, clock::time_point now) {
  if (pending_ != 0) return false;
  pending_ = last + 1;
  started_ = now;
  offsets_ = committed;
  offset_in_.assign(committed.size(), false);
  ack_in_.assign(reducers, false);
  late_.assign(reducers, 0);
  watermark_ = std::numeric_limits<int64_t>::min();
  offsets_in_ = acks_in_ = 0;
  return true;
}

bool checkpoint_round::on_offset(uint64_t id, uint32_t channel, uint64_t offset) {
  if (id != pending_ || channel >= offsets_.size() || offset_in_[channel]) return false;
  offset_in_[channel] = true;
  offsets_[channel] = offset;
  ++offsets_in_;
  return ready();
}

bool checkpoint_round::on_ack(uint64_t id, uint32_t reducer, uint64_t late_rows,
                              int64_t watermark) {
  if (id != pending_ || reducer >= late_.size() || ack_in_[reducer]) return false;
  ack_in_[reducer] = true;
  late_[reducer] = late_rows;
  watermark_ = std::max(watermark_, watermark);
  ++acks_in_;
  return ready();
}

store::checkpoint checkpoint_round::record(uint64_t first_snapshot, std::string fingerprint) const {
  store::checkpoint cp;
  cp.id = pending_;
  cp.offsets = offsets_;
  cp.parts = static_cast<uint32_t>(late_.size());
  cp.first_snapshot = std::max(
      first_snapshot, cp.id >= ops::snapshot_slices ? cp.id - ops::snapshot_slices + 1 : 0);
  cp.created_ms = absl::ToUnixMillis(absl::Now());
  cp.fingerprint = std::move(fingerprint);
  cp.watermark = watermark_;
  return cp;
}

std::chrono::duration<double, std::milli> checkpoint_round::recorded(clock::time_point now) {
  pending_ = 0;
  return now - started_;
}

}  // namespace sluice::protocol

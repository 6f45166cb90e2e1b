#include "runtime/store/change_batch.hpp"

#include <fmt/format.h>
#include <kj/exception.h>

#include <cstring>

namespace sluice::store {

absl::StatusOr<change_batch> change_batch::create(
    uint32_t table_id, uint32_t channel, uint64_t first_offset, uint64_t end_offset,
    absl::FunctionRef<std::optional<std::string_view>()> next_segment) {
  if (end_offset < first_offset)
    return absl::InvalidArgumentError(
        fmt::format("record batch ends at {} before it starts at {}", end_offset, first_offset));
  change_batch batch;
  batch.table_id_ = table_id;
  batch.channel_ = channel;
  batch.first_offset_ = first_offset;
  batch.end_offset_ = end_offset;
  uint64_t next = first_offset;
  try {
    while (auto piece = next_segment()) {
      std::string_view bytes = *piece;
      if (bytes.size() % sizeof(capnp::word) != 0)
        return absl::InvalidArgumentError("a change segment is not a whole number of words");
      segment seg;
      // FlatArrayMessageReader needs word alignment, which stored and received bytes lack.
      seg.words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
      std::memcpy(seg.words.begin(), bytes.data(), bytes.size());
      seg.reader = std::make_unique<capnp::FlatArrayMessageReader>(seg.words.asPtr());
      auto root = seg.reader->getRoot<wire::ChangeSegment>();
      seg.first_offset = root.getFirstOffset();
      seg.records = root.getRecords();
      if (root.getChannel() != channel)
        return absl::InvalidArgumentError(fmt::format(
            "a change segment of channel {} is in a batch of channel {}", root.getChannel(),
            channel));
      uint64_t seg_end = seg.first_offset + seg.records.size();
      if (seg.first_offset > next || seg_end <= next)
        return absl::InvalidArgumentError(fmt::format(
            "change segment [{}, {}) does not continue the batch at offset {}", seg.first_offset,
            seg_end, next));
      next = seg_end;
      batch.segments_.push_back(std::move(seg));
    }
  } catch (const kj::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("a change segment cannot be decoded: {}", e.getDescription().cStr()));
  }
  if (next < end_offset)
    return absl::InvalidArgumentError(fmt::format(
        "the change segments end at offset {}, short of the batch end {}", next, end_offset));
  return batch;
}

absl::StatusOr<change_batch> change_batch::from_wire(wire::RecordBatch::Reader batch) {
  try {
    auto segments = batch.getSegments();
    size_t next = 0;
    return create(batch.getTableId(), batch.getChannel(), batch.getFirstOffset(),
                  batch.getEndOffset(), [&]() -> std::optional<std::string_view> {
                    if (next == segments.size()) return std::nullopt;
                    auto data = segments[next++];
                    return std::string_view(reinterpret_cast<const char*>(data.begin()),
                                            data.size());
                  });
  } catch (const kj::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("a record batch cannot be decoded: {}", e.getDescription().cStr()));
  }
}

change_batch change_batch::empty(uint32_t table_id, uint32_t channel, uint64_t offset) {
  change_batch batch;
  batch.table_id_ = table_id;
  batch.channel_ = channel;
  batch.first_offset_ = offset;
  batch.end_offset_ = offset;
  return batch;
}

void change_batch::to_wire(wire::RecordBatch::Builder out) const {
  out.setTableId(table_id_);
  out.setChannel(channel_);
  out.setFirstOffset(first_offset_);
  out.setEndOffset(end_offset_);
  auto segments = out.initSegments(segments_.size());
  for (size_t i = 0; i < segments_.size(); ++i)
    segments.set(i, segments_[i].words.asBytes());
}

}  // namespace sluice::store

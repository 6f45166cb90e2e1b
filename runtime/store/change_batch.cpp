#include "runtime/store/change_batch.hpp"

#include <fmt/format.h>
#include <kj/exception.h>

#include <cstring>

#include "runtime/core/reader_options.hpp"
#include "runtime/core/status.hpp"

namespace sluice::store {
namespace {

constexpr size_t word = sizeof(capnp::word);
constexpr size_t header_words = 4;

uint64_t word_at(const frame_bytes& frame, size_t index) {
  uint64_t value;
  std::memcpy(&value, frame.data() + index * word, word);
  return value;
}

void append_word(frame_bytes& frame, uint64_t value) {
  const char* bytes = reinterpret_cast<const char*>(&value);
  frame.insert(frame.end(), bytes, bytes + word);
}

}  // namespace

absl::StatusOr<change_batch> change_batch::create(
    uint32_t table_id, uint32_t channel, uint64_t first_offset, uint64_t end_offset,
    absl::FunctionRef<std::optional<std::string_view>()> next_segment) {
  frame_bytes frame;
  // Room for the usual record (a few cells and strings) up front: growing the frame segment by
  // segment would copy it again at every doubling.
  frame.reserve(header_words * word + (end_offset - first_offset) * 192);
  append_word(frame, uint64_t{table_id} << 32 | channel);
  append_word(frame, first_offset);
  append_word(frame, end_offset);
  append_word(frame, 0);
  std::vector<uint64_t> sizes;
  while (auto piece = next_segment()) {
    if (piece->size() % word != 0)
      return absl::InvalidArgumentError("a change segment is not a whole number of words");
    frame.insert(frame.end(), piece->begin(), piece->end());
    sizes.push_back(piece->size() / word);
  }
  for (uint64_t size : sizes) append_word(frame, size);
  const uint64_t count = sizes.size();
  std::memcpy(frame.data() + 3 * word, &count, word);
  change_batch batch;
  batch.frame_ = std::move(frame);
  SLUICE_RETURN_IF_ERROR(batch.index());
  return batch;
}

absl::StatusOr<change_batch> change_batch::from_frame(frame_bytes frame) {
  if (frame.size() % word != 0 || frame.size() < header_words * word)
    return absl::InvalidArgumentError(
        fmt::format("a received record batch of {} bytes is not a whole frame", frame.size()));
  change_batch batch;
  batch.frame_ = std::move(frame);
  SLUICE_RETURN_IF_ERROR(batch.index());
  return batch;
}

absl::Status change_batch::index() {
  const size_t words = frame_.size() / word;
  const uint64_t ids = word_at(frame_, 0);
  table_id_ = static_cast<uint32_t>(ids >> 32);
  channel_ = static_cast<uint32_t>(ids);
  first_offset_ = word_at(frame_, 1);
  end_offset_ = word_at(frame_, 2);
  const uint64_t count = word_at(frame_, 3);
  if (end_offset_ < first_offset_)
    return absl::InvalidArgumentError(fmt::format(
        "record batch ends at {} before it starts at {}", end_offset_, first_offset_));
  if (count > words - header_words)
    return absl::InvalidArgumentError(
        fmt::format("a record batch of {} words cannot hold {} segments", words, count));
  const size_t sizes_at = words - count;
  uint64_t next = first_offset_;
  size_t at = header_words;
  auto* base = reinterpret_cast<const capnp::word*>(frame_.data());
  try {
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t size = word_at(frame_, sizes_at + i);
      if (size > sizes_at - at)
        return absl::InvalidArgumentError("a change segment runs past the end of its batch");
      segment seg;
      seg.reader = std::make_unique<capnp::FlatArrayMessageReader>(
          kj::ArrayPtr<const capnp::word>(base + at, size),
          reader_options_for(size * sizeof(capnp::word)));
      at += size;
      auto root = seg.reader->getRoot<wire::ChangeSegment>();
      seg.first_offset = root.getFirstOffset();
      seg.records = root.getRecords();
      if (root.getChannel() != channel_)
        return absl::InvalidArgumentError(fmt::format(
            "a change segment of channel {} is in a batch of channel {}", root.getChannel(),
            channel_));
      uint64_t seg_end = seg.first_offset + seg.records.size();
      if (seg.first_offset > next || seg_end <= next)
        return absl::InvalidArgumentError(fmt::format(
            "change segment [{}, {}) does not continue the batch at offset {}", seg.first_offset,
            seg_end, next));
      next = seg_end;
      segments_.push_back(std::move(seg));
    }
  } catch (const kj::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("a change segment cannot be decoded: {}", e.getDescription().cStr()));
  }
  if (at != sizes_at)
    return absl::InvalidArgumentError("a record batch has bytes between its segments and sizes");
  if (next < end_offset_)
    return absl::InvalidArgumentError(fmt::format(
        "the change segments end at offset {}, short of the batch end {}", next, end_offset_));
  return absl::OkStatus();
}

change_batch change_batch::empty(uint32_t table_id, uint32_t channel, uint64_t offset) {
  auto batch = create(table_id, channel, offset, offset, [] { return std::optional<std::string_view>(); });
  return *std::move(batch);
}

frame_bytes change_batch::release_frame() && {
  segments_.clear();
  first_offset_ = end_offset_;
  return std::move(frame_);
}

absl::Status change_batch::corrupt_record(uint64_t offset) const {
  return absl::DataLossError(
      fmt::format("the change record at offset {} of channel {} is corrupt", offset, channel_));
}

}  // namespace sluice::store

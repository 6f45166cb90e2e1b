// The answer to a channel read: the change records [first_offset, end_offset) of one channel.
// It holds the stored segments that contain them (see ChangeSegment in schemas/change.capnp) in
// one buffer, its frame, and reads records in place, so a batch of thousands of records costs one
// copy of segment bytes, never a copy or allocation per record. The frame is also what a remote
// read sends: the store's session moves it into its answer, and the client reads the bytes it
// received in place. Immutable once built; safe to read from any thread.
//
// The frame, in little-endian 64-bit words: table id << 32 | channel, first offset, end offset,
// the number of segments n, the segments' words back to back, then n words with each segment's
// length in words.
#pragma once

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "schemas/change.capnp.h"

namespace sluice::store {

// Bytes that are written before they are read: growing the buffer leaves them uninitialized
// (a received frame of hundreds of KiB would otherwise be zeroed, then overwritten).
template <typename T>
struct uninitialized_allocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = uninitialized_allocator<U>;
  };
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using frame_bytes = std::vector<char, uninitialized_allocator<char>>;

// The bytes of a change record's image: a row in the store's encoding (row_codec.hpp).
inline std::string_view image_bytes(capnp::Data::Reader image) {
  return std::string_view(reinterpret_cast<const char*>(image.begin()), image.size());
}

class change_batch {
 public:
  // Copies the segment messages that next_segment() yields (flat Cap'n Proto arrays, any
  // alignment; std::nullopt ends them) and checks that they belong to `channel`, follow each
  // other without gaps and cover [first_offset, end_offset). A violation is InvalidArgument:
  // bytes from the wire or the disk are not trusted.
  static absl::StatusOr<change_batch> create(
      uint32_t table_id, uint32_t channel, uint64_t first_offset, uint64_t end_offset,
      absl::FunctionRef<std::optional<std::string_view>()> next_segment);
  // A batch made of a frame received from elsewhere, read where it lies (a vector's buffer comes
  // from operator new, aligned for any word), with the same checks.
  static absl::StatusOr<change_batch> from_frame(frame_bytes frame);
  // An empty batch at `offset`: nothing new in the channel.
  static change_batch empty(uint32_t table_id, uint32_t channel, uint64_t offset);

  change_batch(change_batch&&) = default;
  change_batch& operator=(change_batch&&) = default;

  uint32_t table_id() const { return table_id_; }
  uint32_t channel() const { return channel_; }
  uint64_t first_offset() const { return first_offset_; }
  uint64_t end_offset() const { return end_offset_; }
  size_t size() const { return end_offset_ - first_offset_; }
  bool empty() const { return first_offset_ == end_offset_; }

  // Calls fn(offset, wire::ChangeRecord::Reader) for every record, in offset order. The readers
  // point into this batch and live as long as it does.
  template <typename F>
  void for_each(F&& fn) const {
    for (const auto& segment : segments_) {
      uint64_t begin = std::max(first_offset_, segment.first_offset);
      uint64_t end = std::min(end_offset_, segment.first_offset + segment.records.size());
      for (uint64_t offset = begin; offset < end; ++offset)
        fn(offset, segment.records[offset - segment.first_offset]);
    }
  }

  // Calls fn(offset, image, sign) for every record's before-image (sign -1), then its
  // after-image (+1), skipping deletes when `skip_deletes`; fn returns false for an image it
  // cannot read, and the first such record (or one whose pointers do not decode) ends the walk
  // as DataLoss.
  template <typename F>
  absl::Status for_each_image(bool skip_deletes, F&& fn) const {
    std::optional<uint64_t> corrupt;
    uint64_t at = first_offset_;
    try {
      for_each([&](uint64_t offset, wire::ChangeRecord::Reader record) {
        at = offset;
        if (corrupt || (skip_deletes && !record.hasAfter())) return;
        if ((record.hasBefore() && !fn(offset, image_bytes(record.getBefore()), -1)) ||
            (record.hasAfter() && !fn(offset, image_bytes(record.getAfter()), +1)))
          corrupt = offset;
      });
    } catch (const kj::Exception&) {  // a record whose pointers do not decode
      corrupt = at;
    }
    return corrupt ? corrupt_record(*corrupt) : absl::OkStatus();
  }

  // The frame, for sending; the batch is left empty.
  frame_bytes release_frame() &&;

 private:
  struct segment {
    std::unique_ptr<capnp::FlatArrayMessageReader> reader;
    uint64_t first_offset = 0;
    capnp::List<wire::ChangeRecord>::Reader records;
  };

  change_batch() = default;
  absl::Status corrupt_record(uint64_t offset) const;
  // Reads the header and the segments of frame_, with the checks of create().
  absl::Status index();

  frame_bytes frame_;
  uint32_t table_id_ = 0;
  uint32_t channel_ = 0;
  uint64_t first_offset_ = 0;
  uint64_t end_offset_ = 0;
  std::vector<segment> segments_;
};

}  // namespace sluice::store

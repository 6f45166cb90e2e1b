// The write path: a row batch becomes new row images and change records in one atomic write.
#include <absl/container/flat_hash_map.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <deque>

#include <fmt/format.h>

#include "runtime/core/hash.hpp"
#include "runtime/core/key_codec.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"
#include "runtime/core/wire_value.hpp"
#include "runtime/store/keys.hpp"
#include "runtime/store/store_state.hpp"

namespace sluice::store {
namespace {

// A row image is `width` values in schema order, or nullptr for "no row".
using image = const value*;

bool same_image(image a, image b, size_t width) {
  if (a == nullptr || b == nullptr) return a == b;
  return std::equal(a, a + width, b);
}

// The encoding of an image: in a stored row read by the write (`stored`), or at [offset,
// offset + size) of the write's new images. Size 0: no row (an encoded row is never
// empty: a table has at least its key column).
struct encoded {
  const char* stored = nullptr;
  size_t offset = 0;
  size_t size = 0;
};

struct change {
  change_op op;
  encoded before;
  encoded after;
};

std::string_view bytes_of(const encoded& image, std::string_view images) {
  return std::string_view(image.stored ? image.stored : images.data() + image.offset, image.size);
}

std::string build_segment(uint32_t channel, uint64_t first_offset,
                          const std::vector<const change*>& changes, std::string_view images) {
  size_t bytes = 0;
  for (const change* c : changes) bytes += c->before.size + c->after.size;
  // A first segment large enough for the records keeps the message in one piece.
  capnp::MallocMessageBuilder message(
      std::max<size_t>(1024, changes.size() * 6 + bytes / sizeof(capnp::word)));
  auto segment = message.initRoot<wire::ChangeSegment>();
  segment.setChannel(channel);
  segment.setFirstOffset(first_offset);
  auto records = segment.initRecords(changes.size());
  auto data = [&](const encoded& image) {
    auto view = bytes_of(image, images);
    return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(view.data()), view.size());
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    auto record = records[i];
    record.setOp(sluice::to_wire(changes[i]->op));
    if (changes[i]->before.size) record.setBefore(data(changes[i]->before));
    if (changes[i]->after.size) record.setAfter(data(changes[i]->after));
  }
  auto words = capnp::messageToFlatArray(message);
  auto flat = words.asChars();
  return std::string(flat.begin(), flat.size());
}

// The record of a client's unanswered writes (see keys.hpp) once `id` is applied with `result`:
// writes answered since are forgotten, `id` is remembered.
std::string record_after(const std::vector<uint64_t>& unanswered, const client_write& id,
                         const write_result& result) {
  std::vector<uint64_t> out = {std::max(unanswered[0], id.answered_below)};
  for (size_t i = 1; i + 2 < unanswered.size(); i += 3)
    if (unanswered[i] >= out[0]) out.insert(out.end(), &unanswered[i], &unanswered[i] + 3);
  out.insert(out.end(), {id.seq, result.changed, result.unchanged});
  return encode_offsets(out);
}

}  // namespace

absl::StatusOr<write_result> store::write(const row_batch& batch, const fence& by) {
  return apply_write(batch, by, nullptr, nullptr);
}

absl::StatusOr<write_result> store::write(const row_batch& batch, const fence& by,
                                          const client_write& id) {
  if (id.client.empty()) return absl::InvalidArgumentError("a client write needs a client id");
  return apply_write(batch, by, &id, nullptr);
}

absl::StatusOr<write_result> store::write_at(const row_batch& batch, const source_position& at) {
  return apply_write(batch, {}, nullptr, &at);
}

absl::StatusOr<write_result> store::write_at(const row_batch& batch, const source_position& at,
                                             const client_write& id) {
  if (id.client.empty()) return absl::InvalidArgumentError("a client write needs a client id");
  return apply_write(batch, {}, &id, &at);
}

absl::StatusOr<std::string> store::source_position_of(std::string_view source) const {
  std::string position;
  auto status = db_->Get(rocksdb::ReadOptions(), meta_, keys::source_position(source), &position);
  if (status.IsNotFound())
    return absl::NotFoundError(fmt::format("mirror {} has no position yet", source));
  SLUICE_RETURN_IF_ERROR(from_rocksdb(status, "reading a mirror's position"));
  return position;
}

absl::StatusOr<write_result> store::apply_write(const row_batch& batch, const fence& by,
                                                const client_write* id,
                                                const source_position* at) {
  SLUICE_RETURN_IF_ERROR(check_writable());
  SLUICE_RETURN_IF_ERROR(batch.validate());
  const table_schema& schema = batch.schema();
  absl::MutexLock write_lock(&write_mu_);
  SLUICE_RETURN_IF_ERROR(check_fence(by));
  // answered_below, then (seq, changed, unchanged) per unanswered write of the client.
  std::vector<uint64_t> unanswered = {0};
  if (id) {
    std::string bytes;
    auto status = db_->Get(rocksdb::ReadOptions(), meta_, keys::client_writes(id->client), &bytes);
    if (!status.IsNotFound()) {
      SLUICE_RETURN_IF_ERROR(from_rocksdb(status, "reading a client's writes"));
      if (bytes.size() % 24 != 8)
        return absl::DataLossError("a stored record of client writes is truncated");
      SLUICE_ASSIGN_OR_RETURN(unanswered, decode_offsets(bytes, bytes.size() / 8));
    }
    // A stale copy of an answered write: nobody waits for this answer.
    if (id->seq < unanswered[0]) return write_result{};
    for (size_t i = 1; i + 2 < unanswered.size(); i += 3)
      if (unanswered[i] == id->seq) return write_result{unanswered[i + 1], unanswered[i + 2]};
  }
  std::vector<uint64_t> ends;
  {
    absl::ReaderMutexLock lock(&mu_);
    SLUICE_ASSIGN_OR_RETURN(const table_state* state, live_table(schema));
    ends = state->ends;
  }
  const size_t rows = batch.size();
  const size_t width = schema.column_count();
  const uint32_t channels = schema.channels();
  const auto& primary_key = schema.primary_key();

  // Each distinct key of the batch is one slot: its stored image is looked up once, and the
  // changes of the batch apply to it in order.
  // The keys of all rows are built into one arena first (no allocation per key), then viewed.
  std::string arena;
  arena.reserve(rows * 48);
  std::vector<size_t> key_end(rows);
  std::vector<uint32_t> row_channel(rows);
  for (size_t row = 0; row < rows; ++row) {
    row_channel[row] =
        static_cast<uint32_t>(stable_hash(batch.get(row, primary_key[0])) % channels);
    keys::append_channel_prefix(arena, schema.id(), row_channel[row]);
    for (uint16_t column : primary_key) append_key_cell(batch.get(row, column), arena);
    key_end[row] = arena.size();
  }
  std::vector<std::string_view> slot_keys;
  std::vector<uint32_t> slot_channel;
  std::vector<uint32_t> row_slot(rows);
  absl::flat_hash_map<std::string_view, uint32_t> slot_of;
  slot_of.reserve(rows);
  for (size_t row = 0; row < rows; ++row) {
    size_t begin = row == 0 ? 0 : key_end[row - 1];
    std::string_view key(arena.data() + begin, key_end[row] - begin);
    auto [it, inserted] = slot_of.try_emplace(key, static_cast<uint32_t>(slot_keys.size()));
    if (inserted) {
      slot_keys.push_back(key);
      slot_channel.push_back(row_channel[row]);
    }
    row_slot[row] = it->second;
  }

  // Slots in key order: MultiGet takes them sorted, and the memtable's skip list inserts rows
  // fastest in key order (each insert starts from the previous one instead of from the top).
  const size_t slots = slot_keys.size();
  std::vector<uint32_t> sorted(slots);
  for (uint32_t slot = 0; slot < slots; ++slot) sorted[slot] = slot;
  std::sort(sorted.begin(), sorted.end(),
            [&](uint32_t a, uint32_t b) { return slot_keys[a] < slot_keys[b]; });
  std::vector<rocksdb::Slice> lookups;
  lookups.reserve(slots);
  for (uint32_t slot : sorted) lookups.emplace_back(slot_keys[slot].data(), slot_keys[slot].size());
  std::vector<rocksdb::PinnableSlice> found(slots);
  std::vector<rocksdb::Status> statuses(slots);
  db_->MultiGet(rocksdb::ReadOptions(), rows_, slots, lookups.data(), found.data(),
                statuses.data(), /*sorted_input=*/true);
  std::deque<std::vector<value>> owned;  // images not in the batch: stored rows, merged updates
  std::vector<image> current(slots, nullptr);
  std::vector<encoded> current_bytes(slots);  // each image is encoded once, or kept as stored
  for (size_t i = 0; i < slots; ++i) {
    if (statuses[i].IsNotFound()) continue;
    SLUICE_RETURN_IF_ERROR(from_rocksdb(statuses[i], "reading stored rows"));
    SLUICE_RETURN_IF_ERROR(decode_row(found[i].ToStringView(), width, owned.emplace_back()));
    current[sorted[i]] = owned.back().data();
    current_bytes[sorted[i]] = {found[i].data(), 0, found[i].size()};
  }
  std::string images;  // the encodings of the batch's new images
  images.reserve(rows * 48);

  std::vector<change> changes;
  changes.reserve(rows);
  std::vector<uint32_t> change_channel;
  change_channel.reserve(rows);
  std::vector<bool> dirty(slots, false);
  write_result result;
  for (size_t row = 0; row < rows; ++row) {
    uint32_t slot = row_slot[row];
    image before = current[slot];
    image after = nullptr;
    switch (batch.op(row)) {
      case change_op::put: after = &batch.get(row, 0); break;
      case change_op::update: {
        auto& merged = owned.emplace_back(width);
        for (size_t column = 0; column < width; ++column) {
          if (batch.is_set(row, column)) merged[column] = batch.get(row, column);
          else if (before) merged[column] = before[column];
        }
        after = merged.data();
        break;
      }
      case change_op::delete_: break;
    }
    if (same_image(before, after, width)) {
      ++result.unchanged;
      continue;
    }
    encoded after_bytes;
    if (after) {
      after_bytes.offset = images.size();
      encode_row(std::span(after, width), images);
      after_bytes.size = images.size() - after_bytes.offset;
    }
    changes.push_back({batch.op(row), current_bytes[slot], after_bytes});
    change_channel.push_back(slot_channel[slot]);
    current[slot] = after;
    current_bytes[slot] = after_bytes;
    dirty[slot] = true;
  }
  result.changed = changes.size();
  rocksdb::WriteBatch write;
  if (id) write.Put(meta_, keys::client_writes(id->client), record_after(unanswered, *id, result));
  if (at) write.Put(meta_, keys::source_position(at->source), at->position);
  if (changes.empty()) {
    if (id || at) SLUICE_RETURN_IF_ERROR(commit(write, "recording a write's position"));
    return result;
  }

  for (uint32_t slot : sorted) {
    if (!dirty[slot]) continue;
    if (current[slot]) {
      auto row = bytes_of(current_bytes[slot], images);
      write.Put(rows_, rocksdb::Slice(slot_keys[slot].data(), slot_keys[slot].size()),
                rocksdb::Slice(row.data(), row.size()));
    } else {
      write.Delete(rows_, rocksdb::Slice(slot_keys[slot].data(), slot_keys[slot].size()));
    }
  }
  std::vector<std::vector<const change*>> by_channel(channels);
  for (size_t i = 0; i < changes.size(); ++i) by_channel[change_channel[i]].push_back(&changes[i]);
  for (uint32_t channel = 0; channel < channels; ++channel) {
    if (by_channel[channel].empty()) continue;
    write.Put(log_, keys::segment(schema.id(), channel, ends[channel]),
              build_segment(channel, ends[channel], by_channel[channel], images));
    ends[channel] += by_channel[channel].size();
  }
  write.Put(meta_, keys::ends(schema.id()), encode_offsets(ends));
  SLUICE_RETURN_IF_ERROR(commit(write, "writing rows"));

  absl::MutexLock lock(&mu_);
  tables_.find(schema.name())->second.ends = std::move(ends);
  return result;
}

}  // namespace sluice::store

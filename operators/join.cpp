#include "operators/join.hpp"

#include <capnp/message.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>

#include "operators/group_table.hpp"
#include "operators/wire_message.hpp"
#include "runtime/core/hash.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"

namespace sluice::ops {
namespace {

capnp::Data::Reader data_of(std::string_view bytes) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(bytes.data()), bytes.size());
}

// The hash maps' heterogeneous lookups take abseil's string_view.
absl::string_view as_absl(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

std::string_view view_of(capnp::Data::Reader data) {
  return std::string_view(reinterpret_cast<const char*>(data.begin()), data.size());
}

// A source sends each change with weight +1 or -1; anything beyond this came from a faulty or
// hostile peer.
constexpr int64_t max_weight = int64_t{1} << 32;

// weight * count, or nothing when it overflows (multiplicities restored from hostile bytes).
std::optional<int64_t> times(int64_t weight, int64_t count) {
  int64_t product;
  if (__builtin_mul_overflow(weight, count, &product)) return std::nullopt;
  return product;
}

}  // namespace

join_router::join_router(std::shared_ptr<const job_plan> plan, join_side side)
    : plan_(std::move(plan)), side_(side) {
  const auto& join = *plan_->join;
  const auto& binding = side == join_side::left ? plan_->source : join.right;
  keys_ = side == join_side::left ? &join.left_keys : &join.right_keys;
  ignore_delete_ = binding.ignore_delete;
  used_.assign(binding.table->column_count(), false);
  for (const auto& key : *keys_) key.mark_columns(used_);
  key_.resize(keys_->size());
  const auto read = plan_->columns_read();
  const size_t first = side == join_side::left ? 0 : plan_->source.table->column_count();
  kept_.assign(read.begin() + first, read.begin() + first + binding.table->column_count());
  projects_ = std::find(kept_.begin(), kept_.end(), false) != kept_.end();
}

absl::Status join_router::on_batch(const store::change_batch& batch) {
  auto status = batch.for_each_image(
      ignore_delete_, [&](uint64_t, std::string_view image, int sign) { return route(image, sign); });
  arena_.clear();
  return status;
}

absl::Status join_router::add_row(std::string_view image) {
  bool decoded = route(image, +1);
  arena_.clear();
  if (!decoded) return absl::DataLossError("a row of the table is corrupt");
  return absl::OkStatus();
}

bool join_router::route(std::string_view image, int64_t weight) {
  if (!to_datums(image, used_, row_)) return false;
  bool null_key = false;
  for (size_t k = 0; k < key_.size(); ++k) {
    key_[k] = (*keys_)[k].eval(row_, arena_);
    null_key = null_key || key_[k].is_null();
  }
  // NULL equals nothing: only a LEFT JOIN's left row has a result then, its own with NULLs.
  if (null_key && (side_ == join_side::right || plan_->join->kind == join_kind::inner)) return true;
  if (projects_) {
    projected_.clear();
    if (!project_row(image, kept_, projected_)) return false;
    image = projected_;
  }
  routed out{weight, 0, null_key, {}, routed_bytes_.keep(image)};
  if (null_key) {
    // Any joiner will do; its retraction, the same image, goes to the same one.
    out.key_group = static_cast<uint32_t>(stable_hash_bytes(image) % key_groups);
  } else {
    key_bytes_.clear();
    append_key_datums(key_, key_bytes_);
    out.key = routed_bytes_.keep(key_bytes_);
    out.key_group = static_cast<uint32_t>(stable_hash_bytes(out.key) % key_groups);
  }
  rows_.push_back(out);
  return true;
}

std::vector<std::vector<char>> join_router::flush(std::span<const uint32_t> owner,
                                                  uint32_t joiners, uint64_t epoch,
                                                  uint32_t channel) {
  std::vector<uint32_t> counts(joiners, 0);
  std::vector<size_t> bytes(joiners, 0);
  for (const auto& row : rows_) {
    ++counts[owner[row.key_group]];
    // A JoinRow is 4 words, and each of its Data fields is padded to whole words.
    bytes[owner[row.key_group]] += 32 + row.key.size() + row.image.size() + 14;
  }
  std::vector<std::vector<char>> messages(joiners);
  for (uint32_t j = 0; j < joiners; ++j) {
    if (counts[j] == 0) continue;
    capnp::MallocMessageBuilder message(first_segment_words(bytes[j]));
    auto batch = message.initRoot<wire::JoinBatch>();
    batch.setEpoch(epoch);
    batch.setChannel(channel);
    auto rows = batch.initRows(counts[j]);
    uint32_t i = 0;
    for (const auto& row : rows_) {
      if (owner[row.key_group] != j) continue;
      auto out = rows[i++];
      out.setRight(side_ == join_side::right);
      out.setWeight(row.weight);
      out.setKey(data_of(row.key));
      out.setKeyGroup(row.key_group);
      out.setNullKey(row.null_key);
      out.setImage(data_of(row.image));
    }
    messages[j] = message_bytes(message);
  }
  rows_.clear();
  routed_bytes_.clear();
  return messages;
}

join_state::join_state(join_kind kind) : kind_(kind) {}

absl::Status join_state::emit_joined(std::string_view left, std::string_view right,
                                     std::optional<int64_t> weight, emit_fn emit) {
  if (!weight) return absl::InvalidArgumentError("a joined row's multiplicity overflows");
  if (*weight == 0) return absl::OkStatus();
  joined_.assign(left);
  joined_.append(right);
  return emit(joined_, *weight);
}

absl::Status join_state::apply(join_side side, std::string_view key, uint32_t key_group,
                               bool null_key, std::string_view image, int64_t weight,
                               emit_fn emit) {
  if (null_key) {
    if (side == join_side::left && kind_ == join_kind::left)
      return emit_joined(image, {}, weight, emit);
    return absl::OkStatus();
  }
  auto [it, added] = keys_.try_emplace(as_absl(key));
  entry& e = it->second;
  e.key_group = key_group;
  e.dirty = true;
  const int s = static_cast<int>(side), other = 1 - s;
  if (side == join_side::left) {
    for (const auto& [right, count] : e.rows[other])
      SLUICE_RETURN_IF_ERROR(emit_joined(image, right, times(weight, count), emit));
    if (kind_ == join_kind::left && e.total[other] == 0)
      SLUICE_RETURN_IF_ERROR(emit_joined(image, {}, weight, emit));
  } else {
    for (const auto& [left, count] : e.rows[other])
      SLUICE_RETURN_IF_ERROR(emit_joined(left, image, times(weight, count), emit));
    if (kind_ == join_kind::left) {
      const int64_t before = e.total[s];
      int64_t after;
      if (__builtin_add_overflow(before, weight, &after))
        return absl::InvalidArgumentError("a join key's multiplicity overflows");
      // The left rows' NULL-joined results go when their first match comes, and come back when
      // their last one goes.
      if ((before == 0) != (after == 0))
        for (const auto& [left, count] : e.rows[other])
          SLUICE_RETURN_IF_ERROR(
              emit_joined(left, {}, before == 0 ? -count : count, emit));
    }
  }
  add_image(e, s, image, weight);
  note_change(key, key_group, side, image);
  if (e.rows[0].empty() && e.rows[1].empty()) {
    removed_.push_back({std::string(key), key_group});
    keys_.erase(it);
  }
  if (removed_bytes_ > (size_t{1} << 20) && removed_bytes_ > stored_bytes_ / 2) compact_images();
  return absl::OkStatus();
}

join_state::side_rows::row* join_state::side_rows::find(std::string_view image) {
  if (!index_.empty()) {
    auto at = index_.find(as_absl(image));
    return at == index_.end() ? nullptr : &list_[at->second];
  }
  for (auto& r : list_)
    if (r.first == image) return &r;
  return nullptr;
}

join_state::side_rows::row& join_state::side_rows::add(std::string_view stored_image) {
  list_.emplace_back(stored_image, 0);
  if (!index_.empty()) {
    index_.emplace(as_absl(stored_image), list_.size() - 1);
  } else if (list_.size() == indexed_from) {
    for (size_t i = 0; i < list_.size(); ++i) index_.emplace(as_absl(list_[i].first), i);
  }
  return list_.back();
}

void join_state::side_rows::erase(row& r) {
  const size_t at = static_cast<size_t>(&r - list_.data());
  if (!index_.empty()) {
    index_.erase(as_absl(r.first));
    if (at + 1 != list_.size()) index_[as_absl(list_.back().first)] = at;
  }
  if (at + 1 != list_.size()) r = list_.back();
  list_.pop_back();
  if (list_.size() < indexed_from / 2) index_.clear();
}

void join_state::add_image(entry& e, int side, std::string_view image, int64_t count) {
  auto& rows = e.rows[side];
  auto* stored = rows.find(image);
  if (!stored) {
    stored = &rows.add(images_.keep(image));
    stored_bytes_ += image.size();
  }
  stored->second += count;
  e.total[side] += count;
  if (stored->second == 0) {
    removed_bytes_ += image.size();
    rows.erase(*stored);
  }
}

size_t join_state::delta_bytes_bound() const {
  return std::max(size_t{1} << 20, (stored_bytes_ - removed_bytes_) / 2);
}

void join_state::note_change(std::string_view key, uint32_t key_group, join_side side,
                             std::string_view image) {
  if (changed_over_) return;
  changed_size_ += key.size() + image.size();
  if (changed_size_ > delta_bytes_bound()) {
    changed_over_ = true;
    changed_.clear();
    changed_bytes_.clear();
    return;
  }
  changed_.push_back({changed_bytes_.keep(key), key_group, side, changed_bytes_.keep(image)});
}

void join_state::set_image(entry& e, int side, std::string_view image, int64_t count) {
  auto* stored = e.rows[side].find(image);
  const int64_t now = stored ? stored->second : 0;
  if (count != now) add_image(e, side, image, count - now);
}

void join_state::compact_images() {
  string_arena fresh;
  size_t stored = 0;
  for (auto& [key, e] : keys_)
    for (auto& rows : e.rows) {
      side_rows moved;
      for (const auto& [image, count] : rows) {
        moved.add(fresh.keep(image)).second = count;
        stored += image.size();
      }
      rows = std::move(moved);
    }
  images_ = std::move(fresh);
  stored_bytes_ = stored;
  removed_bytes_ = 0;
}

absl::Status join_state::merge(std::span<const char> join_batch, emit_fn emit) {
  absl::Status applied;
  auto read = read_message<wire::JoinBatch>(join_batch, "a join batch", [&](wire::JoinBatch::Reader batch) {
    // Every row is read (a bad one throws, a bad key group is refused) before any is applied.
    auto rows = batch.getRows();
    changes_.clear();
    changes_.reserve(rows.size());
    for (auto row : rows) {
      if (row.getKeyGroup() >= key_groups) {
        applied = absl::InvalidArgumentError("a join batch names an unknown key group");
        return;
      }
      if (row.getWeight() > max_weight || row.getWeight() < -max_weight) {
        applied = absl::InvalidArgumentError(
            fmt::format("a join batch row has the weight {}", row.getWeight()));
        return;
      }
      changes_.push_back({row.getRight() ? join_side::right : join_side::left, row.getNullKey(),
                          row.getKeyGroup(), row.getWeight(), view_of(row.getKey()),
                          view_of(row.getImage())});
    }
    for (const auto& c : changes_) {
      applied = apply(c.side, c.key, c.key_group, c.null_key, c.image, c.weight, emit);
      if (!applied.ok()) return;
    }
  });
  SLUICE_RETURN_IF_ERROR(read);
  return applied;
}

size_t join_state::rows() const {
  size_t n = 0;
  for (const auto& [key, e] : keys_) n += e.rows[0].size() + e.rows[1].size();
  return n;
}

namespace {

void append_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(v | 0x80));
  out.push_back(static_cast<char>(v));
}

bool read_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift <= 63 && !in.empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

// A snapshot holds a side's rows of a key as one blob: per row its multiplicity (zigzag varint),
// its length (varint) and its bytes; a row is mostly a byte of each and its image.
void append_packed(std::string& out, std::string_view image, int64_t count) {
  append_varint(out, (static_cast<uint64_t>(count) << 1) ^ static_cast<uint64_t>(count >> 63));
  append_varint(out, image.size());
  out.append(image);
}

// Calls fn(image, count) for every row of a blob while fn returns true; false when it is
// malformed or fn refused a row. A count of 0 is malformed unless `zero_allowed` (a delta row:
// the row is gone).
template <typename F>
bool for_each_packed(std::string_view blob, bool zero_allowed, F&& fn) {
  while (!blob.empty()) {
    uint64_t zigzag = 0, size = 0;
    if (!read_varint(blob, zigzag) || !read_varint(blob, size)) return false;
    const auto count = static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
    if (blob.size() < size || (count == 0 && !zero_allowed) || !fn(blob.substr(0, size), count))
      return false;
    blob.remove_prefix(size);
  }
  return true;
}

}  // namespace

std::vector<store::snapshot_chunk> join_state::snapshot(const std::vector<bool>& owns,
                                                        const std::vector<bool>& imaged,
                                                        size_t rows_per_chunk) {
  auto in = [](const std::vector<bool>& which, uint32_t key_group) {
    return key_group < which.size() && which[key_group];
  };
  auto in_image = [&](uint32_t key_group) { return in(imaged, key_group); };
  struct pending {
    std::string_view key;
    uint32_t key_group;
    const entry* e;  // whole; null: a marker alone (the key is gone), or a delta row
    int side = 0;                 // a delta row's
    std::string_view delta;       // a delta row's packed rows
    size_t delta_rows = 0;
  };
  std::vector<pending> keys;
  for (auto& [key, e] : keys_) {
    if (in_image(e.key_group) || (changed_over_ && e.dirty)) keys.push_back({key, e.key_group, &e});
    e.dirty = false;
  }
  auto removed = std::exchange(removed_, {});
  for (const auto& g : removed)
    if (!in_image(g.key_group) && !keys_.contains(as_absl(g.key))) keys.push_back({g.key, g.key_group, nullptr});
  // Delta rows: per key and side, each changed row once, with its multiplicity now.
  std::sort(changed_.begin(), changed_.end(), [](const changed_row& a, const changed_row& b) {
    return std::tie(a.key, a.side, a.image) < std::tie(b.key, b.side, b.image);
  });
  std::vector<std::string> packed_deltas;
  packed_deltas.reserve(changed_.size());
  for (size_t i = 0; i < changed_.size();) {
    const auto& first = changed_[i];
    size_t end = i;
    while (end < changed_.size() && changed_[end].key == first.key && changed_[end].side == first.side)
      ++end;
    auto it = keys_.find(as_absl(first.key));
    if (it != keys_.end() && !in_image(first.key_group)) {
      auto& rows = it->second.rows[static_cast<int>(first.side)];
      std::string& packed = packed_deltas.emplace_back();
      size_t count = 0;
      for (size_t c = i; c < end; ++c) {
        if (c > i && changed_[c].image == changed_[c - 1].image) continue;
        const auto* stored = rows.find(changed_[c].image);
        append_packed(packed, changed_[c].image, stored ? stored->second : 0);
        ++count;
      }
      keys.push_back({it->first, first.key_group, nullptr, static_cast<int>(first.side), packed, count});
    }
    i = end;
  }
  // A key's pending entries share its key group: sorted stably, they stay in order.
  std::stable_sort(keys.begin(), keys.end(),
                   [](const pending& a, const pending& b) { return a.key_group < b.key_group; });
  std::vector<store::snapshot_chunk> chunks;
  std::string packed;
  size_t next = 0;
  for (uint32_t g = 0; g < key_groups; ++g) {
    size_t group_end = next;
    while (group_end < keys.size() && keys[group_end].key_group == g) ++group_end;
    if (group_end == next && !in(owns, g)) continue;
    do {
      // A key is never split over two messages: its marker, then a row per side holding rows.
      size_t end = next, rows = 0, messages = 0, bytes = 0;
      while (end < group_end && (rows == 0 || rows < rows_per_chunk)) {
        const pending& k = keys[end];
        const entry* e = k.e;
        if (!k.delta.empty()) {
          rows += k.delta_rows;
          messages += 1;
          bytes += 32 + k.key.size() + 8 + k.delta.size() + 8;
        } else {
          rows += e ? e->rows[0].size() + e->rows[1].size() : 1;
          messages += 1 + (e ? !e->rows[0].empty() + !e->rows[1].empty() : 0);
          bytes += 32 + k.key.size() + 8;
          for (int side = 0; e && side < 2; ++side) {
            bytes += 32 + 8;
            for (const auto& [image, count] : e->rows[side]) bytes += 4 + image.size();
          }
        }
        ++end;
      }
      capnp::MallocMessageBuilder message(first_segment_words(bytes));
      auto root = message.initRoot<wire::JoinBatch>();
      if (in_image(g) && (chunks.empty() || chunks.back().slot != g)) root.initImaged(1).set(0, g);
      auto out = root.initRows(static_cast<uint32_t>(messages));
      uint32_t i = 0;
      for (size_t k = next; k < end; ++k) {
        auto marker = out[i++];
        marker.setKey(data_of(keys[k].key));
        marker.setKeyGroup(keys[k].key_group);
        if (!keys[k].delta.empty()) {
          marker.setRight(keys[k].side == 1);
          marker.setWeight(2);
          marker.setImage(data_of(keys[k].delta));
          continue;
        }
        if (!keys[k].e) continue;
        for (int side = 0; side < 2; ++side) {
          if (keys[k].e->rows[side].empty()) continue;
          packed.clear();
          for (const auto& [image, count] : keys[k].e->rows[side]) append_packed(packed, image, count);
          auto row = out[i++];
          row.setRight(side == 1);
          row.setWeight(1);
          row.setImage(data_of(packed));
        }
      }
      chunks.push_back({g, message_bytes(message)});
      next = end;
    } while (next < group_end);
  }
  changed_.clear();
  changed_bytes_.clear();
  changed_size_ = 0;
  changed_over_ = false;
  return chunks;
}

absl::Status join_state::restore(std::span<const char> snapshot) {
  bool malformed = false;
  auto read = read_message<wire::JoinBatch>(snapshot, "a join snapshot", [&](wire::JoinBatch::Reader batch) {
    batch.totalSize();
    auto imaged = batch.getImaged();
    if (imaged.size() > 0) {
      std::vector<bool> drop(key_groups, false);
      for (uint32_t g : imaged)
        if (g < key_groups) drop[g] = true;
      absl::erase_if(keys_, [&](const auto& kv) { return drop[kv.second.key_group]; });
    }
    entry* current = nullptr;
    std::string key_of_marker;  // the key whose marker came last
    uint32_t group_of_marker = 0;
    for (auto row : batch.getRows()) {
      if (row.getWeight() == 2) {
        // A delta row: the multiplicity now of each row given, on one side of its key.
        if (row.getKeyGroup() >= key_groups) {
          malformed = true;
          return;
        }
        auto [it, added] = keys_.try_emplace(as_absl(view_of(row.getKey())));
        entry& e = it->second;
        e.key_group = row.getKeyGroup();
        const int side = row.getRight() ? 1 : 0;
        malformed = !for_each_packed(view_of(row.getImage()), true, [&](std::string_view image, int64_t count) {
          if (count > max_weight || count < 0) return false;
          set_image(e, side, image, count);
          return true;
        });
        if (malformed) return;
        if (e.rows[0].empty() && e.rows[1].empty()) keys_.erase(it);
        current = nullptr;
        key_of_marker.clear();
        continue;
      }
      if (row.getWeight() == 0) {
        // A key's marker: what follows is all it holds.
        auto key = as_absl(view_of(row.getKey()));
        keys_.erase(key);
        current = nullptr;
        if (row.getKeyGroup() >= key_groups) {
          malformed = true;
          return;
        }
        key_of_marker.assign(key.data(), key.size());
        group_of_marker = row.getKeyGroup();
        continue;
      }
      if (key_of_marker.empty()) {
        malformed = true;
        return;
      }
      if (current == nullptr) {
        current = &keys_[key_of_marker];
        current->key_group = group_of_marker;
      }
      const int side = row.getRight() ? 1 : 0;
      malformed = !for_each_packed(view_of(row.getImage()), false, [&](std::string_view image, int64_t count) {
        if (count > max_weight || count < -max_weight) return false;
        add_image(*current, side, image, count);
        return true;
      });
      if (malformed) return;
    }
  });
  SLUICE_RETURN_IF_ERROR(read);
  if (malformed) return absl::InvalidArgumentError("a join snapshot is malformed");
  return absl::OkStatus();
}

void join_state::finish_restore(absl::FunctionRef<bool(uint32_t)> owns) {
  absl::erase_if(keys_, [&](const auto& kv) { return !owns(kv.second.key_group); });
  for (auto& [key, e] : keys_) e.dirty = false;
  removed_.clear();
  changed_.clear();
  changed_bytes_.clear();
  changed_size_ = 0;
  changed_over_ = false;
  compact_images();  // the images of keys replaced or dropped above
}

}  // namespace sluice::ops

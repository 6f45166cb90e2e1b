#include "operators/group_table.hpp"

#include <algorithm>
#include <cstring>

#include "operators/wrapping_add.hpp"
#include "runtime/core/hash.hpp"
#include "runtime/core/wire_value.hpp"

namespace sluice::ops {
namespace {

// The lookup key of a group: its key datums, then the window start. Returns the size of the
// encoding of the first `routed` key datums.
size_t encode_group(std::span<const datum> key, int64_t window_start, size_t routed,
                    std::string& out) {
  out.clear();
  append_key_datums(key.first(std::min(routed, key.size())), out);
  const size_t routed_size = out.size();
  if (routed < key.size()) append_key_datums(key.subspan(routed), out);
  out.append(reinterpret_cast<const char*>(&window_start), sizeof window_start);
  return routed_size;
}

}  // namespace

void append_key_datums(std::span<const datum> key, std::string& out) {
  auto put_fixed = [&](const void* p) { out.append(static_cast<const char*>(p), 8); };
  for (const auto& d : key) {
    // A TIMESTAMP key is encoded as a BIGINT, as before TIMESTAMP values existed, so that the
    // groups of a checkpoint taken then keep their key groups.
    out.push_back(static_cast<char>(d.type == dtype::timestamp ? dtype::bigint : d.type));
    switch (d.type) {
      case dtype::null: break;
      case dtype::boolean: out.push_back(d.boolean ? 1 : 0); break;
      case dtype::bigint:
      case dtype::timestamp: put_fixed(&d.bigint); break;
      case dtype::double_: {
        double x = d.double_ == 0 ? 0.0 : d.double_;  // -0.0 and 0.0 are one group
        put_fixed(&x);
        break;
      }
      case dtype::string: {
        uint32_t size = static_cast<uint32_t>(d.string.size());
        out.append(reinterpret_cast<const char*>(&size), 4);
        out.append(d.string);
        break;
      }
    }
  }
}

group_table::group_table(std::vector<aggregate_spec> specs, size_t routed_keys, bool by_key_only)
    : specs_(std::move(specs)), routed_keys_(routed_keys), by_key_only_(by_key_only) {}

group_state& group_table::at(std::span<const datum> key, int64_t window_start) {
  const size_t routed_size = encode_group(key, window_start, routed_keys_, scratch_);
  // Consecutive rows often fall in one group (every row of a window, without group keys).
  if (last_ == nullptr || last_->first != scratch_) {
    auto it = groups_.find(scratch_);
    if (it == groups_.end()) {
      group_state group;
      for (const auto& d : key) group.key.push_back(to_value(d));
      group.window_start = window_start;
      group.aggregates.resize(specs_.size());
      // Windows spread over key groups too, so that a job without group keys still uses every
      // reducer.
      std::string_view hashed = scratch_;
      if (by_key_only_ || routed_keys_ < key.size()) hashed = hashed.substr(0, routed_size);
      group.key_group = static_cast<uint32_t>(stable_hash_bytes(hashed) % key_groups);
      it = groups_.emplace(scratch_, std::move(group)).first;
    }
    last_ = &*it;
  }
  last_->second.changed = true;
  last_->second.dirty = true;
  return last_->second;
}

void group_table::add(group_state& group, std::span<const datum> inputs, int sign) {
  group.rows += sign;
  for (size_t i = 0; i < specs_.size(); ++i) group.aggregates[i].add(specs_[i], inputs[i], sign);
}

group_state& group_table::at(wire::PartialGroup::Reader group) {
  key_views_.clear();
  for (auto cell : group.getKey()) key_views_.push_back(to_datum(cell));
  return at(key_views_, group.getWindowStart());
}

void group_table::add(group_state& group, wire::PartialGroup::Reader delta) {
  group.rows = wrapping_add(group.rows, delta.getRows());
  auto aggregates = delta.getAggregates();
  for (size_t i = 0; i < specs_.size() && i < aggregates.size(); ++i)
    group.aggregates[i].merge(aggregates[i]);
}

uint32_t group_table::merge(wire::PartialGroup::Reader delta) {
  auto& group = at(delta);
  add(group, delta);
  return group.key_group;
}

void group_table::replace(wire::PartialGroup::Reader image) {
  auto& group = at(image);
  group.rows = 0;
  group.aggregates.clear();
  group.aggregates.resize(specs_.size());
  add(group, image);
  if (is_empty(group)) {
    last_ = nullptr;
    groups_.erase(scratch_);
  }
}

group_state group_table::gone(const group_state& group) {
  group_state empty;
  empty.key = group.key;
  empty.window_start = group.window_start;
  empty.key_group = group.key_group;
  empty.aggregates.resize(group.aggregates.size());
  return empty;
}

void group_table::to_wire(const group_state& group, wire::PartialGroup::Builder out) {
  sluice::to_wire(group.key, out.initKey(group.key.size()));
  out.setWindowStart(group.window_start);
  out.setRows(group.rows);
  auto aggregates = out.initAggregates(group.aggregates.size());
  for (size_t i = 0; i < group.aggregates.size(); ++i) group.aggregates[i].to_wire(aggregates[i]);
}

size_t group_table::wire_size(const group_state& group) {
  // A PartialGroup is 4 words, a key value 2 (and its text), an AggregateState 8 and its sum's
  // partials.
  size_t bytes = 32 + 96 * group.aggregates.size();
  for (const auto& v : group.key) {
    bytes += 16;
    if (const auto* text = std::get_if<std::string>(&v)) bytes += text->size() + 8;
  }
  return bytes;
}

bool group_table::is_empty(const group_state& group) {
  if (group.rows != 0) return false;
  for (const auto& aggregate : group.aggregates)
    if (!aggregate.empty()) return false;
  return true;
}

}  // namespace sluice::ops

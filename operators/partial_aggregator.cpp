#include "operators/partial_aggregator.hpp"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <optional>

#include "operators/wire_message.hpp"

namespace sluice::ops {

partial_aggregator::partial_aggregator(std::shared_ptr<const job_plan> plan)
    : plan_(std::move(plan)), groups_(plan_->aggregates, plan_->routed_keys, plan_->session_gap.has_value()) {
  key_.resize(plan_->keys.size());
  inputs_.resize(plan_->aggregates.size());
  used_ = plan_->columns_read();
}

absl::Status partial_aggregator::on_batch(const store::change_batch& batch) {
  channel_ = batch.channel();
  auto status = batch.for_each_image(plan_->source.ignore_delete,
                                     [&](uint64_t offset, std::string_view image, int sign) {
                                       offset_ = offset;
                                       return apply(image, sign);
                                     });
  arena_.clear();
  return status;
}

absl::Status partial_aggregator::add_row(std::string_view image, int sign) {
  bool decoded = apply(image, sign);
  arena_.clear();
  if (!decoded) return absl::DataLossError("a row of the table is corrupt");
  return absl::OkStatus();
}

bool partial_aggregator::apply(std::string_view image, int sign) {
  const job_plan& plan = *plan_;
  if (!to_datums(image, used_, row_)) return false;
  if (plan.filter) {
    datum keep = plan.filter->eval(row_, arena_);
    if (keep.is_null() || !keep.boolean) return true;
  }
  std::optional<int64_t> time;
  if (plan.window || plan.session_gap) {
    datum t = plan.event_time->eval(row_, arena_);
    if (t.is_null()) {
      ++rows_without_time_;
      return true;
    }
    if (sign > 0) max_event_time_ = std::max(max_event_time_, t.bigint);
    time = t.bigint;
  }
  for (size_t k = 0; k < key_.size(); ++k) key_[k] = plan.keys[k].eval(row_, arena_);
  for (size_t a = 0; a < inputs_.size(); ++a)
    inputs_[a] = plan.aggregate_inputs[a] ? plan.aggregate_inputs[a]->eval(row_, arena_)
                                          : datum::null();
  if (plan.window) {
    const int64_t bound = plan.late_rows ? late_bound() : std::numeric_limits<int64_t>::min();
    plan.window->for_each_start(*time, [&](int64_t start) {
      auto& group = groups_.at(key_, start);
      groups_.add(group, inputs_, sign);
      if (start + plan.window->size() <= bound)
        late_.push_back({&group, channel_, offset_, sign < 0, std::string(image)});
    });
    return true;
  }
  if (time) {  // a session window: the group of the key at this time
    groups_.add(groups_.at(key_, *time), inputs_, sign);
    return true;
  }
  groups_.add(groups_.at(key_, 0), inputs_, sign);
  return true;
}

int64_t partial_aggregator::late_bound() const {
  int64_t own = std::numeric_limits<int64_t>::min();
  if (max_event_time_ != std::numeric_limits<int64_t>::min())
    own = max_event_time_ - absl::ToInt64Microseconds(*plan_->options.lateness);
  return std::max(own, watermark_floor_);
}

std::vector<std::vector<char>> partial_aggregator::flush(std::span<const uint32_t> owner,
                                                         uint32_t reducers, uint64_t epoch,
                                                         uint32_t channel) {
  absl::flat_hash_set<const group_state*> with_late;
  for (const auto& candidate : late_) with_late.insert(candidate.group);
  std::vector<std::vector<const group_state*>> by_reducer(reducers);
  // An empty delta still goes where it has late rows: the reducer may find them late.
  groups_.for_each([&](const group_state& group) {
    if (!group_table::is_empty(group) || (!late_.empty() && with_late.contains(&group)))
      by_reducer[owner[group.key_group]].push_back(&group);
  });
  // Late candidates are rare (rows behind their source's own watermark): the index of their
  // groups is built only when there are some.
  absl::flat_hash_map<const group_state*, uint32_t> index;
  std::vector<std::vector<const late_candidate*>> late_by_reducer(reducers);
  if (!late_.empty()) {
    for (uint32_t r = 0; r < reducers; ++r)
      for (uint32_t i = 0; i < by_reducer[r].size(); ++i)
        if (with_late.contains(by_reducer[r][i])) index[by_reducer[r][i]] = i;
    for (const auto& candidate : late_)
      late_by_reducer[owner[candidate.group->key_group]].push_back(&candidate);
  }
  std::vector<std::vector<char>> messages(reducers);
  for (uint32_t r = 0; r < reducers; ++r) {
    if (by_reducer[r].empty()) continue;
    size_t bytes = 0;
    for (const auto* group : by_reducer[r]) bytes += group_table::wire_size(*group);
    for (const auto* candidate : late_by_reducer[r]) bytes += 40 + candidate->image.size();
    capnp::MallocMessageBuilder message(first_segment_words(bytes));
    auto batch = message.initRoot<wire::PartialBatch>();
    batch.setEpoch(epoch);
    batch.setChannel(channel);
    auto groups = batch.initGroups(by_reducer[r].size());
    for (size_t i = 0; i < by_reducer[r].size(); ++i)
      group_table::to_wire(*by_reducer[r][i], groups[i]);
    if (!late_by_reducer[r].empty()) {
      auto late = batch.initLate(static_cast<uint32_t>(late_by_reducer[r].size()));
      for (uint32_t i = 0; i < late_by_reducer[r].size(); ++i) {
        const auto& candidate = *late_by_reducer[r][i];
        late[i].setGroup(index.at(candidate.group));
        late[i].setChannel(candidate.channel);
        late[i].setOffset(candidate.offset);
        late[i].setRetracted(candidate.retracted);
        late[i].setImage(capnp::Data::Reader(
            reinterpret_cast<const capnp::byte*>(candidate.image.data()), candidate.image.size()));
      }
    }
    messages[r] = message_bytes(message);
  }
  late_.clear();
  groups_.clear();
  return messages;
}

}  // namespace sluice::ops

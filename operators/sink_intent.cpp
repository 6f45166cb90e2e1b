#include "operators/sink_intent.hpp"

#include "operators/wire_message.hpp"
#include "runtime/core/wire_value.hpp"

namespace sluice::ops {

sink_intent_builder::sink_intent_builder(bool sessions, uint32_t chunk_groups)
    : sessions_(sessions), chunk_groups_(chunk_groups) {}

void sink_intent_builder::add(const group_state& group, int64_t session_end) {
  if (!message_) {
    message_ = std::make_unique<capnp::MallocMessageBuilder>();
    auto intent = message_->initRoot<wire::SinkIntent>();
    groups_ = intent.initGroups(chunk_groups_);
    if (sessions_) ends_ = intent.initSessionEnds(chunk_groups_);
    used_ = 0;
  }
  auto out = groups_[used_];
  sluice::to_wire(group.key, out.initKey(static_cast<uint32_t>(group.key.size())));
  out.setWindowStart(group.window_start);
  if (sessions_) ends_.set(used_, session_end);
  if (++used_ == chunk_groups_) finish();
}

void sink_intent_builder::finish() {
  if (used_ == chunk_groups_) {
    chunks_.push_back(message_bytes(*message_));
  } else {
    // The last chunk, cut to the groups it holds.
    capnp::MallocMessageBuilder cut;
    auto intent = cut.initRoot<wire::SinkIntent>();
    auto groups = intent.initGroups(used_);
    for (uint32_t i = 0; i < used_; ++i) groups.setWithCaveats(i, groups_[i].asReader());
    if (sessions_) {
      auto ends = intent.initSessionEnds(used_);
      for (uint32_t i = 0; i < used_; ++i) ends.set(i, ends_[i]);
    }
    chunks_.push_back(message_bytes(cut));
  }
  message_.reset();
}

std::vector<std::vector<char>> sink_intent_builder::take() {
  if (message_) finish();
  return std::exchange(chunks_, {});
}

}  // namespace sluice::ops

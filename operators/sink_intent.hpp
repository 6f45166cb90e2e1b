// Builds a reducer's sink intent (schemas/stream.capnp SinkIntent) group by group as it takes its
// changes: the key and window of each group whose row it writes (a session's end too), serialized
// as they come in chunks of a fixed number of groups, so that a change set of a million groups
// costs its bytes and no copy of the groups.
//
// Not thread-safe: one per reducer state.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "operators/group_table.hpp"

namespace sluice::ops {

class sink_intent_builder {
 public:
  sink_intent_builder(bool sessions, uint32_t chunk_groups);

  void add(const group_state& group, int64_t session_end);
  // The messages since the last call (none when nothing was added).
  std::vector<std::vector<char>> take();

 private:
  // Ends the chunk being built, which holds `used_` groups.
  void finish();

  bool sessions_;
  uint32_t chunk_groups_;
  std::unique_ptr<capnp::MallocMessageBuilder> message_;
  capnp::List<wire::PartialGroup>::Builder groups_;
  capnp::List<int64_t>::Builder ends_;
  uint32_t used_ = 0;
  std::vector<std::vector<char>> chunks_;
};

}  // namespace sluice::ops

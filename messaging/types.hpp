// Registers the message types that Sluice's actors send across processes and that CAF does not
// know by itself. Every actor system of Sluice is configured with it, with the same names on
// every node.
#pragma once

#include <caf/actor_system_config.hpp>

#include <cstdint>
#include <vector>

namespace sluice::msg {

inline void add_message_types(caf::actor_system_config& config) {
  config.add_message_type<std::vector<uint64_t>>("sluice.u64s");
}

}  // namespace sluice::msg

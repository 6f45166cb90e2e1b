// The stable hash that places rows in channels and group keys in key groups. It must give the
// same result in every process and build (absl::Hash does not promise that), because a row's
// channel is stored and a key group's owner is agreed on across processes.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/core/value.hpp"

namespace sluice {

uint64_t stable_hash_bytes(std::string_view bytes, uint64_t seed = 0);
uint64_t stable_hash(const value& v, uint64_t seed = 0);

}  // namespace sluice

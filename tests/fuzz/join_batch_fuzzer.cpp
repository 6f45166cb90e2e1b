// A JoinBatch message, as a source sends it to a joiner and as a joiner's snapshot part: merged
// into (and restored into) inner and left join state. Bad bytes are refused, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "operators/join.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const char> bytes(reinterpret_cast<const char*>(data), size);
  for (auto kind : {ops::join_kind::inner, ops::join_kind::left}) {
    ops::join_state merged(kind);
    (void)merged.merge(bytes, [](std::string_view, int64_t) { return absl::OkStatus(); });
    ops::join_state restored(kind);
    if (restored.restore(bytes).ok()) restored.finish_restore([](uint32_t) { return true; });
  }
  return 0;
}

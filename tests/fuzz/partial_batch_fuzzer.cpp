// A PartialBatch message, as a source on another worker sends it to a reducer, and as a snapshot
// part read back: merged into (and restored into) the reducers of the seed's window job and of a
// keyed job, whose changes are then taken. Bad bytes are refused, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "operators/reducer_state.hpp"
#include "tests/fuzz/world.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const char> bytes(reinterpret_cast<const char*>(data), size);
  auto& world = fuzz::the_world();
  for (const auto& plan : {world.window_job, world.keyed_job}) {
    ops::reducer_state merged(plan);
    if (merged.merge(bytes).ok()) {
      merged.advance_watermark(INT64_MAX / 2);
      (void)merged.take_changes();
    }
    ops::reducer_state restored(plan);
    if (restored.restore(bytes).ok()) (void)restored.take_changes();
  }
  return 0;
}

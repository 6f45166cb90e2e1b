// A change batch's frame as a remote store's reply carries it (store_client reads it where it
// was received), then every record's images decoded as a source decodes them.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/core/row_codec.hpp"
#include "runtime/store/change_batch.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  store::frame_bytes frame(reinterpret_cast<const char*>(data),
                           reinterpret_cast<const char*>(data) + size);
  auto batch = store::change_batch::from_frame(std::move(frame));
  if (!batch.ok()) return 0;
  std::vector<value> row;
  (void)batch->for_each_image(false, [&](uint64_t, std::string_view image, int) {
    return decode_row(image, row).ok();
  });
  return 0;
}

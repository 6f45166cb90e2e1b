// Change batches from bytes that came over the network: a frame that passes the segment checks
// but whose records do not decode is refused, never a crash.
#include "runtime/store/change_batch.hpp"

#include <doctest/doctest.h>

#include <string_view>

namespace sluice::store {

TEST_CASE("a frame whose record's image is not a list ends the walk as DataLoss") {
  // Found by tests/fuzz/change_frame_fuzzer: a record whose after-image pointer is a struct;
  // reading it threw out of the walk and ended the process.
  constexpr char found[] =
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x01\x00\x00\x00\x1f\x00\x00\x00\x04\x00\x00\x00\x01\x00\x02\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x39\x00\x00\x00\x00"
    "\x01\x00\x00\x00\x1a\x01\x00\x00\x05\x06\x75\x73\x65\x72\x5f\x32"
    "\x05\x07\x6f\x72\x64\x65\x72\x5f\x32\x04\x00\x00\x00\x00\x00\x00"
    "\x29\x40\x03\x40\x87\xe5\xcf\x8b\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x0e\x00\x00\x00\x00\x00\x00\x00";
  auto batch = change_batch::from_frame(frame_bytes(found, found + sizeof found - 1));
  REQUIRE_MESSAGE(batch.ok(), batch.status().ToString());
  size_t images = 0;
  auto walked = batch->for_each_image(false, [&](uint64_t, std::string_view, int) {
    ++images;
    return true;
  });
  CHECK(absl::IsDataLoss(walked));
}

}  // namespace sluice::store

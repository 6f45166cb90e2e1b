// Bytes that came over the network or from the disk, as the fuzzers of tests/fuzz found them:
// refused with an error, never a crash, and never a walk over more than they hold.
#include <doctest/doctest.h>

#include <string_view>

#include "runtime/store/change_batch.hpp"
#include "runtime/store/record_codec.hpp"
#include "tests/support/amplified_message.hpp"

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

TEST_CASE("a table record of a few bytes claiming four million columns is refused unread") {
  // Found by tests/fuzz/store_codec_fuzzer: the store's records were read with capnp's default
  // limit of 8 M words, so 48 bytes made a decoder build four million columns before it refused
  // them. Now the read limit, which grows with the message, refuses the list itself.
  // TableDef: id and channels in 1 data word; name, columns, primaryKey in 3 pointers.
  auto hostile = testing::amplified_list_message(1, 3, 1, uint64_t{1} << 22);
  auto table = decode_table(std::string_view(hostile.data(), hostile.size()));
  CHECK(absl::IsDataLoss(table.status()));
  CHECK_MESSAGE(table.status().message().find("limit") != std::string_view::npos,
                table.status().ToString());
}

}  // namespace sluice::store

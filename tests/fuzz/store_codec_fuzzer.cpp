// What a remote store's requests and replies carry beyond CAF's own types: row batches, catalog
// ops, pages of scanned rows, and the store's records (tables, tunnels, offsets, checkpoints, job
// records) and rows. The first byte picks the decoder.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "remote/codec.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/store/record_codec.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  remote::bytes message(text.begin(), text.end());
  std::vector<value> row;
  switch (data[0] % 9) {
    case 0:
      if (auto batch = remote::decode_row_batch(message); batch.ok()) (void)batch->validate();
      break;
    case 1:
      (void)remote::decode_catalog_ops(message);
      break;
    case 2:
      (void)remote::decode_row_page(message, 4, [](std::span<const value>) { return absl::OkStatus(); });
      break;
    case 3:
      (void)store::decode_table(text);
      break;
    case 4:
      (void)store::decode_tunnel(text);
      break;
    case 5:
      (void)store::decode_offsets(text, 8);
      break;
    case 6:
      (void)store::decode_checkpoint(text);
      break;
    case 7:
      (void)store::decode_job(text);
      break;
    case 8:
      (void)decode_row(text, row);
      break;
  }
  return 0;
}

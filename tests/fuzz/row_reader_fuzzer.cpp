// The JSON-lines and CSV row readers (`sluice put`, POST /api/tables/NAME/rows) on any bytes,
// against the seeds' OrderSource: the first byte picks the format.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "runtime/format/row_reader.hpp"
#include "tests/fuzz/world.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto format = data[0] % 2 == 0 ? format::input_format::jsonl : format::input_format::csv;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  (void)format::read_rows(in, format, fuzz::the_world().orders, 64);
  return 0;
}

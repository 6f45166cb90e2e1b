// The values of a change record's image, for tests that read channels (jobs read cells in place).
#pragma once

#include <doctest/doctest.h>

#include <vector>

#include "runtime/core/row_codec.hpp"
#include "runtime/store/change_batch.hpp"

namespace sluice::testing {

inline std::vector<value> image_of(capnp::Data::Reader image) {
  std::vector<value> out;
  REQUIRE(decode_row(store::image_bytes(image), out).ok());
  return out;
}

}  // namespace sluice::testing

// Cap'n Proto reader options for a message that came from outside the process. Its traversal
// limit grows with the message's size: a big message reads whole, but a few bytes cannot make a
// reader walk, or allocate for, a list of billions of empty elements (capnp charges each one a
// word of the limit).
#pragma once

#include <capnp/message.h>

#include <cstddef>

namespace sluice {

inline capnp::ReaderOptions reader_options_for(size_t bytes) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 8 * (bytes / sizeof(capnp::word)) + 4096;
  return options;
}

}  // namespace sluice

// Reading and writing the Cap'n Proto messages of the data path (partial batches, join batches,
// snapshots) as the byte vectors actors send: bytes from another process are not trusted, so a
// message is read from an aligned copy and decode faults become InvalidArgument.
#pragma once

#include <absl/status/status.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/core/reader_options.hpp"

namespace sluice::ops {

// Runs fn(Root::Reader) over the message in `bytes`; `what` names it in errors ("a partial
// batch").
template <typename Root, typename F>
absl::Status read_message(std::span<const char> bytes, std::string_view what, F&& fn) {
  if (bytes.size() % sizeof(capnp::word) != 0)
    return absl::InvalidArgumentError(fmt::format("{} is not a whole number of words", what));
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  if (!bytes.empty()) std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr(), reader_options_for(bytes.size()));
    fn(reader.getRoot<Root>());
    return absl::OkStatus();
  } catch (const kj::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("{} cannot be decoded: {}", what, e.getDescription().cStr()));
  }
}

// The first segment, in words, for a message of about `bytes`: a message that fits one segment
// reads fastest (capnp reaches any other segment through a lock and a lookup, which took a third
// of a joiner's decoding of its input). Callers estimate; a little more costs only memory.
inline unsigned first_segment_words(size_t bytes) {
  constexpr size_t least = 1024, most = size_t{1} << 26;
  return static_cast<unsigned>(std::clamp((bytes + 7) / 8 + 64, least, most));
}

inline std::vector<char> message_bytes(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asChars();
  return std::vector<char>(bytes.begin(), bytes.end());
}

}  // namespace sluice::ops

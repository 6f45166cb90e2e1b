// Where a server listens: HOST:PORT, as given on command lines (`--listen`, `--store`).
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::remote {

struct address {
  std::string host;
  uint16_t port = 0;

  std::string to_string() const;  // "HOST:PORT"
};

// "127.0.0.1:7400", "localhost:7400", "[::1]:7400". InvalidArgument quoting the text otherwise.
absl::StatusOr<address> parse_address(std::string_view text);

}  // namespace sluice::remote

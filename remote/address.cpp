#include "remote/address.hpp"

#include <fmt/format.h>

#include <charconv>

namespace sluice::remote {

std::string address::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

absl::StatusOr<address> parse_address(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("bad address '{}': {}; expected HOST:PORT, like 127.0.0.1:7400", text, why));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return bad("no host");
  if (host.find(':') != std::string_view::npos && text.front() != '[')
    return bad("an IPv6 host goes in brackets");
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || value > 65535)
    return bad(fmt::format("the port '{}' is not a number from 0 to 65535", port));
  return address{std::string(host), static_cast<uint16_t>(value)};
}

}  // namespace sluice::remote

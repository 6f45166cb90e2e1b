// Tunnels: named, durable positions of a consumer in a table's change stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::store {

enum class tunnel_type {
  stream,          // the changes from where the tunnel starts
  base,            // a consistent snapshot of the table
  base_and_stream  // the snapshot, then the changes after it
};

// "stream", "base", "base_and_stream"
std::string_view tunnel_type_name(tunnel_type type);

struct tunnel_info {
  std::string id;  // unique, like 4f3c1a2e-...; what a job names with tunnel.id
  std::string name;
  tunnel_type type = tunnel_type::stream;
  std::vector<uint64_t> start_offsets;      // per channel: where the stream part begins
  std::vector<uint64_t> committed_offsets;  // per channel: every record below is consumed
  int64_t created_ms = 0;
};

// Every table has this tunnel from its creation on: a stream tunnel that starts at offset 0.
inline constexpr std::string_view default_tunnel_name = "default";

}  // namespace sluice::store

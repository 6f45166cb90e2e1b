// The byte forms of the store's records: how the store keeps table definitions, tunnels, end
// offsets, checkpoints and job records, and how they travel to a remote client unchanged.
// Decoding never trusts its input: bad bytes give DataLoss.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/table_schema.hpp"
#include "runtime/store/api.hpp"

namespace sluice::store {

std::string encode_table(const table_schema& schema);  // a TableDef message
absl::StatusOr<table_schema> decode_table(std::string_view bytes);
wire::TunnelType to_wire_type(tunnel_type type);
tunnel_type from_wire_type(wire::TunnelType type);
std::string encode_tunnel(const tunnel_info& tunnel);  // a TunnelDef message
absl::StatusOr<tunnel_info> decode_tunnel(std::string_view bytes);
// Little-endian u64s.
std::string encode_offsets(const std::vector<uint64_t>& offsets);
absl::StatusOr<std::vector<uint64_t>> decode_offsets(std::string_view bytes, size_t count);
std::string encode_checkpoint(const checkpoint& cp);
absl::StatusOr<checkpoint> decode_checkpoint(std::string_view bytes);
std::string encode_job(const job_record& job);  // JSON
absl::StatusOr<job_record> decode_job(std::string_view bytes);

}  // namespace sluice::store

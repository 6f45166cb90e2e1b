// Internals shared by the store's source files: the in-memory state of a table and conversions
// of RocksDB statuses and catalog records.
#pragma once

#include <absl/status/status.h>
#include <rocksdb/status.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/store/store.hpp"

namespace sluice::store {

struct store::table_state {
  std::shared_ptr<const table_schema> schema;
  std::vector<uint64_t> ends;                  // per channel, one past the last record
  std::map<std::string, tunnel_info> tunnels;  // by name
};

// Unavailable for I/O trouble (retry may help), DataLoss for corruption, Internal otherwise.
absl::Status from_rocksdb(const rocksdb::Status& status, std::string_view what);

std::string encode_table(const table_schema& schema);
absl::StatusOr<table_schema> decode_table(std::string_view bytes);
std::string encode_tunnel(const tunnel_info& tunnel);
absl::StatusOr<tunnel_info> decode_tunnel(std::string_view bytes);
std::string encode_offsets(const std::vector<uint64_t>& offsets);
absl::StatusOr<std::vector<uint64_t>> decode_offsets(std::string_view bytes, size_t channels);

}  // namespace sluice::store

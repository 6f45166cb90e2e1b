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

#include "runtime/store/record_codec.hpp"
#include "runtime/store/store.hpp"

namespace sluice::store {

struct store::table_state {
  std::shared_ptr<const table_schema> schema;
  std::vector<uint64_t> ends;                  // per channel, one past the last record
  std::map<std::string, tunnel_info> tunnels;  // by name
};

// Unavailable for I/O trouble (retry may help), DataLoss for corruption, Internal otherwise.
absl::Status from_rocksdb(const rocksdb::Status& status, std::string_view what);

}  // namespace sluice::store

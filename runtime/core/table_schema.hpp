// The typed schema of a table: columns in declared order, a primary key of one or more columns,
// and the number of channels its tunnel is split into. Immutable once created; shared as
// std::shared_ptr<const table_schema>.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/value.hpp"
#include "schemas/catalog.capnp.h"

namespace sluice {

column_type from_wire_type(wire::ColumnType type);
wire::ColumnType to_wire_type(column_type type);

struct column_def {
  std::string name;
  column_type type;
};

class table_schema {
 public:
  static constexpr uint32_t default_channels = 8;
  static constexpr uint32_t max_channels = 1024;

  // Checks the definition: at least one column, unique names, a primary key of existing columns
  // (each named once), 1..max_channels channels. `id` is assigned by the store.
  static absl::StatusOr<table_schema> create(uint32_t id, std::string name,
                                             std::vector<column_def> columns,
                                             std::vector<std::string> primary_key,
                                             uint32_t channels);

  static absl::StatusOr<table_schema> from_wire(wire::TableDef::Reader def);
  void to_wire(wire::TableDef::Builder def) const;

  uint32_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::vector<column_def>& columns() const { return columns_; }
  const column_def& column(size_t index) const { return columns_[index]; }
  size_t column_count() const { return columns_.size(); }
  // Column indexes of the primary key, in key order.
  const std::vector<uint16_t>& primary_key() const { return primary_key_; }
  bool is_key(size_t column) const { return is_key_[column]; }
  uint32_t channels() const { return channels_; }

  // Exact-case lookup, as every name in Sluice keeps its case.
  std::optional<size_t> find_column(std::string_view name) const;
  // "unknown column 'x' in table T" plus a did-you-mean for a case-insensitive match and the list
  // of columns; for error messages.
  std::string describe_unknown_column(std::string_view name) const;
  // "(UserId STRING, ..., PRIMARY KEY (UserId, OrderId)) WITH (channels = 8)"
  std::string describe() const;

 private:
  table_schema() = default;

  uint32_t id_ = 0;
  std::string name_;
  std::vector<column_def> columns_;
  std::vector<uint16_t> primary_key_;
  std::vector<bool> is_key_;
  uint32_t channels_ = default_channels;
};

}  // namespace sluice

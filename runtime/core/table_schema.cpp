#include "runtime/core/table_schema.hpp"

#include <absl/strings/match.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sluice {

column_type from_wire_type(wire::ColumnType type) {
  switch (type) {
    case wire::ColumnType::STRING: return column_type::string;
    case wire::ColumnType::BIGINT: return column_type::bigint;
    case wire::ColumnType::DOUBLE: return column_type::double_;
    case wire::ColumnType::BOOLEAN: return column_type::boolean;
    case wire::ColumnType::TIMESTAMP: return column_type::timestamp;
  }
  return column_type::string;
}

wire::ColumnType to_wire_type(column_type type) {
  switch (type) {
    case column_type::string: return wire::ColumnType::STRING;
    case column_type::bigint: return wire::ColumnType::BIGINT;
    case column_type::double_: return wire::ColumnType::DOUBLE;
    case column_type::boolean: return wire::ColumnType::BOOLEAN;
    case column_type::timestamp: return wire::ColumnType::TIMESTAMP;
  }
  return wire::ColumnType::STRING;
}

absl::StatusOr<table_schema> table_schema::create(uint32_t id, std::string name,
                                                  std::vector<column_def> columns,
                                                  std::vector<std::string> primary_key,
                                                  uint32_t channels) {
  if (name.empty()) return absl::InvalidArgumentError("a table needs a name");
  if (columns.empty())
    return absl::InvalidArgumentError(fmt::format("table {} has no columns", name));
  if (columns.size() > UINT16_MAX)
    return absl::InvalidArgumentError(fmt::format("table {} has too many columns", name));
  table_schema schema;
  schema.id_ = id;
  schema.name_ = std::move(name);
  schema.columns_ = std::move(columns);
  for (size_t i = 0; i < schema.columns_.size(); ++i) {
    if (schema.columns_[i].name.empty())
      return absl::InvalidArgumentError(
          fmt::format("table {}: column {} has an empty name", schema.name_, i + 1));
    for (size_t j = 0; j < i; ++j)
      if (schema.columns_[j].name == schema.columns_[i].name)
        return absl::InvalidArgumentError(fmt::format(
            "table {}: column '{}' is defined twice", schema.name_, schema.columns_[i].name));
  }
  if (primary_key.empty())
    return absl::InvalidArgumentError(fmt::format(
        "table {} needs a primary key: add PRIMARY KEY (column, ...)", schema.name_));
  schema.is_key_.assign(schema.columns_.size(), false);
  for (const auto& key : primary_key) {
    auto index = schema.find_column(key);
    if (!index)
      return absl::InvalidArgumentError(
          fmt::format("primary key: {}", schema.describe_unknown_column(key)));
    if (schema.is_key_[*index])
      return absl::InvalidArgumentError(fmt::format(
          "table {}: column '{}' is named twice in the primary key", schema.name_, key));
    schema.is_key_[*index] = true;
    schema.primary_key_.push_back(static_cast<uint16_t>(*index));
  }
  if (channels < 1 || channels > max_channels)
    return absl::InvalidArgumentError(fmt::format(
        "table {}: channels = {} is out of range 1..{}", schema.name_, channels, max_channels));
  schema.channels_ = channels;
  return schema;
}

absl::StatusOr<table_schema> table_schema::from_wire(wire::TableDef::Reader def) {
  std::vector<column_def> columns;
  for (auto column : def.getColumns())
    columns.push_back({column.getName(), from_wire_type(column.getType())});
  std::vector<std::string> key;
  for (uint16_t index : def.getPrimaryKey()) {
    if (index >= columns.size())
      return absl::DataLossError(fmt::format("table definition of {} names key column {} of {}",
                                             def.getName().cStr(), index, columns.size()));
    key.push_back(columns[index].name);
  }
  return create(def.getId(), def.getName(), std::move(columns), std::move(key),
                def.getChannels());
}

void table_schema::to_wire(wire::TableDef::Builder def) const {
  def.setId(id_);
  def.setName(name_);
  auto columns = def.initColumns(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    columns[i].setName(columns_[i].name);
    columns[i].setType(to_wire_type(columns_[i].type));
  }
  auto key = def.initPrimaryKey(primary_key_.size());
  for (size_t i = 0; i < primary_key_.size(); ++i) key.set(i, primary_key_[i]);
  def.setChannels(channels_);
}

std::optional<size_t> table_schema::find_column(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return i;
  return std::nullopt;
}

std::string table_schema::describe_unknown_column(std::string_view name) const {
  for (const auto& column : columns_)
    if (absl::EqualsIgnoreCase(column.name, absl::string_view(name.data(), name.size())))
      return fmt::format("unknown column '{}' in table {} (names keep their case: did you mean '{}'?)",
                         name, name_, column.name);
  std::vector<std::string_view> names;
  for (const auto& column : columns_) names.push_back(column.name);
  return fmt::format("unknown column '{}' in table {}; its columns are {}", name, name_,
                     fmt::join(names, ", "));
}

std::string table_schema::describe() const {
  std::string out = "(";
  for (const auto& column : columns_)
    fmt::format_to(std::back_inserter(out), "{} {}, ", column.name, type_name(column.type));
  std::vector<std::string_view> key;
  for (uint16_t index : primary_key_) key.push_back(columns_[index].name);
  fmt::format_to(std::back_inserter(out), "PRIMARY KEY ({})) WITH (channels = {})",
                 fmt::join(key, ", "), channels_);
  return out;
}

}  // namespace sluice

#include "operators/session.hpp"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "runtime/core/status.hpp"

namespace sluice::ops {
namespace {

absl::Status error_at(sql::position where, std::string_view message) {
  return absl::InvalidArgumentError(
      fmt::format("line {}, column {}: {}", where.line, where.column, message));
}

bool same_key(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

const sql::option* find_option(const std::vector<sql::option>& options, std::string_view key) {
  for (const auto& option : options)
    if (same_key(option.key, key)) return &option;
  return nullptr;
}

// Catalog types of the seeds' Spark connector and the column types they stand for.
std::optional<column_type> catalog_type(std::string_view name) {
  if (same_key(name, "string")) return column_type::string;
  if (same_key(name, "long") || same_key(name, "bigint")) return column_type::bigint;
  if (same_key(name, "double")) return column_type::double_;
  if (same_key(name, "boolean")) return column_type::boolean;
  return std::nullopt;
}

absl::Status check_catalog(const sql::option& option, const table_schema& table) {
  auto catalog = nlohmann::json::parse(option.value, nullptr, /*allow_exceptions=*/false);
  if (catalog.is_discarded() || !catalog.is_object() || !catalog.contains("columns") ||
      !catalog["columns"].is_object())
    return error_at(option.pos,
                    "catalog must be JSON like {\"columns\": {\"UserId\": {\"col\": \"UserId\", "
                    "\"type\": \"string\"}, ...}}");
  for (const auto& [name, spec] : catalog["columns"].items()) {
    if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string())
      return error_at(option.pos, fmt::format("catalog column {} needs a \"type\"", name));
    std::string column = name;
    for (const char* key : {"col", "cols"})
      if (spec.contains(key) && spec[key].is_string()) column = spec[key].get<std::string>();
    auto type_text = spec["type"].get<std::string>();
    auto type = catalog_type(type_text);
    if (!type)
      return error_at(option.pos, fmt::format("catalog column {} has type '{}'; accepted: "
                                              "string, long, double, boolean",
                                              name, type_text));
    auto index = table.find_column(column);
    if (!index)
      return error_at(option.pos, fmt::format("catalog: {}", table.describe_unknown_column(column)));
    if (table.column(*index).type != *type)
      return error_at(option.pos,
                      fmt::format("catalog says column {} of {} is {}, but the table has it as {}",
                                  column, table.name(), type_text,
                                  type_name(table.column(*index).type)));
  }
  return absl::OkStatus();
}

std::string describe_columns(const sql::create_connector_table& statement) {
  std::string text;
  for (const auto& column : statement.columns)
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", column.name, type_name(column.type));
  if (!statement.primary_key.empty()) {
    text += ", PRIMARY KEY (";
    for (size_t i = 0; i < statement.primary_key.size(); ++i)
      text += (i ? ", " : "") + statement.primary_key[i];
    text += ")";
  } else {
    text += ", PRIMARY KEY (...)";
  }
  return text;
}

absl::Status check_connector_schema(const sql::create_connector_table& statement,
                                    const table_schema& table) {
  for (const auto& column : statement.columns) {
    auto index = table.find_column(column.name);
    if (!index)
      return error_at(statement.pos, fmt::format("{}: {}", statement.name,
                                                 table.describe_unknown_column(column.name)));
    if (table.column(*index).type != column.type)
      return error_at(statement.pos,
                      fmt::format("{} declares column {} as {}, but store table {} has it as {}",
                                  statement.name, column.name, type_name(column.type),
                                  table.name(), type_name(table.column(*index).type)));
  }
  if (!statement.primary_key.empty()) {
    std::vector<std::string> key;
    for (auto k : table.primary_key()) key.push_back(table.column(k).name);
    if (key != statement.primary_key)
      return error_at(statement.pos,
                      fmt::format("{} declares a primary key other than store table {}'s: {}",
                                  statement.name, table.name(), table.describe()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> parse_flag(const sql::option& option) {
  if (same_key(option.value, "true")) return true;
  if (same_key(option.value, "false")) return false;
  return error_at(option.pos, fmt::format("{} is 'true' or 'false', not '{}'", option.key, option.value));
}

bool is_connector(const sql::create_connector_table& statement, std::string_view name) {
  const auto* connector = find_option(statement.options, "connector");
  return connector && same_key(connector->value, name);
}

bool is_mysql_cdc(const sql::create_connector_table& statement) {
  return is_connector(statement, "mysql-cdc");
}

}  // namespace

std::optional<store::create_table_op> store_table_of(const sql::create_connector_table& statement) {
  if (!(is_mysql_cdc(statement) || is_connector(statement, "jdbc")) ||
      statement.primary_key.empty())
    return std::nullopt;
  store::create_table_op op;
  op.name = statement.name;
  op.columns = statement.columns;
  op.primary_key = statement.primary_key;
  op.if_not_exists = true;
  return op;
}

absl::Status session::add_mysql_cdc_table(const sql::create_connector_table& statement) {
  if (statement.primary_key.empty())
    return error_at(statement.pos, fmt::format("{} needs a PRIMARY KEY (...) NOT ENFORCED: a CDC "
                                               "table is keyed by the MySQL table's primary key",
                                               statement.name));
  mysql_table_source source;
  source.store_table = statement.name;
  for (const auto& option : statement.options) {
    if (same_key(option.key, "hostname")) {
      source.hostname = option.value;
    } else if (same_key(option.key, "port")) {
      auto [end, error] = std::from_chars(option.value.data(),
                                          option.value.data() + option.value.size(), source.port);
      if (error != std::errc() || end != option.value.data() + option.value.size() || !source.port)
        return error_at(option.pos, fmt::format("port must be a TCP port, not '{}'", option.value));
    } else if (same_key(option.key, "username")) {
      source.username = option.value;
    } else if (same_key(option.key, "password")) {
      source.password = option.value;
    } else if (same_key(option.key, "database-name")) {
      source.database = option.value;
    } else if (same_key(option.key, "table-name")) {
      source.table = option.value;
    } else if (!same_key(option.key, "connector")) {
      return error_at(option.pos, fmt::format("unknown option '{}' of a mysql-cdc table; accepted: "
                                              "hostname, port, username, password, "
                                              "database-name, table-name",
                                              option.key));
    }
  }
  for (auto [value, key] : {std::pair{&source.hostname, "hostname"},
                            std::pair{&source.username, "username"},
                            std::pair{&source.database, "database-name"},
                            std::pair{&source.table, "table-name"}})
    if (value->empty())
      return error_at(statement.pos, fmt::format("{} needs '{}' = '...'", statement.name, key));
  SLUICE_ASSIGN_OR_RETURN(auto table, db_.find_table(statement.name));
  SLUICE_RETURN_IF_ERROR(check_connector_schema(statement, *table));
  externals_[statement.name] = external_table{table, ""};
  mysql_sources_.push_back(std::move(source));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<postgres::location>> postgres_location_of(
    const sql::create_external_table& statement) {
  if (!same_key(statement.provider, "postgres") && !same_key(statement.provider, "postgresql"))
    return std::nullopt;
  postgres::location where;
  for (const auto& option : statement.options) {
    if (same_key(option.key, "url")) where.url = option.value;
    else if (same_key(option.key, "table") || same_key(option.key, "dbtable")) where.table = option.value;
    else if (same_key(option.key, "user")) where.user = option.value;
    else if (same_key(option.key, "password")) where.password = option.value;
    else
      return error_at(option.pos, fmt::format("unknown option '{}' of a postgres table; accepted: "
                                              "url, table, user, password",
                                              option.key));
  }
  if (where.url.empty())
    return error_at(statement.pos, fmt::format("{} needs url='postgresql://host:port/database'",
                                               statement.name));
  if (where.table.empty())
    return error_at(statement.pos, fmt::format("{} needs table='...', the PostgreSQL table it "
                                               "writes",
                                               statement.name));
  return where;
}

absl::Status session::add_postgres_sink(const std::string& name, postgres::location where,
                                        sql::position pos) {
  auto table = db_.find_table(name);
  if (!table.ok()) return error_at(pos, std::string(table.status().message()));
  externals_[name] = external_table{*table, ""};
  postgres_sinks_.push_back({name, std::move(where)});
  return absl::OkStatus();
}

absl::Status session::add_jdbc_table(const sql::create_connector_table& statement) {
  if (statement.primary_key.empty())
    return error_at(statement.pos, fmt::format("{} needs a PRIMARY KEY (...) NOT ENFORCED: a jdbc "
                                               "sink upserts rows by key",
                                               statement.name));
  postgres::location where;
  for (const auto& option : statement.options) {
    if (same_key(option.key, "url")) {
      if (!absl::StartsWithIgnoreCase(option.value, "jdbc:postgresql:"))
        return error_at(option.pos, fmt::format("url '{}': Sluice writes jdbc tables to "
                                                "PostgreSQL; write jdbc:postgresql://host:port/"
                                                "database",
                                                option.value));
      where.url = option.value;
    } else if (same_key(option.key, "table-name")) {
      where.table = option.value;
    } else if (same_key(option.key, "username")) {
      where.user = option.value;
    } else if (same_key(option.key, "password")) {
      where.password = option.value;
    } else if (!same_key(option.key, "connector") && !same_key(option.key, "driver") &&
               !absl::StartsWith(option.key, "sink.")) {
      return error_at(option.pos, fmt::format("unknown option '{}' of a jdbc table; accepted: url, "
                                              "table-name, username, password, driver, sink.*",
                                              option.key));
    }
  }
  for (auto [value, key] : {std::pair{&where.url, "url"}, std::pair{&where.table, "table-name"}})
    if (value->empty())
      return error_at(statement.pos, fmt::format("{} needs '{}' = '...'", statement.name, key));
  SLUICE_ASSIGN_OR_RETURN(auto table, db_.find_table(statement.name));
  SLUICE_RETURN_IF_ERROR(check_connector_schema(statement, *table));
  return add_postgres_sink(statement.name, std::move(where), statement.pos);
}

bool session::defines(const std::string& name) const {
  return externals_.contains(name) || scans_.contains(name);
}

bool session::is_stream_scan(const std::string& name) const {
  auto it = scans_.find(name);
  return it != scans_.end() && !it->second.batch;
}

bool session::is_batch_scan(const std::string& name) const {
  auto it = scans_.find(name);
  return it != scans_.end() && it->second.batch;
}

absl::Status session::add_connector_table(const sql::create_connector_table& statement) {
  const sql::option* table_name = nullptr;
  const sql::option* tunnel_name = nullptr;
  const sql::option* value_columns = nullptr;
  bool ignore_delete = false;
  // Flink's StarRocks connector: a StarRocks table, here the store table of its 'table-name'; its
  // database, credentials, URLs and sink tuning are the external system's and are ignored.
  if (is_mysql_cdc(statement)) return add_mysql_cdc_table(statement);
  if (is_connector(statement, "jdbc")) return add_jdbc_table(statement);
  const auto* connector = find_option(statement.options, "connector");
  if (connector) {
    if (!same_key(connector->value, "starrocks"))
      return error_at(connector->pos,
                      fmt::format("'connector' = '{}' is not supported; accepted: 'connector' = "
                                  "'mysql-cdc' (a MySQL table's changes), 'jdbc' (a PostgreSQL "
                                  "table), 'starrocks' (a store "
                                  "table), or type = 'ots' (a store table)",
                                  connector->value));
    for (const auto& option : statement.options) {
      if (same_key(option.key, "table-name")) table_name = &option;
      else if (!same_key(option.key, "connector") && !same_key(option.key, "database-name") &&
               !same_key(option.key, "username") && !same_key(option.key, "password") &&
               !same_key(option.key, "jdbc-url") && !same_key(option.key, "load-url") &&
               !absl::StartsWith(option.key, "sink."))
        return error_at(option.pos, fmt::format("unknown option '{}' of a starrocks table; "
                                                "accepted: table-name, database-name, username, "
                                                "password, jdbc-url, load-url, sink.*",
                                                option.key));
    }
  }
  for (const auto& option : statement.options) {
    if (connector) break;
    if (same_key(option.key, "type")) {
      if (!same_key(option.value, "ots"))
        return error_at(option.pos, fmt::format("type '{}' is not supported; accepted: type = 'ots' "
                                                "(a Tablestore table, here a store table)",
                                                option.value));
    } else if (same_key(option.key, "tableName")) {
      table_name = &option;
    } else if (same_key(option.key, "tunnelName")) {
      tunnel_name = &option;
    } else if (same_key(option.key, "valueColumns")) {
      value_columns = &option;
    } else if (same_key(option.key, "ignoreDelete")) {
      SLUICE_ASSIGN_OR_RETURN(ignore_delete, parse_flag(option));
    } else if (!same_key(option.key, "endPoint") && !same_key(option.key, "instanceName") &&
               !same_key(option.key, "accessId") && !same_key(option.key, "accessKey")) {
      return error_at(option.pos, fmt::format("unknown option '{}' of an ots table; accepted: "
                                              "tableName, tunnelName, ignoreDelete, valueColumns, "
                                              "endPoint, instanceName, accessId, accessKey",
                                              option.key));
    }
  }
  if (!table_name || table_name->value.empty())
    return error_at(statement.pos, fmt::format("{} needs {} = '...', the store table it names",
                                               statement.name, connector ? "'table-name'" : "tableName"));
  auto table = db_.find_table(table_name->value);
  if (!table.ok())
    return error_at(table_name->pos,
                    fmt::format("{}; create it first, e.g. sluice sql -e 'CREATE TABLE {} ({})'",
                                std::string(table.status().message()), table_name->value,
                                describe_columns(statement)));
  SLUICE_RETURN_IF_ERROR(check_connector_schema(statement, **table));
  if (value_columns) {
    for (absl::string_view name : absl::StrSplit(value_columns->value, ',', absl::SkipWhitespace())) {
      std::string column(absl::StripAsciiWhitespace(name));
      auto declared = std::find_if(statement.columns.begin(), statement.columns.end(),
                                   [&](const column_def& c) { return c.name == column; });
      if (declared == statement.columns.end())
        return error_at(value_columns->pos,
                        fmt::format("valueColumns names {}, which {} does not declare", column,
                                    statement.name));
    }
  }
  external_table external{*table, "", ignore_delete};
  if (tunnel_name && !tunnel_name->value.empty()) {
    SLUICE_ASSIGN_OR_RETURN(auto binding, bind_tunnel(*table, tunnel_name->value, tunnel_name->pos));
    external.tunnel_id = binding.tunnel_id;
  }
  externals_[statement.name] = std::move(external);
  return absl::OkStatus();
}

absl::Status session::add_external_table(const sql::create_external_table& statement) {
  SLUICE_ASSIGN_OR_RETURN(auto postgres, postgres_location_of(statement));
  if (postgres) return add_postgres_sink(statement.name, std::move(*postgres), statement.pos);
  if (!same_key(statement.provider, "tablestore") && !same_key(statement.provider, "sluice"))
    return error_at(statement.pos, fmt::format("USING {}: Sluice reads and writes its own store "
                                               "(USING tablestore) and writes PostgreSQL tables "
                                               "(USING postgres)",
                                               statement.provider));
  const auto* table_name = find_option(statement.options, "table.name");
  if (!table_name || table_name->value.empty())
    return error_at(statement.pos, "OPTIONS need table.name=\"...\", the store table this names");
  auto table = db_.find_table(table_name->value);
  if (!table.ok()) return error_at(table_name->pos, std::string(table.status().message()));
  if (const auto* catalog = find_option(statement.options, "catalog"))
    SLUICE_RETURN_IF_ERROR(check_catalog(*catalog, **table));
  external_table external{*table, ""};
  if (const auto* tunnel = find_option(statement.options, "tunnel.id"); tunnel && !tunnel->value.empty()) {
    SLUICE_RETURN_IF_ERROR(bind_tunnel(*table, tunnel->value, tunnel->pos).status());
    external.tunnel_id = tunnel->value;
  }
  externals_[statement.name] = std::move(external);
  return absl::OkStatus();
}

absl::Status session::add_scan(const sql::create_scan& statement) {
  std::shared_ptr<const table_schema> table;
  std::string tunnel_id;
  if (auto it = externals_.find(statement.table); it != externals_.end()) {
    table = it->second.table;
    tunnel_id = it->second.tunnel_id;
  } else {
    auto found = db_.find_table(statement.table);
    if (!found.ok()) return error_at(statement.pos, std::string(found.status().message()));
    table = *found;
  }
  sql::position where = statement.pos;
  if (const auto* tunnel = find_option(statement.options, "tunnel.id"); tunnel && !tunnel->value.empty()) {
    tunnel_id = tunnel->value;
    where = tunnel->pos;
  }
  SLUICE_ASSIGN_OR_RETURN(auto binding, bind_tunnel(table, tunnel_id, where));
  if (auto it = externals_.find(statement.table); it != externals_.end())
    binding.ignore_delete = it->second.ignore_delete;
  if (const auto* max = find_option(statement.options, "maxoffsetsperchannel")) {
    uint64_t n = 0;
    auto [end, error] = std::from_chars(max->value.data(), max->value.data() + max->value.size(), n);
    if (error != std::errc() || end != max->value.data() + max->value.size() || n == 0)
      return error_at(max->pos, "maxoffsetsperchannel must be a positive whole number");
    binding.max_records = n;
  }
  scans_[statement.name] = {std::move(binding), statement.mode == "batch"};
  return absl::OkStatus();
}

bool session::drop(const std::string& name) {
  return externals_.erase(name) + scans_.erase(name) > 0;
}

absl::StatusOr<source_binding> session::bind_tunnel(std::shared_ptr<const table_schema> table,
                                                    const std::string& tunnel_id,
                                                    sql::position where) const {
  auto tunnel = db_.find_tunnel(*table, tunnel_id.empty() ? std::string(store::default_tunnel_name)
                                                          : tunnel_id);
  if (!tunnel.ok()) return error_at(where, std::string(tunnel.status().message()));
  source_binding binding;
  binding.table = std::move(table);
  binding.tunnel_id = tunnel->id;
  binding.type = tunnel->type;
  return binding;
}

absl::StatusOr<source_binding> session::source(const std::string& name, sql::position where) const {
  if (auto it = scans_.find(name); it != scans_.end()) return it->second.binding;
  if (auto it = externals_.find(name); it != externals_.end()) {
    SLUICE_ASSIGN_OR_RETURN(auto binding, bind_tunnel(it->second.table, it->second.tunnel_id, where));
    binding.ignore_delete = it->second.ignore_delete;
    return binding;
  }
  auto table = db_.find_table(name);
  if (!table.ok())
    return error_at(where, fmt::format("{} (nor a scan or external table of this script)",
                                       std::string(table.status().message())));
  return bind_tunnel(*table, "", where);
}

absl::StatusOr<std::shared_ptr<const table_schema>> session::sink(const std::string& name,
                                                                  sql::position where) const {
  if (auto it = externals_.find(name); it != externals_.end()) return it->second.table;
  if (scans_.contains(name)) return error_at(where, fmt::format("{} is a scan: it can be read, not written", name));
  auto table = db_.find_table(name);
  if (!table.ok()) return error_at(where, std::string(table.status().message()));
  return *table;
}

}  // namespace sluice::ops

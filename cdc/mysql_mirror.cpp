#include "cdc/mysql_mirror.hpp"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/time/civil_time.h>
#include <absl/time/clock.h>
#include <fmt/format.h>
#include <mysql.h>
#include <mariadb_rpl.h>

#include <charconv>
#include <random>
#include <map>
#include <set>
#include <thread>

#include "cdc/mysql_connection.hpp"
#include "runtime/core/key_codec.hpp"
#include "runtime/core/timestamp_text.hpp"
#include "runtime/core/status.hpp"

namespace sluice::cdc {
namespace {

constexpr size_t snapshot_batch_rows = 4096;
constexpr unsigned read_timeout_seconds = 5;     // the binlog stream has a heartbeat a second
constexpr auto position_only_interval = absl::Seconds(1);

std::string quote_name(std::string_view name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

// The MariaDB types a store column of `type` takes, as information_schema's DATA_TYPE names them.
bool holds(column_type type, std::string_view data_type) {
  static const std::set<std::string_view> integers = {"tinyint", "smallint", "mediumint", "int",
                                                      "bigint", "year"};
  static const std::set<std::string_view> reals = {"float", "double", "decimal"};
  static const std::set<std::string_view> texts = {"char", "varchar", "tinytext", "text",
                                                   "mediumtext", "longtext"};
  switch (type) {
    case column_type::bigint: return integers.contains(data_type);
    case column_type::double_: return reals.contains(data_type) || integers.contains(data_type);
    case column_type::string: return texts.contains(data_type);
    case column_type::boolean: return data_type == "tinyint" || data_type == "bit";
    case column_type::timestamp: return data_type == "datetime" || data_type == "timestamp";
  }
  return false;
}

absl::StatusOr<value> parse_cell(std::string_view text, column_type type, std::string_view column) {
  auto bad = [&] {
    return absl::DataLossError(fmt::format("column {}: '{}' is not a {}", column, text,
                                           type_name(type)));
  };
  switch (type) {
    case column_type::string: return value(std::string(text));
    case column_type::bigint: {
      int64_t n = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (error != std::errc() || end != text.data() + text.size()) return bad();
      return value(n);
    }
    case column_type::double_: {
      double x = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (error != std::errc() || end != text.data() + text.size()) return bad();
      return value(x);
    }
    case column_type::boolean:
      if (text == "0" || text == "1") return value(text == "1");
      return bad();
    case column_type::timestamp: {
      auto micros = parse_timestamp(text, absl::UTCTimeZone());
      if (!micros) return bad();
      return value(timestamp{*micros});
    }
  }
  return bad();
}

// A binlog cell as the store column's type.
absl::StatusOr<value> binlog_cell(const MARIADB_RPL_VALUE& cell, column_type type,
                                  std::string_view column) {
  if (cell.is_null) return value();
  switch (cell.field_type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR: {
      if (!cell.is_signed && cell.val.ull > static_cast<uint64_t>(INT64_MAX))
        return absl::OutOfRangeError(fmt::format("column {}: {} does not fit a BIGINT", column,
                                                 cell.val.ull));
      int64_t n = cell.val.ll;
      if (type == column_type::boolean) return value(n != 0);
      if (type == column_type::double_) return value(static_cast<double>(n));
      return value(n);
    }
    case MYSQL_TYPE_FLOAT: return value(static_cast<double>(cell.val.f));
    case MYSQL_TYPE_DOUBLE: return value(cell.val.d);
    // A DATETIME's wall clock, taken as UTC; a TIMESTAMP's seconds since the epoch.
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_DATETIME2: {
      if (type != column_type::timestamp) break;
      const MYSQL_TIME& t = cell.val.tm;
      const auto at = absl::FromCivil(absl::CivilSecond(t.year, t.month, t.day, t.hour, t.minute,
                                                        t.second),
                                      absl::UTCTimeZone());
      return value(timestamp{absl::ToUnixMicros(at) + static_cast<int64_t>(t.second_part)});
    }
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2:
      if (type != column_type::timestamp) break;
      return value(timestamp{int64_t{cell.val.ts.second} * 1000000 + cell.val.ts.second_part});
    default: break;
  }
  return parse_cell(std::string_view(cell.val.str.str, cell.val.str.length), type, column);
}

void append_key(std::span<const value> row, const table_schema& table, std::string& out) {
  for (auto k : table.primary_key()) append_key_cell(row[k], out);
}

struct rpl_closer {
  void operator()(MARIADB_RPL* rpl) const { mariadb_rpl_close(rpl); }
};
struct event_freer {
  void operator()(MARIADB_RPL_EVENT* event) const { mariadb_free_rpl_event(event); }
};
using event_ptr = std::unique_ptr<MARIADB_RPL_EVENT, event_freer>;

std::string_view text_of(const MARIADB_STRING& s) { return {s.str, s.length}; }

// The file a rotate event names, read from the event's bytes (libmariadb 3.3 misreads it when
// events carry checksums): an OK byte, the 19-byte header, the 8-byte position, the name, and
// the 4-byte checksum if the stream has them.
std::string rotated_file(const MARIADB_RPL_EVENT& event, bool checksums) {
  constexpr size_t name_at = 1 + 19 + 8;
  size_t end = event.raw_data_size - (checksums ? 4 : 0);
  if (end <= name_at) return {};
  return std::string(reinterpret_cast<const char*>(event.raw_data) + name_at, end - name_at);
}

}  // namespace

// Where the DDL's columns are in the server's table.
struct mysql_mirror::layout {
  std::vector<int> column_of;             // per server column (by ordinal): the store column or -1
  std::vector<std::string> select_items;  // per store column: what the snapshot selects
};

mysql_mirror::mysql_mirror(ops::mysql_table_source source, std::shared_ptr<const table_schema> table,
                           store::api& db, log_fn log)
    : source_(std::move(source)), table_(std::move(table)), db_(db), log_(std::move(log)) {
  name_ = fmt::format("{} ({}.{} at {}:{})", table_->name(), source_.database, source_.table,
                      source_.hostname, source_.port);
  position_key_ = fmt::format("mysql-cdc/{}/{}", table_->name(), table_->id());
  std::random_device random;
  server_id_ = std::uniform_int_distribution<uint32_t>(1u << 20, 1u << 30)(random);
}

mysql_mirror::~mysql_mirror() = default;

std::string mysql_mirror::encode(const binlog_position& at) const {
  return fmt::format("{}:{}", at.file, at.offset);
}

absl::StatusOr<mysql_mirror::binlog_position> mysql_mirror::decode(std::string_view text) const {
  auto colon = text.rfind(':');
  binlog_position at;
  if (colon == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(text.data() + colon + 1, text.size() - colon - 1),
                        &at.offset))
    return absl::DataLossError(fmt::format("{}: the stored binlog position '{}' is garbled", name_,
                                           text));
  at.file = std::string(text.substr(0, colon));
  return at;
}

absl::StatusOr<mysql_mirror::layout> mysql_mirror::describe(mysql_connection& connection) const {
  SLUICE_ASSIGN_OR_RETURN(
      auto settings, connection.query("SELECT @@log_bin, @@binlog_format, @@binlog_row_image"));
  if (settings.size() != 1 || settings[0].size() != 3 || settings[0][0] != "1" ||
      !absl::EqualsIgnoreCase(settings[0][1], "ROW") ||
      !absl::EqualsIgnoreCase(settings[0][2], "FULL"))
    return absl::FailedPreconditionError(fmt::format(
        "{}: the server must write a row-based binlog with full images (log_bin = ON, "
        "binlog_format = ROW, binlog_row_image = FULL); it has log_bin = {}, binlog_format = {}, "
        "binlog_row_image = {}",
        name_, settings.empty() ? "?" : settings[0][0], settings.empty() ? "?" : settings[0][1],
        settings.empty() ? "?" : settings[0][2]));
  SLUICE_ASSIGN_OR_RETURN(
      auto columns,
      connection.query(fmt::format("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                                   "WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} "
                                   "ORDER BY ORDINAL_POSITION",
                                   connection.quote(source_.database),
                                   connection.quote(source_.table))));
  if (columns.empty())
    return absl::NotFoundError(fmt::format("{}: the server has no table {}.{} (or this user may "
                                           "not see it)",
                                           name_, source_.database, source_.table));
  layout out;
  out.column_of.assign(columns.size(), -1);
  out.select_items.resize(table_->column_count());
  for (size_t c = 0; c < table_->column_count(); ++c) {
    const auto& column = table_->column(c);
    auto found = std::find_if(columns.begin(), columns.end(),
                              [&](const auto& row) { return row[0] == column.name; });
    if (found == columns.end()) {
      std::string names;
      for (const auto& row : columns) names += (names.empty() ? "" : ", ") + row[0];
      return absl::NotFoundError(fmt::format("{}: {}.{} has no column {}; it has {}", name_,
                                             source_.database, source_.table, column.name, names));
    }
    std::string data_type = absl::AsciiStrToLower((*found)[1]);
    if (!holds(column.type, data_type))
      return absl::FailedPreconditionError(
          fmt::format("{}: column {} is {} in {}.{}, which a {} column cannot hold", name_,
                      column.name, absl::AsciiStrToUpper(data_type), source_.database,
                      source_.table, type_name(column.type)));
    out.column_of[found - columns.begin()] = static_cast<int>(c);
    // A FLOAT widened by the server prints as the double the binlog's float widens to.
    out.select_items[c] = data_type == "float"
                              ? fmt::format("CAST({} AS DOUBLE)", quote_name(column.name))
                              : quote_name(column.name);
  }
  return out;
}

absl::Status mysql_mirror::check() {
  SLUICE_ASSIGN_OR_RETURN(auto connection, mysql_connection::connect(source_, read_timeout_seconds));
  return describe(*connection).status();
}

absl::Status mysql_mirror::commit(const row_batch& rows, const binlog_position& at) {
  return db_.write_at(rows, store::source_position{position_key_, encode(at)}).status();
}

absl::StatusOr<mysql_mirror::binlog_position> mysql_mirror::snapshot(mysql_connection& connection,
                                                                     const layout& columns) {
  // Rows a snapshot cut short left behind: whatever the new snapshot does not have goes.
  std::map<std::string, std::vector<value>> stale;  // encoded key -> the key's cells
  SLUICE_RETURN_IF_ERROR(db_.scan(*table_, [&](std::span<const value> row) {
    std::string key;
    append_key(row, *table_, key);
    auto& cells = stale[std::move(key)];
    for (auto k : table_->primary_key()) cells.push_back(row[k]);
    return absl::OkStatus();
  }));
  SLUICE_RETURN_IF_ERROR(connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  SLUICE_RETURN_IF_ERROR(connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT"));
  SLUICE_ASSIGN_OR_RETURN(auto status, connection.query("SHOW STATUS LIKE 'binlog_snapshot_%'"));
  binlog_position at;
  for (const auto& row : status) {
    if (row.size() != 2) continue;
    if (row[0] == "Binlog_snapshot_file") at.file = row[1];
    if (row[0] == "Binlog_snapshot_position") (void)absl::SimpleAtoi(row[1], &at.offset);
  }
  if (at.file.empty())
    return absl::FailedPreconditionError(
        fmt::format("{}: the server gives no binlog position for a consistent snapshot "
                    "(Binlog_snapshot_file); Sluice reads MariaDB's binlog", name_));
  std::string items;
  for (const auto& item : columns.select_items) items += (items.empty() ? "" : ", ") + item;
  SLUICE_ASSIGN_OR_RETURN(
      auto rows, connection.stream(fmt::format("SELECT {} FROM {}.{}", items,
                                               quote_name(source_.database),
                                               quote_name(source_.table))));
  row_batch batch(table_);
  std::vector<const char*> cells;
  std::vector<unsigned long> lengths;
  std::vector<value> row(table_->column_count());
  uint64_t copied = 0;
  while (rows.next(cells, lengths)) {
    size_t r = batch.add_row(change_op::put);
    for (size_t c = 0; c < cells.size(); ++c) {
      if (cells[c]) {
        SLUICE_ASSIGN_OR_RETURN(row[c], parse_cell(std::string_view(cells[c], lengths[c]),
                                                   table_->column(c).type, table_->column(c).name));
      } else {
        row[c] = value();
      }
      batch.set(r, c, row[c]);
    }
    if (!stale.empty()) {
      std::string key;
      append_key(row, *table_, key);
      stale.erase(key);
    }
    if (batch.size() == snapshot_batch_rows) {
      SLUICE_RETURN_IF_ERROR(db_.write(batch).status());
      copied += batch.size();
      batch.clear();
    }
  }
  if (mysql_errno(connection.handle())) return connection.error("reading the snapshot");
  SLUICE_RETURN_IF_ERROR(connection.execute("COMMIT"));
  copied += batch.size();
  for (auto& [key, cells_of_key] : stale) {
    size_t r = batch.add_row(change_op::delete_);
    for (size_t k = 0; k < cells_of_key.size(); ++k)
      batch.set(r, table_->primary_key()[k], std::move(cells_of_key[k]));
  }
  SLUICE_RETURN_IF_ERROR(commit(batch, at));
  log_(fmt::format("{}: snapshot of {} rows at binlog {}", name_, copied, encode(at)));
  return at;
}

absl::Status mysql_mirror::follow(mysql_connection& connection, const layout& columns,
                                  binlog_position from, const std::atomic<bool>& stop,
                                  bool until_caught_up, bool& progressed) {
  SLUICE_ASSIGN_OR_RETURN(auto checksum, connection.query("SELECT @@global.binlog_checksum"));
  const bool checksums = checksum.size() == 1 && !checksum[0].empty() &&
                         !absl::EqualsIgnoreCase(checksum[0][0], "NONE");
  SLUICE_RETURN_IF_ERROR(connection.execute("SET @master_binlog_checksum = @@global.binlog_checksum"));
  SLUICE_RETURN_IF_ERROR(connection.execute("SET @master_heartbeat_period = 1000000000"));
  std::unique_ptr<MARIADB_RPL, rpl_closer> rpl(mariadb_rpl_init(connection.handle()));
  if (!rpl) return absl::ResourceExhaustedError("out of memory for a binlog reader");
  mariadb_rpl_optionsv(rpl.get(), MARIADB_RPL_FILENAME, from.file.c_str(), from.file.size());
  mariadb_rpl_optionsv(rpl.get(), MARIADB_RPL_START, static_cast<unsigned long>(from.offset));
  mariadb_rpl_optionsv(rpl.get(), MARIADB_RPL_SERVER_ID, server_id_);
  mariadb_rpl_optionsv(rpl.get(), MARIADB_RPL_FLAGS,
                       until_caught_up ? MARIADB_RPL_BINLOG_DUMP_NON_BLOCK : 0);
  if (mariadb_rpl_open(rpl.get())) return connection.error("opening the binlog at " + encode(from));

  binlog_position at = from;      // after the last transaction committed to the store
  std::string file = from.file;   // the binlog file being read
  event_ptr table_map;            // the last map of the mirrored table
  row_batch changes(table_);      // of the transaction being read
  bool position_written = true;
  auto last_write = absl::Now();
  std::vector<value> before(table_->column_count()), after(table_->column_count());
  auto image = [&](const MARIADB_RPL_ROW& row, std::vector<value>& out) -> absl::Status {
    for (uint32_t i = 0; i < row.column_count && i < columns.column_of.size(); ++i) {
      int c = columns.column_of[i];
      if (c < 0) continue;
      SLUICE_ASSIGN_OR_RETURN(out[c], binlog_cell(row.columns[i], table_->column(c).type,
                                                  table_->column(c).name));
    }
    return absl::OkStatus();
  };
  auto add = [&](change_op op, const std::vector<value>& row) {
    size_t r = changes.add_row(op);
    if (op == change_op::delete_) {
      for (auto k : table_->primary_key()) changes.set(r, k, row[k]);
    } else {
      for (size_t c = 0; c < row.size(); ++c) changes.set(r, c, row[c]);
    }
  };
  event_ptr event;
  while (!stop) {
    MARIADB_RPL_EVENT* fetched = mariadb_rpl_fetch(rpl.get(), event.release());
    event.reset(fetched);
    if (!event) {
      if (until_caught_up && mysql_errno(connection.handle()) == 0) break;
      return connection.error("reading the binlog after " + encode(at));
    }
    switch (event->event_type) {
      case ROTATE_EVENT:
        file = rotated_file(*event, checksums);
        if (file.empty())
          return absl::DataLossError(fmt::format("{}: a binlog rotate event without a file name",
                                                 name_));
        break;
      case TABLE_MAP_EVENT:
        if (text_of(event->event.table_map.database) == source_.database &&
            text_of(event->event.table_map.table) == source_.table)
          table_map = std::move(event);
        break;
      case WRITE_ROWS_EVENT_V1:
      case UPDATE_ROWS_EVENT_V1:
      case DELETE_ROWS_EVENT_V1:
      case WRITE_ROWS_EVENT:
      case UPDATE_ROWS_EVENT:
      case DELETE_ROWS_EVENT: {
        if (!table_map || event->event.rows.table_id != table_map->event.table_map.table_id) break;
        MARIADB_RPL_ROW* row = mariadb_rpl_extract_rows(rpl.get(), table_map.get(), event.get());
        if (!row) return connection.error("decoding a binlog row event");
        for (; row; row = row->next) {
          SLUICE_RETURN_IF_ERROR(image(*row, after));
          if (event->event.rows.type == WRITE_ROWS) {
            add(change_op::put, after);
          } else if (event->event.rows.type == DELETE_ROWS) {
            add(change_op::delete_, after);
          } else {
            std::swap(before, after);
            if (!(row = row->next))
              return absl::DataLossError(fmt::format("{}: an update without its after-image", name_));
            SLUICE_RETURN_IF_ERROR(image(*row, after));
            std::string old_key, new_key;
            append_key(before, *table_, old_key);
            append_key(after, *table_, new_key);
            if (old_key != new_key) add(change_op::delete_, before);
            add(change_op::put, after);
          }
        }
        break;
      }
      case XID_EVENT:
      case QUERY_EVENT:
        if (event->event_type == QUERY_EVENT &&
            !absl::EqualsIgnoreCase(absl::string_view(event->event.query.statement.str,
                                                     event->event.query.statement.length),
                                   "COMMIT"))
          break;
        at = {file, event->next_event_pos};
        position_written = false;
        if (!changes.empty() || absl::Now() - last_write > position_only_interval) {
          SLUICE_RETURN_IF_ERROR(commit(changes, at));
          progressed = progressed || !changes.empty();
          changes.clear();
          position_written = true;
          last_write = absl::Now();
        }
        break;
      default:
        break;
    }
  }
  if (!position_written) SLUICE_RETURN_IF_ERROR(commit(row_batch(table_), at));
  return absl::OkStatus();
}

absl::Status mysql_mirror::pass(const std::atomic<bool>& stop, bool until_caught_up,
                                bool& progressed) {
  SLUICE_ASSIGN_OR_RETURN(auto connection, mysql_connection::connect(source_, read_timeout_seconds));
  SLUICE_ASSIGN_OR_RETURN(auto columns, describe(*connection));
  binlog_position from;
  auto stored = db_.source_position_of(position_key_);
  if (stored.ok()) {
    SLUICE_ASSIGN_OR_RETURN(from, decode(*stored));
  } else if (absl::IsNotFound(stored.status())) {
    SLUICE_ASSIGN_OR_RETURN(from, snapshot(*connection, columns));
    progressed = true;
  } else {
    return stored.status();
  }
  return follow(*connection, columns, std::move(from), stop, until_caught_up, progressed);
}

absl::Status mysql_mirror::run(const std::atomic<bool>& stop, bool until_caught_up) {
  if (stop) return absl::OkStatus();
  return retry_outages(stop, log_, [&](bool& progressed) {
    return pass(stop, until_caught_up, progressed);
  });
}

}  // namespace sluice::cdc

#include "cdc/mysql_connection.hpp"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <fmt/format.h>

#include "runtime/core/status.hpp"

namespace sluice::cdc {

absl::Status mysql_status(unsigned code, std::string_view message) {
  std::string text(message);
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_UNKNOWN_HOST:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_READ_ERROR:
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
      return absl::UnavailableError(text);
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
      return absl::PermissionDeniedError(text);
    default:
      return absl::FailedPreconditionError(text);
  }
}

mysql_rows::~mysql_rows() {
  if (result_) mysql_free_result(result_);
}

bool mysql_rows::next(std::vector<const char*>& cells, std::vector<unsigned long>& lengths) {
  MYSQL_ROW row = mysql_fetch_row(result_);
  if (!row) return false;
  unsigned n = mysql_num_fields(result_);
  const unsigned long* length = mysql_fetch_lengths(result_);
  cells.assign(row, row + n);
  lengths.assign(length, length + n);
  return true;
}

absl::StatusOr<std::unique_ptr<mysql_connection>> mysql_connection::connect(
    const ops::mysql_table_source& source, unsigned read_timeout_seconds) {
  MYSQL* mysql = mysql_init(nullptr);
  if (!mysql) return absl::ResourceExhaustedError("out of memory for a MySQL connection");
  unsigned connect_timeout = 5;
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout_seconds);
  mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout_seconds);
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // TIMESTAMP columns read as UTC, as Sluice keeps times (DATETIME, which has no zone, reads as
  // written and is taken as UTC).
  mysql_optionsv(mysql, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  if (!mysql_real_connect(mysql, source.hostname.c_str(), source.username.c_str(),
                          source.password.c_str(), nullptr, source.port, nullptr, 0)) {
    auto status = mysql_status(mysql_errno(mysql),
                               fmt::format("connecting to {}:{} as {}: {}", source.hostname,
                                           source.port, source.username, mysql_error(mysql)));
    mysql_close(mysql);
    return status;
  }
  return std::unique_ptr<mysql_connection>(new mysql_connection(mysql, source));
}

mysql_connection::~mysql_connection() { mysql_close(mysql_); }

absl::Status mysql_connection::error(std::string_view what) const {
  return mysql_status(mysql_errno(mysql_), fmt::format("{}:{}: {}: {}", source_.hostname,
                                                       source_.port, what, mysql_error(mysql_)));
}

absl::Status mysql_connection::execute(std::string_view statement) {
  if (mysql_real_query(mysql_, statement.data(), statement.size()))
    return error(statement);
  if (MYSQL_RES* result = mysql_store_result(mysql_)) mysql_free_result(result);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<std::string>>> mysql_connection::query(
    std::string_view statement) {
  SLUICE_ASSIGN_OR_RETURN(auto rows, stream(statement));
  std::vector<std::vector<std::string>> out;
  std::vector<const char*> cells;
  std::vector<unsigned long> lengths;
  while (rows.next(cells, lengths)) {
    auto& row = out.emplace_back();
    for (size_t i = 0; i < cells.size(); ++i)
      row.emplace_back(cells[i] ? std::string(cells[i], lengths[i]) : std::string());
  }
  if (mysql_errno(mysql_)) return error(statement);
  return out;
}

absl::StatusOr<mysql_rows> mysql_connection::stream(std::string_view statement) {
  if (mysql_real_query(mysql_, statement.data(), statement.size())) return error(statement);
  MYSQL_RES* result = mysql_use_result(mysql_);
  if (!result) return error(statement);
  return mysql_rows(result);
}

std::string mysql_connection::quote(std::string_view text) const {
  std::string out(text.size() * 2 + 1, '\0');
  out.resize(mysql_real_escape_string(mysql_, out.data(), text.data(), text.size()));
  return "'" + out + "'";
}

}  // namespace sluice::cdc

// One client connection to a MySQL-compatible server (libmariadb), with errors as absl::Status:
// Unavailable when the server cannot be reached or went away (retry), PermissionDenied when it
// refuses the credentials, FailedPrecondition for what the server answers otherwise.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "operators/session.hpp"

struct st_mysql;
struct st_mysql_res;

namespace sluice::cdc {

// A result read row by row as the server sends it; cells are text, nullptr for NULL.
class mysql_rows {
 public:
  explicit mysql_rows(st_mysql_res* result) : result_(result) {}
  ~mysql_rows();
  mysql_rows(mysql_rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  mysql_rows(const mysql_rows&) = delete;
  mysql_rows& operator=(const mysql_rows&) = delete;

  // The next row's cells and their lengths, or false at the end.
  bool next(std::vector<const char*>& cells, std::vector<unsigned long>& lengths);

 private:
  st_mysql_res* result_;
};

class mysql_connection {
 public:
  // Connects with a read timeout: a read waiting longer fails (the binlog stream has heartbeats).
  static absl::StatusOr<std::unique_ptr<mysql_connection>> connect(
      const ops::mysql_table_source& source, unsigned read_timeout_seconds);
  ~mysql_connection();
  mysql_connection(const mysql_connection&) = delete;
  mysql_connection& operator=(const mysql_connection&) = delete;

  absl::Status execute(std::string_view statement);
  // The whole result of a small statement, rows of text cells (a NULL cell is empty).
  absl::StatusOr<std::vector<std::vector<std::string>>> query(std::string_view statement);
  // A result streamed from the server (one at a time per connection).
  absl::StatusOr<mysql_rows> stream(std::string_view statement);
  // The status of the last call, with `what` saying what it was for.
  absl::Status error(std::string_view what) const;
  std::string quote(std::string_view text) const;

  st_mysql* handle() const { return mysql_; }
  const ops::mysql_table_source& source() const { return source_; }

 private:
  mysql_connection(st_mysql* mysql, ops::mysql_table_source source)
      : mysql_(mysql), source_(std::move(source)) {}
  st_mysql* mysql_;
  ops::mysql_table_source source_;
};

// The status of libmariadb error `code` with `message`, classified as above.
absl::Status mysql_status(unsigned code, std::string_view message);

}  // namespace sluice::cdc

// One client connection to PostgreSQL (libpq), with errors as absl::Status: Unavailable when the
// server cannot be reached or went away (retry), PermissionDenied when it refuses the login,
// FailedPrecondition for what the server answers otherwise (with its message and SQLSTATE).
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace sluice::postgres {

// Where a PostgreSQL table is: a libpq connection URI or key=value string (a JDBC url
// jdbc:postgresql://... is taken without its "jdbc:"), credentials that override the URL's, and
// the table's name as SQL writes it (schema-qualified or not, unquoted parts fold to lower case).
struct location {
  std::string url;
  std::string user;
  std::string password;
  std::string table;
};

// "host:port/database" of a URL, for messages; never its password.
std::string describe_server(const location& where);

// A result's rows of text cells; std::nullopt is NULL.
using text_rows = std::vector<std::vector<std::optional<std::string>>>;

class connection {
 public:
  static absl::StatusOr<std::unique_ptr<connection>> connect(const location& where);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Runs one statement with text parameters ($1, $2, ...; nullptr is NULL) and returns its rows.
  absl::StatusOr<text_rows> execute(std::string_view statement,
                                    const std::vector<const char*>& parameters = {});
  // `name` as a quoted SQL identifier.
  std::string quote(std::string_view name) const;

 private:
  explicit connection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

}  // namespace sluice::postgres

#include "postgres/connection.hpp"

#include <absl/strings/match.h>
#include <fmt/format.h>
#include <libpq-fe.h>

namespace sluice::postgres {
namespace {

struct result_closer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using result_ptr = std::unique_ptr<PGresult, result_closer>;

struct options_closer {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

std::string libpq_url(std::string_view url) {
  if (absl::StartsWithIgnoreCase(absl::string_view(url.data(), url.size()), "jdbc:"))
    url.remove_prefix(5);
  return std::string(url);
}

std::string first_line(const char* message) {
  std::string_view text = message ? message : "";
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

std::string describe_server(const location& where) {
  const std::string url = libpq_url(where.url);
  std::unique_ptr<PQconninfoOption, options_closer> options(
      PQconninfoParse(url.c_str(), nullptr));
  if (!options) return "a PostgreSQL server (its url does not parse)";
  std::string host = "localhost", port = "5432", database;
  for (auto* option = options.get(); option->keyword; ++option) {
    if (!option->val) continue;
    std::string_view key = option->keyword;
    if (key == "host" || key == "hostaddr") host = option->val;
    else if (key == "port") port = option->val;
    else if (key == "dbname") database = option->val;
  }
  return fmt::format("{}:{}/{}", host, port, database);
}

absl::StatusOr<std::unique_ptr<connection>> connection::connect(const location& where) {
  const std::string url = libpq_url(where.url);
  char* parse_error = nullptr;
  std::unique_ptr<PQconninfoOption, options_closer> parsed(PQconninfoParse(url.c_str(), &parse_error));
  if (!parsed) {
    std::string message = first_line(parse_error);
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        fmt::format("the PostgreSQL url does not parse: {} (write postgresql://host:port/database)",
                    message));
  }
  std::vector<const char*> keys{"dbname", "connect_timeout", "application_name"};
  std::vector<const char*> values{url.c_str(), "5", "sluice"};
  if (!where.user.empty()) {
    keys.push_back("user");
    values.push_back(where.user.c_str());
  }
  if (!where.password.empty()) {
    keys.push_back("password");
    values.push_back(where.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (!conn) return absl::ResourceExhaustedError("out of memory for a PostgreSQL connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = first_line(PQerrorMessage(conn));
    const bool refused = PQconnectionNeedsPassword(conn) ||
                         absl::StrContains(absl::string_view(message), "authentication failed") ||
                         absl::StrContains(absl::string_view(message), "no pg_hba.conf entry");
    const bool missing = absl::StrContains(absl::string_view(message), "does not exist");
    PQfinish(conn);
    message = fmt::format("PostgreSQL at {}: {}", describe_server(where), message);
    if (refused) return absl::PermissionDeniedError(message);
    if (missing) return absl::FailedPreconditionError(message);
    return absl::UnavailableError(message);
  }
  return std::unique_ptr<connection>(new connection(conn));
}

connection::~connection() { PQfinish(conn_); }

absl::StatusOr<text_rows> connection::execute(std::string_view statement,
                                              const std::vector<const char*>& parameters) {
  const std::string text(statement);
  result_ptr result(PQexecParams(conn_, text.c_str(), static_cast<int>(parameters.size()),
                                 nullptr, parameters.data(), nullptr, nullptr, 0));
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK) return text_rows{};
  if (status != PGRES_TUPLES_OK) {
    if (PQstatus(conn_) != CONNECTION_OK)
      return absl::UnavailableError(
          fmt::format("the PostgreSQL server went away: {}", first_line(PQerrorMessage(conn_))));
    const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    return absl::FailedPreconditionError(
        fmt::format("PostgreSQL: {} (SQLSTATE {})",
                    first_line(result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_)),
                    state ? state : "?"));
  }
  text_rows rows(PQntuples(result.get()));
  const int columns = PQnfields(result.get());
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    rows[r].resize(columns);
    for (int c = 0; c < columns; ++c)
      if (!PQgetisnull(result.get(), r, c))
        rows[r][c] = std::string(PQgetvalue(result.get(), r, c), PQgetlength(result.get(), r, c));
  }
  return rows;
}

std::string connection::quote(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (!quoted) return fmt::format("\"{}\"", name);
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace sluice::postgres

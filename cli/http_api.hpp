// What `sluice run` and `sluice coordinator` serve over HTTP (--http HOST:PORT): the jobs and
// Prometheus metrics of the role, and the store's tables, rows and SELECT queries.
//
//   GET  /api/jobs                  the listing `sluice jobs --json` prints
//   GET  /metrics                   the jobs' progress in Prometheus' text format
//   GET  /api/tables/NAME?limit=N   the table's rows (N: at most, default 1000) as JSON objects
//   POST /api/tables/NAME/rows      JSON lines, checked and written as `sluice put` does, in one
//                                   atomic write; a bad row rejects the request (400) by line and
//                                   column
//   POST /api/sql                   one SELECT statement; its rows as an array of JSON objects
#pragma once

#include <CLI/CLI.hpp>
#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "runtime/http/server.hpp"
#include "runtime/store/api.hpp"

namespace sluice::cli {

// `--http HOST:PORT|off`, and whether it was given (a default that is taken is skipped).
struct http_option {
  std::string address;
  bool given = false;
};
// Adds --http to `command`, defaulting to 127.0.0.1:`default_port`; `role` names the process in
// the help ("the run", "the coordinator").
void add_http_option(CLI::App& command, http_option& option, uint16_t default_port,
                     std::string_view role);

struct http_sources {
  // The role's jobs, as {"workers": [...], "jobs": [...]} (see coordinator/job_listing.hpp).
  std::function<absl::StatusOr<nlohmann::json>()> jobs;
  store::api* db = nullptr;  // outlives the server
};

http::handler http_api(http_sources sources);

// Up to `limit` rows of `table` in primary-key order as JSON objects (as `sluice scan --format
// jsonl` writes them), and whether the table holds more.
struct table_rows {
  nlohmann::json rows;
  bool more = false;
};
absl::StatusOr<table_rows> rows_as_json(store::api& db, const table_schema& table, size_t limit);

// Starts serving `sources` at the option's address unless it is "off". A failure to bind is an
// error when the address was given, and only a warning on stderr for the default. With the
// cluster's key (`secret` not empty), every request must carry it: `Authorization: Bearer KEY`,
// or Basic with any user name and the key as password (what a browser asks for); without one, an
// address beyond loopback is refused.
absl::StatusOr<std::unique_ptr<http::server>> serve_http(const http_option& option,
                                                         http_sources sources,
                                                         const std::string& secret);

}  // namespace sluice::cli

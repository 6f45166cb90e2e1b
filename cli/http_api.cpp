#include "cli/http_api.hpp"

#include <absl/strings/escaping.h>
#include <absl/strings/numbers.h>
#include <fmt/format.h>

#include <iostream>
#include <sstream>

#include "cli/dashboard.hpp"
#include "coordinator/job_actor.hpp"
#include "operators/script.hpp"
#include "remote/address.hpp"
#include "remote/secret.hpp"
#include "runtime/core/status.hpp"
#include "runtime/format/row_reader.hpp"
#include "runtime/format/row_writer.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::cli {
namespace {

constexpr size_t default_scan_rows = 1000;

http::response json_response(const nlohmann::json& body) {
  http::response out;
  out.body = body.dump() + "\n";
  return out;
}

std::string_view text_of(const absl::Status& status) {
  return {status.message().data(), status.message().size()};
}

// The status a store error answers with: bad input is the client's, a missing table 404.
http::response failure(const absl::Status& status) {
  if (absl::IsNotFound(status)) return http::error(404, text_of(status));
  if (absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status) ||
      absl::IsAlreadyExists(status) || absl::IsOutOfRange(status))
    return http::error(400, text_of(status));
  return http::error(503, text_of(status));
}

// JSON lines (as row_writer writes them) as one array.
nlohmann::json array_of_lines(const std::string& lines) {
  nlohmann::json out = nlohmann::json::array();
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// A Prometheus label value, escaped.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string metrics_text(const nlohmann::json& listing) {
  struct family {
    const char* name;
    const char* type;
    const char* help;
    std::string samples;
  };
  family rows{"sluice_rows_read_total", "counter",
              "Change records a job has read, as of its last complete checkpoint.", ""};
  family rate{"sluice_rows_per_second", "gauge",
              "Records a job read per second between its last two checkpoints.", ""};
  family lag{"sluice_channel_lag_records", "gauge",
             "Change records of a channel after the job's last complete checkpoint.", ""};
  family late{"sluice_late_rows_total", "counter",
              "Source rows that came for windows already final.", ""};
  family checkpoint{"sluice_checkpoint_last_duration_seconds", "gauge",
                    "How long a job's last complete checkpoint took, barrier to record.", ""};
  family checkpoint_id{"sluice_checkpoint_last_id", "gauge",
                       "The id of a job's last complete checkpoint (0: none yet).", ""};
  family reassignments{"sluice_reassignments_total", "counter",
                       "Times a job's work was assigned again after its first assignment.", ""};
  family running{"sluice_job_running", "gauge", "1 for a running job, 0 for a stopped one.", ""};
  family durations{"sluice_checkpoint_duration_seconds", "histogram",
                   "How long the checkpoints of a job took, barrier to record.", ""};
  family failures{"sluice_job_failures_total", "counter",
                  "Failures a job resumed from its last complete checkpoint after.", ""};
  family written{"sluice_rows_written_total", "counter",
                 "Sink row changes (upserts and deletes) a job's checkpoints wrote.", ""};
  family checkpoint_size{"sluice_checkpoint_last_size_bytes", "gauge",
                         "The snapshot bytes of a job's last complete checkpoint.", ""};
  family failed{"sluice_checkpoints_failed_total", "counter",
                "Checkpoints a job began and never completed.", ""};
  family store_writes{"sluice_store_write_duration_seconds", "histogram",
                      "How long a reducer's store writes at a checkpoint took (sink rows and "
                      "snapshot).",
                      ""};
  family shares{"sluice_worker_channels", "gauge",
                "The channels of a job's source a worker reads.", ""};
  // A histogram's samples from per-bucket counts over checkpoint_buckets.
  auto histogram = [](family& f, const std::string& job, const std::vector<uint64_t>& counts,
                      double sum, uint64_t count) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b < std::size(coordinator::checkpoint_buckets) && b < counts.size(); ++b) {
      cumulative += counts[b];
      f.samples += fmt::format("{}_bucket{{job=\"{}\",le=\"{}\"}} {}\n", f.name, job,
                               coordinator::checkpoint_buckets[b], cumulative);
    }
    f.samples += fmt::format("{0}_bucket{{job=\"{1}\",le=\"+Inf\"}} {2}\n"
                             "{0}_sum{{job=\"{1}\"}} {3}\n{0}_count{{job=\"{1}\"}} {2}\n",
                             f.name, job, count, sum);
  };
  for (const auto& job : listing.value("jobs", nlohmann::json::array())) {
    const std::string name = label(job.value("name", ""));
    const bool is_running = job.value("state", "") != "stopped";
    running.samples += fmt::format("sluice_job_running{{job=\"{}\"}} {}\n", name, is_running ? 1 : 0);
    if (!job.contains("rows")) continue;
    rows.samples += fmt::format("sluice_rows_read_total{{job=\"{}\"}} {}\n", name,
                                job["rows"].get<uint64_t>());
    rate.samples += fmt::format("sluice_rows_per_second{{job=\"{}\"}} {}\n", name,
                                job["rows_per_second"].get<double>());
    const auto& lags = job["lag"];
    for (size_t c = 0; c < lags.size(); ++c)
      lag.samples += fmt::format("sluice_channel_lag_records{{job=\"{}\",channel=\"{}\"}} {}\n",
                                 name, c, lags[c].get<uint64_t>());
    late.samples += fmt::format("sluice_late_rows_total{{job=\"{}\"}} {}\n", name,
                                job["late"].get<uint64_t>());
    checkpoint.samples += fmt::format("sluice_checkpoint_last_duration_seconds{{job=\"{}\"}} {}\n",
                                      name, job["last_checkpoint_ms"].get<double>() / 1000);
    checkpoint_id.samples += fmt::format("sluice_checkpoint_last_id{{job=\"{}\"}} {}\n", name,
                                         job["last_checkpoint"].get<uint64_t>());
    reassignments.samples += fmt::format("sluice_reassignments_total{{job=\"{}\"}} {}\n", name,
                                         job["reassignments"].get<uint64_t>());
    failures.samples += fmt::format("sluice_job_failures_total{{job=\"{}\"}} {}\n", name,
                                    job.value("failures", uint64_t{0}));
    histogram(durations, name, job.value("checkpoint_counts", std::vector<uint64_t>{}),
              job.value("checkpoint_seconds", 0.0), job.value("checkpoints", uint64_t{0}));
    histogram(store_writes, name, job.value("store_write_counts", std::vector<uint64_t>{}),
              job.value("store_write_seconds", 0.0), job.value("store_writes", uint64_t{0}));
    written.samples += fmt::format("sluice_rows_written_total{{job=\"{}\"}} {}\n", name,
                                   job.value("sink_rows", uint64_t{0}));
    checkpoint_size.samples += fmt::format("sluice_checkpoint_last_size_bytes{{job=\"{}\"}} {}\n",
                                           name, job.value("last_checkpoint_bytes", uint64_t{0}));
    failed.samples += fmt::format("sluice_checkpoints_failed_total{{job=\"{}\"}} {}\n", name,
                                  job.value("checkpoints_failed", uint64_t{0}));
    for (const auto& share : job.value("shares", nlohmann::json::array()))
      shares.samples += fmt::format(
          "sluice_worker_channels{{job=\"{}\",worker=\"{}\"}} {}\n", name,
          label(share.value("worker", "")), share.value("channels", nlohmann::json::array()).size());
  }
  std::string out;
  if (listing.contains("workers"))
    out = fmt::format("# HELP sluice_workers Workers registered with the coordinator.\n"
                      "# TYPE sluice_workers gauge\nsluice_workers {}\n",
                      listing["workers"].size());
  for (const auto* f : {&running, &rows, &rate, &lag, &late, &written, &checkpoint,
                        &checkpoint_id, &checkpoint_size, &durations, &failed, &store_writes,
                        &reassignments, &failures, &shares})
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}", f->name, f->help, f->name, f->type,
                       f->samples);
  return out;
}

http::response scan_table(store::api& db, const std::string& name, const http::request& r) {
  size_t limit = default_scan_rows;
  if (auto given = r.query.find("limit"); given != r.query.end() &&
                                          !absl::SimpleAtoi(given->second, &limit))
    return http::error(400, fmt::format("limit={} is not a row count", given->second));
  auto table = db.find_table(name);
  if (!table.ok()) return failure(table.status());
  auto read = rows_as_json(db, **table, limit);
  if (!read.ok()) return failure(read.status());
  return json_response(read->rows);
}

http::response put_rows(store::api& db, const std::string& name, const std::string& body) {
  auto table = db.find_table(name);
  if (!table.ok()) return failure(table.status());
  std::istringstream in(body);
  auto batches = format::read_rows(in, format::input_format::jsonl, *table, SIZE_MAX);
  if (!batches.ok()) return http::error(400, text_of(batches.status()));
  store::write_result written;
  for (const auto& batch : *batches) {  // one batch: the whole body, one atomic write
    auto done = db.write(batch);
    if (!done.ok()) return failure(done.status());
    written.changed += done->changed;
    written.unchanged += done->unchanged;
  }
  return json_response({{"table", name},
                        {"rows", written.changed + written.unchanged},
                        {"changed", written.changed},
                        {"unchanged", written.unchanged}});
}

http::response run_sql(store::api& db, const std::string& text) {
  auto statements = sql::parse_script(text);
  if (!statements.ok()) return http::error(400, text_of(statements.status()));
  if (statements->size() != 1 || !std::holds_alternative<sql::select_statement>(statements->front()))
    return http::error(400, "POST /api/sql takes one SELECT statement; run other statements with "
                            "sluice sql");
  ops::script_options options;
  options.format = format::output_format::jsonl;
  options.streams = false;
  auto done = ops::run_script(text, "the request", db, options);
  if (!done.ok()) return failure(done.status());
  return json_response(array_of_lines(done->output));
}

}  // namespace

absl::StatusOr<table_rows> rows_as_json(store::api& db, const table_schema& table, size_t limit) {
  std::vector<std::string> columns;
  for (size_t c = 0; c < table.column_count(); ++c) columns.push_back(table.column(c).name);
  std::ostringstream lines;
  format::row_writer writer(lines, format::output_format::jsonl, columns);
  size_t n = 0;
  auto scanned = db.scan(table, [&](std::span<const value> row) {
    if (n++ == limit) return absl::CancelledError("limit");
    writer.write_row(row);
    return absl::OkStatus();
  });
  if (!scanned.ok() && !absl::IsCancelled(scanned)) return scanned;
  writer.finish();
  return table_rows{array_of_lines(lines.str()), absl::IsCancelled(scanned)};
}

http::handler http_api(http_sources sources) {
  auto cache = std::make_shared<dashboard_cache>();
  return [sources = std::move(sources), cache](const http::request& r) -> http::response {
    constexpr std::string_view tables = "/api/tables/";
    if (r.path == "/api/jobs" || r.path == "/metrics") {
      if (r.method != "GET") return http::error(405, fmt::format("{} takes GET", r.path));
      auto listing = sources.jobs();
      if (!listing.ok()) return failure(listing.status());
      if (r.path == "/api/jobs") return json_response(*listing);
      http::response out;
      out.content_type = "text/plain; version=0.0.4";
      out.body = metrics_text(*listing);
      return out;
    }
    if (r.path == "/api/sql") {
      if (r.method != "POST") return http::error(405, "/api/sql takes POST with SQL in the body");
      return run_sql(*sources.db, r.body);
    }
    if (r.path.starts_with(tables)) {
      std::string rest = r.path.substr(tables.size());
      if (rest.ends_with("/rows")) {
        if (r.method != "POST") return http::error(405, "rows are written with POST");
        return put_rows(*sources.db, rest.substr(0, rest.size() - 5), r.body);
      }
      if (r.method != "GET") return http::error(405, "a table is read with GET");
      if (rest.empty() || rest.find('/') != std::string::npos)
        return http::error(404, fmt::format("no such resource: {}", r.path));
      return scan_table(*sources.db, rest, r);
    }
    if (r.path == "/api/events") {
      if (r.method != "GET") return http::error(405, "/api/events takes GET");
      return dashboard_events(sources, *cache, r);
    }
    if (r.method == "GET")
      if (auto page = dashboard_file(r); page.status != 0) return page;
    return http::error(404, fmt::format("no such resource: {} (see /, /api/jobs, "
                                        "/api/tables/NAME, /api/sql, /api/events, /metrics)",
                                        r.path));
  };
}

void add_http_option(CLI::App& command, http_option& option, uint16_t default_port,
                     std::string_view role) {
  option.address = fmt::format("127.0.0.1:{}", default_port);
  command
      .add_option("--http", option.address,
                  fmt::format("serve {}'s dashboard (/), jobs, metrics and tables over HTTP at "
                              "HOST:PORT (GET /api/jobs, /metrics, /api/tables/NAME?limit=N; POST "
                              "/api/tables/NAME/rows, /api/sql), or off; when the default is "
                              "taken, {} goes on without HTTP",
                              role, role))
      ->capture_default_str()
      ->type_name("HOST:PORT|off")
      ->each([&option](const std::string&) { option.given = true; });
}

namespace {

bool carries_key(const http::request& r, std::string_view key) {
  auto header = r.headers.find("authorization");
  if (header == r.headers.end()) return false;
  const std::string& value = header->second;
  if (value.rfind("Bearer ", 0) == 0)
    return remote::same_secret(std::string_view(value).substr(7), key);
  std::string credentials;
  if (value.rfind("Basic ", 0) != 0 || !absl::Base64Unescape(value.substr(6), &credentials))
    return false;
  auto colon = credentials.find(':');  // user:password; any user name
  return colon != std::string::npos &&
         remote::same_secret(std::string_view(credentials).substr(colon + 1), key);
}

http::handler requiring_key(http::handler handle, std::string key) {
  return [handle = std::move(handle), key = std::move(key)](const http::request& r) {
    if (carries_key(r, key)) return handle(r);
    auto denied = http::error(401, "this server asks for the cluster's key: send "
                                   "'Authorization: Bearer KEY', or log in with any user name "
                                   "and the key as password");
    denied.headers["WWW-Authenticate"] = "Basic realm=\"sluice\"";
    return denied;
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<http::server>> serve_http(const http_option& option,
                                                         http_sources sources,
                                                         const std::string& secret) {
  if (option.address == "off") return std::unique_ptr<http::server>();
  SLUICE_ASSIGN_OR_RETURN(auto at, remote::parse_address(option.address));
  SLUICE_RETURN_IF_ERROR(remote::check_exposure(at, secret, "--http"));
  auto handle = http_api(std::move(sources));
  if (!secret.empty()) handle = requiring_key(std::move(handle), secret);
  auto started = http::server::start(at.host, at.port, std::move(handle));
  if (started.ok()) {
    std::cerr << fmt::format("HTTP at http://{}:{}/ (/api/jobs, /metrics)\n", at.host,
                             (*started)->port());
    return started;
  }
  if (option.given) return started.status();
  std::cerr << fmt::format("{}; going on without HTTP (--http HOST:PORT to choose)\n",
                           std::string(started.status().message()));
  return std::unique_ptr<http::server>();
}

}  // namespace sluice::cli

// The dashboard every long-running role serves at / (cli/dashboard/index.html, with Apache
// ECharts, both copied next to the binary as bin/assets/ by the build): the result tables of the
// role's jobs and the jobs' health, sent to the page as server-sent events (GET /api/events)
// when they have changed, at most about once a second.
//
// Each job's sink is shown by its shape: a table keyed by a time (a window's start, as the seeds'
// `begin`) as a time chart of its latest windows; a single row as figures; any other as a
// ranking of its top rows by its first numeric column. `?view=TABLE:time|figures|ranking[:COLUMN]`
// (several, comma-separated) sets them.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cli/http_api.hpp"

namespace sluice::cli {

// GET / and GET /assets/NAME; nothing (status 0) for other paths.
http::response dashboard_file(const http::request& r);

// What the page was last shown of each table, kept while the table's change log has not grown,
// so that pages reconnecting to the event stream do not scan it again. Thread-safe.
class dashboard_cache {
 public:
  struct entry {
    std::vector<uint64_t> ends;  // the table's channel ends when it was read
    nlohmann::json view;
  };
  entry table(store::api& db, const std::string& name, const std::string& view);

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, entry> tables_;
};

// GET /api/events: the state (the jobs, each sink's view) as a server-sent event, unless the
// page has it already (Last-Event-ID); the page reconnects about once a second.
http::response dashboard_events(const http_sources& sources, dashboard_cache& cache,
                                const http::request& r);

// What the page shows of one table (exposed for tests): its columns, key, view and rows.
nlohmann::json table_view(store::api& db, const std::string& name, const std::string& view);

}  // namespace sluice::cli

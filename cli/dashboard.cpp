#include "cli/dashboard.hpp"

#include <absl/time/time.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/core/timestamp_text.hpp"

namespace sluice::cli {
namespace {

constexpr size_t most_rows_read = 50000;  // a table is shown from its first rows this many
constexpr size_t time_points = 120;       // windows of a time chart
constexpr size_t ranked_rows = 20;
constexpr auto hold = std::chrono::milliseconds(500);
constexpr auto reconnect = std::chrono::milliseconds(1000);

std::filesystem::path assets() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return exe.parent_path() / "assets";
}

http::response file(const std::string& name, const char* content_type) {
  std::ifstream in(assets() / name, std::ios::binary);
  if (!in)
    return http::error(500, fmt::format("{} is missing from {} (scripts/setup builds it)", name,
                                        assets().string()));
  std::ostringstream text;
  text << in.rdbuf();
  http::response out;
  out.content_type = content_type;
  out.body = text.str();
  return out;
}

bool numeric(column_type type) {
  return type == column_type::bigint || type == column_type::double_;
}

double number_of(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : 0; }

}  // namespace

http::response dashboard_file(const http::request& r) {
  if (r.path == "/" || r.path == "/index.html") return file("index.html", "text/html; charset=utf-8");
  if (r.path == "/assets/echarts.min.js")
    return file("echarts.min.js", "application/javascript; charset=utf-8");
  http::response none;
  none.status = 0;
  return none;
}

nlohmann::json table_view(store::api& db, const std::string& name, const std::string& view) {
  auto table = db.find_table(name);
  if (!table.ok()) return {{"name", name}, {"error", std::string(table.status().message())}};
  const auto& schema = **table;
  nlohmann::json columns = nlohmann::json::array(), key = nlohmann::json::array();
  for (size_t c = 0; c < schema.column_count(); ++c)
    columns.push_back({{"name", schema.column(c).name},
                       {"type", std::string(type_name(schema.column(c).type))}});
  for (auto k : schema.primary_key()) key.push_back(schema.column(k).name);
  auto read = rows_as_json(db, schema, most_rows_read);
  if (!read.ok()) return {{"name", name}, {"error", std::string(read.status().message())}};
  const nlohmann::json& all = read->rows;
  // Keyed by a time: a TIMESTAMP, or text that reads as one (the seeds' window `begin`).
  const auto& first_key = schema.column(schema.primary_key()[0]);
  bool time_keyed = first_key.type == column_type::timestamp;
  if (!time_keyed && !all.empty() && all[0][first_key.name].is_string())
    time_keyed = parse_timestamp(all[0][first_key.name].get<std::string>(), absl::UTCTimeZone())
                     .has_value();
  // "ranking:COLUMN" ranks by that column.
  std::string shown = view.substr(0, view.find(':'));
  std::string measure = view.find(':') == std::string::npos ? "" : view.substr(view.find(':') + 1);
  if (shown.empty()) shown = time_keyed ? "time" : all.size() == 1 ? "figures" : "ranking";
  for (size_t c = 0; measure.empty() && c < schema.column_count(); ++c)
    if (numeric(schema.column(c).type) &&
        std::find(schema.primary_key().begin(), schema.primary_key().end(), c) ==
            schema.primary_key().end())
      measure = schema.column(c).name;
  nlohmann::json picked = nlohmann::json::array();
  if (shown == "time") {
    const size_t first = all.size() > time_points ? all.size() - time_points : 0;
    for (size_t i = first; i < all.size(); ++i) picked.push_back(all[i]);
  } else if (shown == "ranking" && !measure.empty()) {
    std::vector<nlohmann::json> sorted(all.begin(), all.end());
    const size_t top = std::min(ranked_rows, sorted.size());
    std::partial_sort(sorted.begin(), sorted.begin() + top, sorted.end(), [&](const auto& a, const auto& b) {
      return number_of(a[measure]) > number_of(b[measure]);
    });
    for (size_t i = 0; i < top; ++i) picked.push_back(sorted[i]);
  } else {
    for (size_t i = 0; i < std::min<size_t>(all.size(), ranked_rows); ++i) picked.push_back(all[i]);
  }
  return {{"name", name},     {"columns", columns},   {"key", key},
          {"view", shown},    {"measure", measure},   {"rows", picked},
          {"row_count", read->more ? nlohmann::json(fmt::format("over {}", most_rows_read))
                                   : nlohmann::json(all.size())},
          {"complete", !read->more}};
}

dashboard_cache::entry dashboard_cache::table(store::api& db, const std::string& name,
                                              const std::string& view) {
  auto table = db.find_table(name);
  auto ends = table.ok() ? db.end_offsets(**table) : absl::StatusOr<std::vector<uint64_t>>(table.status());
  {
    std::lock_guard lock(mu_);
    auto it = tables_.find({name, view});
    // A table is read again only when its change log has grown.
    if (it != tables_.end() && ends.ok() && it->second.ends == *ends) return it->second;
  }
  entry fresh{ends.ok() ? *ends : std::vector<uint64_t>{}, table_view(db, name, view)};
  std::lock_guard lock(mu_);
  tables_[{name, view}] = fresh;
  return fresh;
}

http::response dashboard_events(const http_sources& sources, dashboard_cache& cache,
                                const http::request& r) {
  // TABLE:VIEW settings from ?view=a:time,b:ranking:total
  std::map<std::string, std::string> views;
  if (auto given = r.query.find("view"); given != r.query.end()) {
    std::istringstream list(given->second);
    for (std::string item; std::getline(list, item, ',');)
      if (auto colon = item.find(':'); colon != std::string::npos)
        views[item.substr(0, colon)] = item.substr(colon + 1);
  }
  auto listing = sources.jobs();
  nlohmann::json now = {{"jobs", listing.ok() ? (*listing)["jobs"] : nlohmann::json::array()},
                        {"tables", nlohmann::json::array()}};
  std::set<std::string> sinks;
  for (const auto& job : now["jobs"])
    if (job.contains("sink")) sinks.insert(job["sink"].get<std::string>());
  for (const auto& name : sinks) {
    auto it = views.find(name);
    now["tables"].push_back(
        cache.table(*sources.db, name, it == views.end() ? "" : it->second).view);
  }
  const std::string text = now.dump();
  const std::string id = fmt::format("{:016x}", std::hash<std::string>{}(text));
  http::response out;
  out.content_type = "text/event-stream";
  out.body = fmt::format("retry: {}\n\n", reconnect.count());
  auto last = r.headers.find("last-event-id");
  if (last == r.headers.end() || last->second != id)
    out.body += fmt::format("id: {}\nevent: state\ndata: {}\n\n", id, text);
  // Held open a moment, then closed: the page reconnects (EventSource does, with the id of what
  // it has), so that it is sent a state only when it changed, and never more than once a
  // reconnection. A stream that never ends would also keep a headless browser's page loading.
  out.stream = [](std::string&) {
    std::this_thread::sleep_for(hold);
    return false;
  };
  return out;
}

}  // namespace sluice::cli

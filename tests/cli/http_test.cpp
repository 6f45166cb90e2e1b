// `sluice run --http`: the jobs, metrics, tables, rows and SELECT queries of a running job over
// HTTP, checked against what the CLI shows of the same store; bad, oversized and concurrent
// requests; and what happens when the address is taken.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <thread>

#include "tests/support/free_port.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/job_fixture.hpp"

namespace sluice::testing {
namespace {

struct http_fixture : job_fixture {
  uint16_t port = free_port();
  std::unique_ptr<background_process> run;

  http_fixture() {
    create_order_tables();
    gen({"--rows", "20000", "--users", "50", "--seed", "3"});
    run = std::make_unique<background_process>(std::vector<std::string>{
        SLUICE_BINARY, "run", "--data", data, "--http", fmt::format("127.0.0.1:{}", port),
        (examples_sql() / "seed_10s_window.sql").string()});
  }

  http_reply get(const std::string& target) const { return http_call(port, "GET", target); }
  http_reply post(const std::string& target, const std::string& body) const {
    return http_call(port, "POST", target, body);
  }

  // The job's entry once it has checkpointed every generated order.
  json caught_up_job() const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto reply = get("/api/jobs");
      const auto listing = reply.status == 200 ? json::parse(reply.body) : json::object();
      for (const auto& job : listing.value("jobs", json::array()))
        if (job["name"] == "job1" && job["rows"].get<uint64_t>() == 20000) return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    FAIL("job1 did not read the 20000 orders; run: " << run->stop().err);
    return {};
  }
};

TEST_CASE_FIXTURE(http_fixture, "over HTTP: the running job, its metrics, its tables and SELECT") {
  auto job = caught_up_job();
  CHECK(job["sink"] == "OrderStreamSink");
  CHECK(job["lag"] == json::array({0, 0, 0, 0, 0, 0, 0, 0}));

  auto metrics = get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type.starts_with("text/plain"));
  CHECK(metrics.body.find("# TYPE sluice_rows_read_total counter\n") != std::string::npos);
  CHECK(metrics.body.find("sluice_rows_read_total{job=\"job1\"} 20000\n") != std::string::npos);
  CHECK(metrics.body.find("sluice_channel_lag_records{job=\"job1\",channel=\"7\"} 0\n") !=
        std::string::npos);
  // Every window was written at least once; the checkpoints' history ends with the last one.
  CHECK(job["sink_rows"].get<uint64_t>() >= scan_jsonl("OrderStreamSink").size());
  CHECK(metrics.body.find(fmt::format("sluice_rows_written_total{{job=\"job1\"}} {}\n",
                                      job["sink_rows"].get<uint64_t>())) != std::string::npos);
  REQUIRE(!job["history"].empty());
  CHECK(job["history"].back()["id"] == job["last_checkpoint"]);
  CHECK(job["history"].back()["bytes"].get<uint64_t>() > 0);
  CHECK(metrics.body.find(fmt::format("sluice_checkpoint_last_size_bytes{{job=\"job1\"}} {}\n",
                                      job["last_checkpoint_bytes"].get<uint64_t>())) !=
        std::string::npos);
  CHECK(metrics.body.find("sluice_checkpoints_failed_total{job=\"job1\"} 0\n") != std::string::npos);
  CHECK(metrics.body.find("# TYPE sluice_store_write_duration_seconds histogram\n") !=
        std::string::npos);
  size_t channels = 0;
  for (const auto& share : job["shares"]) channels += share["channels"].size();
  CHECK(channels == 8);
  CHECK(metrics.body.find("sluice_worker_channels{job=\"job1\",worker=\"worker 1\"}") !=
        std::string::npos);
  if (std::filesystem::exists("/usr/bin/promtool")) {
    auto checked = testing::run({"/usr/bin/promtool", "check", "metrics"}, metrics.body,
                                std::chrono::seconds(30));
    CHECK_MESSAGE(checked.exit_code == 0, checked.out << checked.err);
  } else {
    MESSAGE("promtool is not installed (scripts/setup installs prometheus): metrics not linted");
  }

  // The sink as the API gives it equals the sink as `sluice scan` does.
  auto sink = get("/api/tables/OrderStreamSink?limit=100000");
  REQUIRE(sink.status == 200);
  CHECK(rows_text(json::parse(sink.body).get<std::vector<json>>()) ==
        rows_text(scan_jsonl("OrderStreamSink")));
  CHECK(json::parse(get("/api/tables/OrderStreamSink?limit=2").body).size() == 2);

  // The dashboard's event: the sink as a time chart of its windows, or as set.
  auto event_of = [](const http_reply& reply) {
    auto data = reply.body.find("data: ");
    REQUIRE_MESSAGE(data != std::string::npos, reply.body);
    return json::parse(reply.body.substr(data + 6, reply.body.find('\n', data) - data - 6));
  };
  auto events = get("/api/events");
  CHECK(events.content_type == "text/event-stream");
  auto state = event_of(events);
  REQUIRE(state["tables"].size() == 1);
  CHECK(state["tables"][0]["view"] == "time");
  CHECK(rows_text(state["tables"][0]["rows"].get<std::vector<json>>()) ==
        rows_text(scan_jsonl("OrderStreamSink")));
  // A page that has this state is not sent it again.
  auto id_at = events.body.find("id: ");
  REQUIRE(id_at != std::string::npos);
  const std::string id = events.body.substr(id_at + 4, events.body.find('\n', id_at) - id_at - 4);
  auto again = http_call(port, "GET", "/api/events", {}, "Last-Event-ID: " + id + "\r\n");
  CHECK(again.status == 200);
  CHECK(again.body.find("data: ") == std::string::npos);
  auto ranked = event_of(get("/api/events?view=OrderStreamSink:ranking:totalPrice"))["tables"][0];
  CHECK(ranked["view"] == "ranking");
  CHECK(ranked["measure"] == "totalPrice");
  CHECK(ranked["rows"][0]["totalPrice"] >= ranked["rows"].back()["totalPrice"]);
  CHECK(get("/api/tables/OrderStreamSink?limit=many").status == 400);
  CHECK(get("/api/tables/NoSuchTable").status == 404);

  auto query = post("/api/sql", "SELECT count(*) AS orders FROM OrderSource");
  REQUIRE(query.status == 200);
  CHECK(json::parse(query.body) == json::parse(R"([{"orders": 20000}])"));
  CHECK(post("/api/sql", "DROP TABLE OrderSource").status == 400);
  CHECK(post("/api/sql", "SELEC 1").status == 400);
  CHECK(get("/api/sql").status == 405);
  CHECK(get("/nothing/here").status == 404);

  // Rows: a bad one rejects the request whole, by line and column; good ones reach the job.
  auto bad = post("/api/tables/OrderSource/rows",
                  R"({"UserId":"web","OrderId":"w1","price":2.5,"timestamp":1700000000000})"
                  "\n"
                  R"({"UserId":"web","OrderId":"w2","price":"cheap","timestamp":1700000000000})"
                  "\n");
  CHECK(bad.status == 400);
  CHECK_MESSAGE(bad.body.find("line 2, column 'price'") != std::string::npos, bad.body);
  CHECK(json::parse(post("/api/sql", "SELECT count(*) AS n FROM OrderSource").body)[0]["n"] ==
        20000);
  // Writers at once, each request one atomic write.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      std::string lines;
      for (int i = 0; i < 50; ++i)
        lines += fmt::format(
            R"({{"UserId":"web{}","OrderId":"o{}","price":1.25,"timestamp":1700000000000}})"
            "\n",
            w, i);
      auto written = post("/api/tables/OrderSource/rows", lines);
      CHECK(written.status == 200);
      CHECK(json::parse(written.body)["rows"] == 50);
    });
  for (auto& writer : writers) writer.join();
  CHECK(json::parse(post("/api/sql", "SELECT count(*) AS n FROM OrderSource").body)[0]["n"] ==
        20200);
  // An oversized body is refused before it is read whole.
  CHECK(post("/api/tables/OrderSource/rows", std::string(3 << 20, ' ')).status == 413);

  // The job reads the rows written over HTTP like any others.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline &&
         metrics.body.find("sluice_rows_read_total{job=\"job1\"} 20200\n") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    metrics = get("/metrics");
  }
  CHECK(metrics.body.find("sluice_rows_read_total{job=\"job1\"} 20200\n") != std::string::npos);
  auto ended = run->terminate(std::chrono::seconds(30));
  CHECK_MESSAGE(ended.exit_code == 0, ended.err);
  CHECK(get("/api/jobs").status == 0);  // nothing listens once it has ended
}

TEST_CASE_FIXTURE(http_fixture, "a real Prometheus scrapes the job's metrics") {
  const std::string prometheus = "/usr/bin/prometheus";
  if (!std::filesystem::exists(prometheus)) {
    MESSAGE("skipped: Prometheus is not installed (scripts/setup installs prometheus)");
    return;
  }
  caught_up_job();
  const uint16_t web = free_port();
  // honor_labels keeps Sluice's own job label (Prometheus would rename it exported_job).
  script("prometheus.yml", fmt::format("global:\n  scrape_interval: 1s\n"
                                       "scrape_configs:\n  - job_name: sluice\n"
                                       "    honor_labels: true\n"
                                       "    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
                                       port));
  background_process server({prometheus, "--config.file=" + (dir.path / "prometheus.yml").string(),
                             "--storage.tsdb.path=" + (dir.path / "tsdb").string(),
                             fmt::format("--web.listen-address=127.0.0.1:{}", web)});
  json found;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && found.is_null() && server.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto reply = http_call(web, "GET", "/api/v1/query?query=sluice_rows_read_total");
    if (reply.status != 200) continue;
    auto answer = json::parse(reply.body);
    for (const auto& series : answer["data"]["result"])
      if (series["metric"]["job"] == "job1") found = series;
  }
  REQUIRE_MESSAGE(!found.is_null(), "Prometheus found no sluice_rows_read_total{job=\"job1\"}: "
                                        << server.stop().err.substr(0, 2000));
  CHECK(found["value"][1] == "20000");
}

TEST_CASE_FIXTURE(job_fixture, "the dashboard in headless Chromium charts the latest window as "
                               "the result table holds it") {
  const std::string chromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium)) {
    MESSAGE("skipped: Chromium is not installed (scripts/setup installs chromium)");
    return;
  }
  create_order_tables();
  gen({"--rows", "30000", "--users", "50", "--seed", "5"});
  const uint16_t port = free_port();
  background_process run({SLUICE_BINARY, "run", "--data", data, "--http",
                          fmt::format("127.0.0.1:{}", port),
                          (examples_sql() / "seed_10s_window.sql").string()});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = http_call(port, "GET", "/api/jobs");
    const auto listing = reply.status == 200 ? json::parse(reply.body) : json::object();
    if (listing.value("jobs", json::array()).size() == 1 &&
        listing["jobs"][0]["rows"].get<uint64_t>() == 30000)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::string url = fmt::format("http://127.0.0.1:{}/", port);
  std::vector<std::string> browser = {chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                      "--disable-background-networking", "--no-first-run",
                                      "--disable-component-update", "--disable-sync",
                                      "--user-data-dir=" + (dir.path / "chromium").string(),
                                      "--window-size=1400,900", "--virtual-time-budget=8000"};
  auto dump = browser;
  dump.insert(dump.end(), {"--dump-dom", url});
  auto dom = testing::run(dump, {}, std::chrono::seconds(90));
  if (dom.exit_code != 0 || dom.out.empty()) {
    MESSAGE("skipped: Chromium did not start here: " << dom.err.substr(0, 300));
    return;
  }
  CHECK(dom.out.find("<canvas") != std::string::npos);
  // The window the page shows as the latest, and its count, as the result table has them.
  static const std::regex latest(R"re(class="latest" data-key="([^|"]+)\|([^"]+)">.*?data-column="count">count ([0-9,]+)<)re");
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(dom.out, m, latest), dom.out.substr(0, 2000));
  std::string shown = m[3];
  shown.erase(std::remove(shown.begin(), shown.end(), ','), shown.end());
  std::optional<int64_t> count;
  for (const auto& row : scan_jsonl("OrderStreamSink"))
    if (row["begin"] == m[1].str() && row["end"] == m[2].str()) count = row["count"].get<int64_t>();
  REQUIRE(count.has_value());
  CHECK(std::stoll(shown) == *count);
  // For people to look at: build/dashboard.png.
  auto shot = browser;
  const auto png = std::filesystem::path(SLUICE_BINARY).parent_path().parent_path() / "dashboard.png";
  shot.insert(shot.end(), {"--screenshot=" + png.string(), url});
  CHECK(testing::run(shot, {}, std::chrono::seconds(90)).exit_code == 0);
  CHECK(std::filesystem::file_size(png) > 10000);
}

TEST_CASE_FIXTURE(job_fixture, "an HTTP address that is taken: refused when given, skipped when "
                               "the default; none for a script without streams") {
  create_order_tables();
  // A stream over no orders: it ends at once, and serves HTTP while it runs.
  const auto stream = std::vector<std::string>{
      "--until-drained", (examples_sql() / "seed_10s_window.sql").string()};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), stream.begin(), stream.end());
    return sluice("run", args);
  };
  // Something else listens on the port given.
  const uint16_t port = free_port();
  background_process store({SLUICE_BINARY, "store", "--data", (dir.path / "other").string(),
                            "--listen", fmt::format("127.0.0.1:{}", port)});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && !listening(port))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto refused = with({"--http", fmt::format("127.0.0.1:{}", port)});
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.err.find(fmt::format("cannot serve HTTP on 127.0.0.1:{}", port)) !=
                    std::string::npos,
                refused.err);
  auto off = with({"--http", "off"});
  CHECK_MESSAGE(off.exit_code == 0, off.err);
  CHECK(off.err.find("HTTP") == std::string::npos);
  // The default address taken (here, or by another run): the run goes on without HTTP.
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback(7480);
  const bool held = bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    listen(holder, 1) == 0;
  auto skipped = with({});
  close(holder);
  CHECK_MESSAGE(skipped.exit_code == 0, skipped.err);
  if (held) CHECK_MESSAGE(skipped.err.find("going on without HTTP") != std::string::npos, skipped.err);
  auto batch = sluice("run", {"--http", fmt::format("127.0.0.1:{}", port), "-e",
                              "SELECT count(*) AS n FROM OrderSource"});
  CHECK_MESSAGE(batch.exit_code == 0, batch.err);
  CHECK(batch.err.find("HTTP") == std::string::npos);
}

}  // namespace
}  // namespace sluice::testing

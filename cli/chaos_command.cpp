// `sluice chaos`: proves on a user's own job that faults change nothing. Each run starts a
// cluster of its own (a store, a coordinator and workers, as processes of this binary on
// loopback, or over hosts made of network namespaces with --hosts), creates the tables, submits
// the job, loads orders while it runs, injects a fault schedule drawn from the run's seed (kills,
// stops, restarts, a worker joining, partitions and slow links between hosts; updates and
// deletes of source rows during some faults), and at the end compares every result table of
// the job with the job's SELECT recomputed by SQLite over the tables it reads as they then stand
// (chaos::recomputation). The exit code is 0 only if every run was exact.
#include <CLI/CLI.hpp>
#include <absl/strings/str_join.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "chaos/network.hpp"
#include "chaos/process.hpp"
#include "chaos/progress.hpp"
#include "chaos/recompute.hpp"
#include "chaos/schedule.hpp"
#include "cli/command.hpp"
#include "cli/orders_schema.hpp"
#include "operators/planner.hpp"
#include "runtime/core/status.hpp"
#include "runtime/sql/parser.hpp"

namespace sluice::cli {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct chaos_options {
  std::string job;
  uint32_t runs = 1;
  uint64_t seed = 0;  // 0: drawn at random, and printed
  uint32_t workers = 2;
  uint32_t hosts = 1;
  std::string faults;
  double duration = 20;  // seconds of faults and load per run
  double rate = 20000;   // generated orders per second
  uint32_t users = 1000;
  std::string schema;
  std::string input;
  std::vector<std::string> loads;  // TABLE=FILE: rows put into TABLE before the job starts
  std::string keep;  // a directory that keeps each run's data and logs
};

// A loopback port nobody listens on now.
absl::StatusOr<uint16_t> free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("cannot open a socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    return absl::InternalError("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string self_binary() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// The jobs a script defines: each one's name, its SELECT, and the sink's name in the script.
struct job_definition {
  std::string name;
  sql::select_query query;
};
absl::StatusOr<std::vector<job_definition>> jobs_of(const std::string& text, const std::string& source) {
  auto statements = sql::parse_script(text);
  if (!statements.ok())
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", source, std::string(statements.status().message())));
  std::vector<job_definition> jobs;
  for (const auto& statement : *statements) {
    if (auto* stream = std::get_if<sql::create_stream>(&statement))
      jobs.push_back({ops::job_name(*stream), stream->query});
    else if (auto* insert = std::get_if<sql::insert_select>(&statement))
      jobs.push_back({ops::job_name(*insert), insert->query});
  }
  if (jobs.empty())
    return absl::InvalidArgumentError(fmt::format("{} defines no job (CREATE STREAM or INSERT INTO "
                                                  "... SELECT)",
                                                  source));
  return jobs;
}

// One run's cluster: its processes, started from this binary, each logging to its own file. On
// loopback, or over `net`'s hosts: the store and the coordinator on host 1, the workers on the
// others in turn, every process and command with a key made for the run (beyond loopback, no
// process listens without one).
class cluster {
 public:
  static absl::StatusOr<std::unique_ptr<cluster>> create(const std::filesystem::path& dir,
                                                         const chaos::network* net) {
    auto c = std::unique_ptr<cluster>(new cluster(dir, net));
    if (net) {
      c->store_ = net->address(1) + ":7400";
      c->coordinator_ = net->address(1) + ":7401";
      const auto key = dir / "sluice.key";
      std::random_device random;
      std::ofstream(key) << fmt::format("{:08x}{:08x}{:08x}{:08x}\n", random(), random(),
                                        random(), random());
      std::filesystem::permissions(key, std::filesystem::perms::owner_read |
                                            std::filesystem::perms::owner_write);
      c->key_ = key.string();
      return c;
    }
    SLUICE_ASSIGN_OR_RETURN(auto store_port, free_port());
    SLUICE_ASSIGN_OR_RETURN(auto coordinator_port, free_port());
    c->store_ = fmt::format("127.0.0.1:{}", store_port);
    c->coordinator_ = fmt::format("127.0.0.1:{}", coordinator_port);
    return c;
  }
  ~cluster() { stop(); }

  const std::string& store() const { return store_; }
  const std::string& coordinator() const { return coordinator_; }
  size_t workers() const { return workers_.size(); }
  // The host worker `index` runs on (1 on loopback).
  uint32_t worker_host(size_t index) const {
    if (!net_ || net_->hosts() == 1) return 1;
    return 2 + static_cast<uint32_t>(index % (net_->hosts() - 1));
  }

  // `sluice ARGS` as this machine runs it, with the run's key if it has one.
  std::vector<std::string> command(std::vector<std::string> args) const {
    args.insert(args.begin(), binary_);
    if (!key_.empty()) args.insert(args.end(), {"--secret-file", key_});
    return args;
  }
  const std::string& key() const { return key_; }

  absl::Status start_store() {
    SLUICE_ASSIGN_OR_RETURN(store_process_,
                            start_on(1, {"store", "--data", (dir_ / "data").string(), "--listen",
                                         store_, "--http", "off"},
                                     "store.log"));
    return absl::OkStatus();
  }
  absl::Status start_coordinator() {
    SLUICE_ASSIGN_OR_RETURN(coordinator_process_,
                            start_on(1, {"coordinator", "--store", store_, "--listen",
                                         coordinator_, "--http", "off"},
                                     "coordinator.log"));
    return absl::OkStatus();
  }
  absl::Status start_worker(size_t index) {
    if (index >= workers_.size()) workers_.resize(index + 1);
    const uint32_t host = worker_host(index);
    SLUICE_ASSIGN_OR_RETURN(
        workers_[index],
        start_on(host, {"worker", "--coordinator", coordinator_, "--listen",
                        (net_ ? net_->address(host) : "127.0.0.1") + ":0", "--name",
                        fmt::format("w{}", index + 1)},
                 fmt::format("worker{}.log", index + 1)));
    return absl::OkStatus();
  }
  chaos::process& store_process() { return *store_process_; }
  chaos::process& coordinator_process() { return *coordinator_process_; }
  chaos::process& worker(size_t index) { return *workers_[index]; }

  // `sluice ARGS`, which must succeed within `timeout`; what it printed.
  absl::StatusOr<std::string> sluice(std::vector<std::string> args, std::chrono::seconds timeout,
                                     const std::filesystem::path& input = {}) const {
    const std::string name = args.front();
    std::string output;
    SLUICE_ASSIGN_OR_RETURN(int code, chaos::run_command(command(std::move(args)), timeout,
                                                         dir_ / "commands.log", &output, input));
    if (code != 0)
      return absl::InternalError(fmt::format("sluice {} exited with {}: {}", name, code, output));
    return output;
  }

  // The coordinator's listing, or nothing while it does not answer.
  std::optional<json> listing() const {
    auto out = sluice({"jobs", "--coordinator", coordinator_, "--json"}, 5s);
    if (!out.ok()) return std::nullopt;
    auto parsed = json::parse(*out, nullptr, false);
    return parsed.is_discarded() ? std::nullopt : std::optional<json>(parsed);
  }

  // SIGTERM to every role (stopped ones continued first), then SIGKILL to what is left after
  // a few seconds.
  void stop() {
    auto terminate = [](const std::unique_ptr<chaos::process>& p) {
      if (!p) return;
      p->signal(SIGCONT);
      p->signal(SIGTERM);
    };
    for (auto& worker : workers_) terminate(worker);
    terminate(coordinator_process_);
    for (auto& worker : workers_)
      if (worker) worker->wait(5s);
    if (coordinator_process_) coordinator_process_->wait(5s);
    terminate(store_process_);
    if (store_process_) store_process_->wait(5s);
  }

 private:
  cluster(std::filesystem::path dir, const chaos::network* net)
      : dir_(std::move(dir)), net_(net), binary_(self_binary()) {}

  absl::StatusOr<std::unique_ptr<chaos::process>> start_on(uint32_t host,
                                                           std::vector<std::string> args,
                                                           const std::string& log) const {
    auto argv = command(std::move(args));
    if (net_) {
      auto prefix = net_->prefix(host);
      argv.insert(argv.begin(), prefix.begin(), prefix.end());
    }
    return chaos::process::start(argv, dir_ / log);
  }

  std::filesystem::path dir_;
  const chaos::network* net_;
  std::string binary_;
  std::string key_;
  std::string store_, coordinator_;
  std::unique_ptr<chaos::process> store_process_, coordinator_process_;
  std::vector<std::unique_ptr<chaos::process>> workers_;
};

// Asks the coordinator for its listing on a thread of its own, so that a coordinator that is
// stopped or gone delays no fault.
class progress_monitor {
 public:
  progress_monitor(const cluster& c, std::vector<std::string> jobs)
      : log_(std::move(jobs)), thread_([this, &c] {
          while (!stop_) {
            const auto asked = chaos::progress_log::clock::now();
            if (auto listing = c.listing()) {
              std::lock_guard lock(mu_);
              log_.observe(asked, *listing);
            }
            std::this_thread::sleep_for(50ms);
          }
        }) {}
  ~progress_monitor() {
    stop_ = true;
    thread_.join();
  }
  std::optional<chaos::progress_log::clock::time_point> resumed(
      chaos::progress_log::clock::time_point t) const {
    std::lock_guard lock(mu_);
    return log_.resumed(t);
  }

 private:
  mutable std::mutex mu_;
  chaos::progress_log log_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// --load's TABLE=FILE pairs (checked when parsed).
std::vector<std::pair<std::string, std::string>> loads_of(const chaos_options& options) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& load : options.loads) {
    const auto eq = load.find('=');
    out.emplace_back(load.substr(0, eq), load.substr(eq + 1));
  }
  return out;
}

// What one run found.
struct run_report {
  bool exact = true;
  std::map<chaos::fault_kind, int> faults;
  std::vector<double> resume_seconds;    // from each fault's beginning
  std::vector<double> resume_after_end;  // from its end
};

// Updates and deletes of `count` orders among the first `written` of the generated ones, as
// JSON lines for `sluice put`.
std::string changes_of(const std::vector<json>& orders, size_t written, size_t count,
                       std::mt19937_64& random) {
  std::string out;
  for (size_t i = 0; i < count && written > 0; ++i) {
    json order = orders[random() % std::min(written, orders.size())];
    if (random() % 3 == 0) {
      out += json({{"_op", "delete"}, {"UserId", order["UserId"]}, {"OrderId", order["OrderId"]}})
                 .dump() +
             "\n";
    } else {
      order["price"] = std::round(order["price"].get<double>() * 75) / 100;
      out += order.dump() + "\n";
    }
  }
  return out;
}

absl::StatusOr<run_report> chaos_run(const chaos_options& options, chaos::network* net,
                                     uint32_t index, uint64_t seed,
                                     const std::vector<chaos::fault_kind>& kinds,
                                     const std::string& job_text,
                                     const std::vector<job_definition>& jobs) {
  run_report report;
  const auto base = options.keep.empty() ? std::filesystem::temp_directory_path()
                                         : std::filesystem::path(options.keep);
  const auto dir = base / fmt::format("sluice-chaos-{}-{}-{}", ::getpid(), index, seed);
  std::filesystem::create_directories(dir);
  SLUICE_ASSIGN_OR_RETURN(auto c, cluster::create(dir, net));
  SLUICE_RETURN_IF_ERROR(c->start_store());
  SLUICE_RETURN_IF_ERROR(c->start_coordinator());
  for (uint32_t w = 0; w < options.workers; ++w) SLUICE_RETURN_IF_ERROR(c->start_worker(w));
  for (auto deadline = std::chrono::steady_clock::now() + 30s;;) {
    auto listed = c->listing();
    if (listed && (*listed)["workers"].size() == options.workers) break;
    if (std::chrono::steady_clock::now() > deadline)
      return absl::DeadlineExceededError(fmt::format("the cluster's {} workers did not register "
                                                     "within 30 s (logs in {})",
                                                     options.workers, dir.string()));
    std::this_thread::sleep_for(200ms);
  }
  const auto schema_file = dir / "schema.sql";
  if (options.schema.empty()) std::ofstream(schema_file) << orders_schema;
  SLUICE_RETURN_IF_ERROR(c->sluice({"sql", "--store", c->store(),
                                    options.schema.empty() ? schema_file.string() : options.schema},
                                   60s)
                             .status());
  for (const auto& [table, file] : loads_of(options)) {
    SLUICE_RETURN_IF_ERROR(c->sluice({"put", table, "--store", c->store(), "--format",
                                      file.ends_with(".csv") ? "csv" : "jsonl"},
                                     120s, file)
                               .status());
  }
  const auto job_file = dir / "job.sql";
  std::ofstream(job_file) << job_text;
  SLUICE_RETURN_IF_ERROR(c->sluice({"sql", "--coordinator", c->coordinator(), job_file.string()}, 60s).status());
  SLUICE_ASSIGN_OR_RETURN(auto listed_jobs, [&]() -> absl::StatusOr<json> {
    auto listed = c->listing();
    if (!listed) return absl::UnavailableError("the coordinator does not answer");
    return *listed;
  }());
  std::map<std::string, json> listed;
  for (const auto& job : listed_jobs["jobs"]) listed[job["name"]] = job;
  for (const auto& job : jobs) {
    if (!listed.contains(job.name))
      return absl::InternalError(fmt::format("the coordinator does not list job {}", job.name));
  }
  // The orders go to the table the script's first job reads first.
  const std::string source = listed[jobs.front().name]["inputs"][0];

  // The load: generated orders at the rate for the duration (or the user's rows), and their
  // changes during faults.
  const double seconds = std::max(2.0, options.duration - 2);
  const auto rows = static_cast<uint64_t>(options.rate * seconds);
  std::vector<json> orders;
  std::unique_ptr<chaos::process> load;
  if (options.input.empty()) {
    const std::vector<std::string> generated = {
        "--rows",  std::to_string(rows), "--users",       std::to_string(options.users),
        "--seed",  std::to_string(seed), "--disorder-ms", "3000"};
    std::vector<std::string> gen = {"gen",  "--store", c->store(), "--table",
                                    source, "--rate",  fmt::format("{}", options.rate)};
    gen.insert(gen.end(), generated.begin(), generated.end());
    std::vector<std::string> listing = {"gen", "--stdout"};
    listing.insert(listing.end(), generated.begin(), generated.end());
    SLUICE_ASSIGN_OR_RETURN(auto text, c->sluice(listing, 120s));
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty() && line.front() == '{') orders.push_back(json::parse(line));
    SLUICE_ASSIGN_OR_RETURN(load, chaos::process::start(c->command(gen), dir / "load.log"));
  } else {
    SLUICE_ASSIGN_OR_RETURN(load, chaos::process::start(
                                      c->command({"put", source, "--store", c->store(), "--format",
                                                  options.input.ends_with(".csv") ? "csv" : "jsonl"}),
                                      dir / "load.log", options.input));
  }
  const auto started = std::chrono::steady_clock::now();

  chaos::schedule_options drawn;
  drawn.seed = seed;
  drawn.kinds = kinds;
  drawn.workers = options.workers;
  drawn.duration = std::chrono::milliseconds(static_cast<int64_t>(options.duration * 1000));
  const auto schedule = chaos::draw_schedule(drawn);
  std::cout << fmt::format("run {} of {}, seed {}: {} faults\n", index + 1, options.runs, seed,
                           schedule.size())
            << std::flush;
  std::mt19937_64 random(seed);
  // Stopped before the run's directory is removed: it writes its commands' log there.
  std::optional<progress_monitor> monitor;
  std::vector<std::string> names;
  for (const auto& job : jobs) names.push_back(job.name);
  monitor.emplace(*c, names);
  for (const auto& f : schedule) {
    std::this_thread::sleep_until(started + f.at);
    const auto injected = chaos::progress_log::clock::now();
    ++report.faults[f.kind];
    std::unique_ptr<chaos::process> changes;
    if (f.changes && !orders.empty()) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const auto written = static_cast<size_t>(std::min<double>(orders.size(), elapsed * options.rate));
      const auto file = dir / fmt::format("changes-{}.jsonl", f.at.count());
      std::ofstream(file) << changes_of(orders, written, 200, random);
      SLUICE_ASSIGN_OR_RETURN(
          changes, chaos::process::start(c->command({"put", source, "--store", c->store(),
                                                     "--format", "jsonl"}),
                                         dir / "changes.log", file));
    }
    switch (f.kind) {
      case chaos::fault_kind::kill_worker:
        c->worker(f.target).kill();
        std::this_thread::sleep_for(f.pause);
        SLUICE_RETURN_IF_ERROR(c->start_worker(f.target));
        break;
      case chaos::fault_kind::stop_worker:
        c->worker(f.target).signal(SIGSTOP);
        std::this_thread::sleep_for(f.pause);
        c->worker(f.target).signal(SIGCONT);
        break;
      case chaos::fault_kind::kill_coordinator:
        c->coordinator_process().kill();
        std::this_thread::sleep_for(f.pause);
        SLUICE_RETURN_IF_ERROR(c->start_coordinator());
        break;
      case chaos::fault_kind::stop_coordinator:
        c->coordinator_process().signal(SIGSTOP);
        std::this_thread::sleep_for(f.pause);
        c->coordinator_process().signal(SIGCONT);
        break;
      case chaos::fault_kind::kill_store:
        c->store_process().kill();
        std::this_thread::sleep_for(f.pause);
        SLUICE_RETURN_IF_ERROR(c->start_store());
        break;
      case chaos::fault_kind::join_worker:
        SLUICE_RETURN_IF_ERROR(c->start_worker(c->workers()));
        break;
      case chaos::fault_kind::partition:
        SLUICE_RETURN_IF_ERROR(net->cut(c->worker_host(f.target)));
        std::this_thread::sleep_for(f.pause);
        SLUICE_RETURN_IF_ERROR(net->mend(c->worker_host(f.target)));
        break;
      case chaos::fault_kind::slow_link:
        SLUICE_RETURN_IF_ERROR(net->slow(c->worker_host(f.target)));
        std::this_thread::sleep_for(f.pause);
        SLUICE_RETURN_IF_ERROR(net->speed_up(c->worker_host(f.target)));
        break;
    }
    // Resumed: every job has completed a checkpoint begun after the fault began, counted from
    // when it began and from when it ended (the process back or going on).
    const auto ended = chaos::progress_log::clock::now();
    std::optional<chaos::progress_log::clock::time_point> resumed;
    while (!resumed && chaos::progress_log::clock::now() - injected < 60s) {
      resumed = monitor->resumed(injected);
      if (!resumed) std::this_thread::sleep_for(50ms);
    }
    if (changes && changes->wait(60s) != 0)
      return absl::InternalError(fmt::format("updating orders failed (logs in {})", dir.string()));
    const double after_begin =
        resumed ? std::chrono::duration<double>(*resumed - injected).count() : 0;
    const double after_end =
        resumed ? std::max(0.0, std::chrono::duration<double>(*resumed - ended).count()) : 0;
    std::cout << fmt::format("  {}: {}\n", chaos::describe(f),
                             resumed ? fmt::format("progress {:.2f} s after it began, {:.2f} s "
                                                   "after it ended",
                                                   after_begin, after_end)
                                     : std::string("no progress within 60 s"))
              << std::flush;
    if (resumed) {
      report.resume_seconds.push_back(after_begin);
      report.resume_after_end.push_back(after_end);
    } else {
      report.exact = false;
    }
  }
  if (int code = load->wait(std::chrono::seconds(static_cast<int64_t>(seconds) + 120)); code != 0)
    return absl::InternalError(fmt::format("loading orders failed with {} (logs in {})", code,
                                           dir.string()));

  // Caught up, then every sink compared with the recomputation from the source as it stands.
  store_location where;
  where.address = c->store();
  where.credentials.secret_file = c->key();
  SLUICE_ASSIGN_OR_RETURN(auto db, connect_store(where, /*read_only=*/true));
  auto scan = [&](const table_schema& table) -> absl::StatusOr<chaos::rows> {
    chaos::rows out;
    SLUICE_RETURN_IF_ERROR(db->scan(table, [&](std::span<const value> row) {
      out.emplace_back(row.begin(), row.end());
      return absl::OkStatus();
    }));
    return out;
  };
  for (const auto& job : jobs) {
    SLUICE_RETURN_IF_ERROR(c->sluice({"jobs", "wait", job.name, "--caught-up", "--coordinator",
                                      c->coordinator(), "--timeout", "180"},
                                     200s)
                               .status());
  }
  // A job that reads an earlier job's sink (a layer) is recomputed from that job's recomputed
  // rows, not from its sink, so that nothing of Sluice's output takes part.
  std::map<std::string, chaos::rows> recomputed;  // by sink
  for (const auto& job : jobs) {
    const std::string sink_name = listed[job.name]["sink"];
    SLUICE_ASSIGN_OR_RETURN(auto sink_table, db->find_table(sink_name));
    SLUICE_ASSIGN_OR_RETURN(auto recompute, chaos::recomputation::create(job.query));
    const auto& tables = listed[job.name]["inputs"];
    std::vector<std::shared_ptr<const table_schema>> schemas;
    std::vector<chaos::rows> scanned;
    scanned.reserve(tables.size());
    std::vector<chaos::table_rows> inputs;
    std::vector<std::string> read;
    for (const std::string name : tables) {
      SLUICE_ASSIGN_OR_RETURN(schemas.emplace_back(), db->find_table(name));
      const chaos::rows* content = nullptr;
      if (auto earlier = recomputed.find(name); earlier != recomputed.end()) {
        content = &earlier->second;
      } else {
        SLUICE_ASSIGN_OR_RETURN(scanned.emplace_back(), scan(*schemas.back()));
        content = &scanned.back();
      }
      inputs.push_back({schemas.back().get(), content});
      read.push_back(fmt::format("{} rows of {}", content->size(), name));
    }
    SLUICE_ASSIGN_OR_RETURN(auto expected, recompute.run(inputs));
    SLUICE_ASSIGN_OR_RETURN(auto sink_rows, scan(*sink_table));
    std::vector<size_t> key(sink_table->primary_key().begin(), sink_table->primary_key().end());
    auto differences = chaos::differences(sink_rows, expected, key);
    std::cout << fmt::format("  {} -> {}: {} rows from {}, {}\n", job.name, sink_name,
                             sink_rows.size(), absl::StrJoin(read, " and "),
                             differences.empty() ? "exact" : "NOT EXACT");
    for (const auto& line : differences) std::cout << "    " << line << "\n";
    report.exact &= differences.empty();
    recomputed[sink_name] = std::move(expected);
  }
  monitor.reset();
  c->stop();
  if (options.keep.empty() && report.exact) std::filesystem::remove_all(dir);
  else std::cout << fmt::format("  data and logs kept in {}\n", dir.string());
  return report;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto at = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, at ? at - 1 : 0)];
}

absl::Status run_chaos(const chaos_options& options) {
  std::ifstream in(options.job, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", options.job));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  SLUICE_ASSIGN_OR_RETURN(auto jobs, jobs_of(text, options.job));
  for (const auto& job : jobs) {
    // What the recomputation cannot evaluate is refused before any cluster starts.
    auto checked = chaos::recomputation::create(job.query);
    if (!checked.ok())
      return absl::Status(checked.status().code(),
                          fmt::format("{}: job {}: {}", options.job, job.name,
                                      std::string(checked.status().message())));
  }
  std::vector<chaos::fault_kind> kinds = chaos::all_faults();
  if (!options.faults.empty()) {
    SLUICE_ASSIGN_OR_RETURN(kinds, chaos::parse_faults(options.faults));
  }
  std::unique_ptr<chaos::network> net;
  const auto network_log = std::filesystem::temp_directory_path() /
                           fmt::format("sluice-chaos-{}-network.log", ::getpid());
  if (options.hosts > 1) {
    auto made = chaos::network::create(options.hosts, network_log);
    if (made.ok())
      net = std::move(*made);
    else
      std::cout << fmt::format("--hosts: {}; every role runs on loopback, without partitions or "
                               "slow links\n",
                               std::string(made.status().message()));
  }
  if (!net) {
    if (!options.faults.empty() && std::any_of(kinds.begin(), kinds.end(), chaos::is_network_fault))
      return absl::InvalidArgumentError(
          "partition and slow-link need hosts of their own: --hosts 2 or more, as root, on a "
          "machine that allows network namespaces");
    std::erase_if(kinds, chaos::is_network_fault);
  }
  const uint64_t seed = options.seed ? options.seed : std::random_device{}();
  uint32_t exact = 0;
  std::map<chaos::fault_kind, int> faults;
  std::vector<double> resumes, after_end;
  for (uint32_t run = 0; run < options.runs; ++run) {
    auto report = chaos_run(options, net.get(), run, seed + run, kinds, text, jobs);
    if (!report.ok()) {
      std::cout << fmt::format("run {} of {}, seed {}: {}\n", run + 1, options.runs, seed + run,
                               std::string(report.status().message()));
      continue;
    }
    exact += report->exact;
    for (const auto& [kind, n] : report->faults) faults[kind] += n;
    resumes.insert(resumes.end(), report->resume_seconds.begin(), report->resume_seconds.end());
    after_end.insert(after_end.end(), report->resume_after_end.begin(),
                     report->resume_after_end.end());
    std::cout << fmt::format("run {}: {}\n", run + 1, report->exact ? "exact" : "NOT EXACT")
              << std::flush;
  }
  std::vector<std::string> injected;
  for (const auto& [kind, n] : faults) injected.push_back(fmt::format("{} {}", chaos::fault_name(kind), n));
  std::cout << fmt::format("{} of {} runs exact (seed {}); faults: {}; progress after a fault "
                           "began p50 {:.2f} s, p99 {:.2f} s; after it ended p50 {:.2f} s, p99 "
                           "{:.2f} s\n",
                           exact, options.runs, seed,
                           injected.empty() ? "none" : absl::StrJoin(injected, ", "),
                           percentile(resumes, 0.5), percentile(resumes, 0.99),
                           percentile(after_end, 0.5), percentile(after_end, 0.99));
  net.reset();
  if (exact == options.runs) std::filesystem::remove(network_log);
  if (exact != options.runs)
    return absl::DataLossError(fmt::format("{} of {} runs were not exact; replay one with --seed",
                                           options.runs - exact, options.runs));
  return absl::OkStatus();
}

}  // namespace

void add_chaos_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<chaos_options>();
  auto* command = app.add_subcommand(
      "chaos",
      "Test a job under faults: each run starts a cluster of its own (a store, a coordinator and "
      "workers, on loopback or, with --hosts H, over H hosts made of network namespaces), "
      "creates the tables (--schema, by default the seeds' order tables), "
      "submits JOB.sql, loads generated orders (or --input) while it runs, and injects faults "
      "drawn from the run's seed: kill-worker, stop-worker (SIGSTOP, then SIGCONT), "
      "kill-coordinator, stop-coordinator, kill-store (each started again after a pause) and "
      "join-worker, and with --hosts partition (a worker's host cut off the others, then joined "
      "again) and slow-link (its link throttled to 4 Mbit/s each way), some with updates and deletes of orders "
      "coming meanwhile. It prints each "
      "fault and how long after it the jobs completed a checkpoint again. At the end every result "
      "table must equal the job's SELECT recomputed by SQLite from the tables it reads as they "
      "then stand (a job that reads another's result, from that one's recomputation); the first "
      "differing rows are printed. The same seed replays the same schedule. "
      "Exit code 0 only if every run was exact.\n"
      "Example: sluice chaos --runs 20 --seed 7 examples/sql/seed_10s_window.sql");
  command->add_option("job", options->job, "the job's script")->required()->type_name("JOB.sql");
  command->add_option("--runs", options->runs, "runs, each with its own seed (seed, seed + 1, ...)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--seed", options->seed, "the first run's seed (default: drawn and printed)");
  command->add_option("--workers", options->workers, "workers at the start")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--hosts", options->hosts,
                      "hosts the roles are spread over: network namespaces joined by a bridge "
                      "(store and coordinator on the first, workers on the others; needs root "
                      "and the ip and tc commands, else every role runs on loopback)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--faults", options->faults,
                      "the faults to draw from, comma-separated (default: all)");
  command->add_option("--duration", options->duration, "seconds of load and faults per run")
      ->capture_default_str()
      ->check(CLI::Range(5.0, 3600.0));
  command->add_option("--rate", options->rate, "generated orders per second")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--users", options->users, "distinct users of the generated orders")
      ->capture_default_str();
  command->add_option("--schema", options->schema, "the tables to create (default: the seeds' "
                                                   "order tables)")
      ->check(CLI::ExistingFile);
  command->add_option("--input", options->input, "rows to load instead of generated orders "
                                                 "(JSON lines, or CSV by its .csv name)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--load", options->loads,
                   "rows put into a table before the job starts, for a table the job joins "
                   "(JSON lines, or CSV by its .csv name); repeat for more tables")
      ->type_name("TABLE=FILE")
      ->check([](const std::string& load) -> std::string {
        const auto eq = load.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == load.size())
          return fmt::format("'{}' is not TABLE=FILE", load);
        if (!std::filesystem::is_regular_file(load.substr(eq + 1)))
          return fmt::format("no file {}", load.substr(eq + 1));
        return "";
      });
  command->add_option("--keep", options->keep, "keep every run's data and logs under this directory "
                                               "(by default only a failed run's are kept)");
  command->callback([options, &exit_code] { exit_code = report("chaos", run_chaos(*options)); });
}

}  // namespace sluice::cli

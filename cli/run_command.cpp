// `sluice run`: runs a script of statements in order, all roles in this process: catalog
// statements change the store, external tables and scans name things for the script, batch jobs
// and queries run as they come (ops::run_script), and each stream (CREATE STREAM, or an INSERT
// that streams in the script's dialect) then starts a coordinator with its sources and
// reducers. It then shows progress every second until every job has ended: on Ctrl-C (after a
// final checkpoint), or with --until-drained once each job has read what its channels held at
// its start and recorded a checkpoint after that.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include "cdc/follower_set.hpp"
#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "cli/http_api.hpp"
#include "coordinator/job_actor.hpp"
#include "coordinator/job_listing.hpp"
#include "examples/order_loader.hpp"
#include "operators/script.hpp"
#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"
#include "worker/worker_actor.hpp"

namespace sluice::cli {
namespace {

struct run_options {
  std::string data;
  script_input script;
  uint32_t workers = 2;
  bool until_drained = false;
  double gen_rate = 0;  // orders per second written into OrderSource while jobs run
  uint64_t gen_users = 10000;
  std::string format = "table";  // of SELECT results
  http_option http;
  std::string secret_file;  // the key HTTP clients must give
};

// The jobs of the stage that runs, for GET /api/jobs and /metrics (HTTP threads read it).
struct job_board {
  std::mutex mu;
  std::vector<std::pair<std::string, caf::actor>> jobs;
  std::vector<caf::actor> workers;  // named "worker N" in listings
};

absl::StatusOr<nlohmann::json> listing_of(caf::actor_system& system, job_board& board) {
  std::vector<std::pair<std::string, caf::actor>> jobs;
  std::vector<caf::actor> workers;
  {
    std::lock_guard lock(board.mu);
    jobs = board.jobs;
    workers = board.workers;
  }
  auto worker_name = [&workers](const caf::actor& worker) {
    auto at = std::find(workers.begin(), workers.end(), worker);
    return fmt::format("worker {}", at - workers.begin() + 1);
  };
  nlohmann::json listing = {{"jobs", nlohmann::json::array()}};
  caf::scoped_actor self{system};
  for (const auto& [name, actor] : jobs)
    self->request(actor, std::chrono::seconds(5), msg::status_atom::value)
        .receive(
            [&](const coordinator::job_status& status) {
              listing["jobs"].push_back(coordinator::job_entry(name, status, worker_name));
            },
            [&](caf::error&) {
              listing["jobs"].push_back({{"name", name}, {"state", "ended"}});
            });
  return listing;
}

struct running_job {
  std::string name;
  caf::actor actor;
  bool ended = false;
};

std::string describe(const coordinator::job_status& status) {
  return fmt::format("{} rows in, {:.0f} rows/s, lag {}, checkpoint {}{}{}", status.rows,
                     status.rows_per_second,
                     std::accumulate(status.lag.begin(), status.lag.end(), uint64_t{0}),
                     status.last_checkpoint,
                     status.last_checkpoint ? fmt::format(" ({:.0f} ms)", status.last_checkpoint_ms)
                                            : std::string(),
                     status.late ? fmt::format(", {} late rows not applied", status.late)
                                 : std::string());
}

// Waits for the jobs to end, with a progress line each second; `self` is the jobs' listener.
absl::Status run_jobs(caf::actor_system& system, caf::scoped_actor& self,
                      std::vector<running_job>& jobs) {
  for (auto& job : jobs) self->monitor(job.actor);
  size_t running = jobs.size();
  bool stop_sent = false;
  auto last = std::chrono::steady_clock::now();
  absl::Status result;
  while (running > 0) {
    self->receive(
        [&](msg::done_atom, const coordinator::job_summary& summary) {
          for (auto& job : jobs)
            if (job.actor.address() == self->current_sender())
              std::cout << fmt::format(
                  "job {}: {} rows in {:.2f} s ({:.0f} rows/s), {} checkpoints (mean {:.0f} ms, "
                  "longest {:.0f} ms, p50 {:.0f} ms, p99 {:.0f} ms){}\n",
                  job.name, summary.rows, summary.seconds,
                  summary.rows / std::max(summary.seconds, 1e-9), summary.checkpoints,
                  summary.mean_checkpoint_ms, summary.max_checkpoint_ms,
                  summary.p50_checkpoint_ms, summary.p99_checkpoint_ms,
                  summary.late ? fmt::format(", {} late rows not applied", summary.late) : "");
        },
        [&](caf::down_msg& down) {
          for (auto& job : jobs) {
            if (job.ended || job.actor.address() != down.source) continue;
            job.ended = true;
            --running;
            if (down.reason && down.reason != caf::exit_reason::user_shutdown && result.ok())
              result = absl::AbortedError(
                  fmt::format("job {}: {}", job.name, cli::describe(system, down.reason)));
          }
        },
        caf::after(std::chrono::milliseconds(200)) >> [] {});
    if (stop_requested && !stop_sent) {
      stop_sent = true;
      std::cerr << "\nstopping: taking a final checkpoint\n";
      for (auto& job : jobs)
        if (!job.ended) self->send(job.actor, msg::stop_atom::value);
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(1)) continue;
    last = now;
    for (size_t j = 0; j < jobs.size(); ++j) {
      if (jobs[j].ended) continue;
      self->request(jobs[j].actor, std::chrono::seconds(5), msg::status_atom::value)
          .receive(
              [&](const coordinator::job_status& status) {
                std::cerr << fmt::format("{}: {}\n", jobs[j].name, describe(status));
              },
              [&](caf::error&) {});
    }
  }
  return result;
}

// The scripts run in order, each in its own dialect, as one: their outputs, streams, mirrors and
// undo together, and each stream's own script text (its definition, see ops::plan_from_script).
// A script that fails also drops what the scripts before it created.
struct scripts_result {
  ops::script_result all;
  std::vector<std::string> job_texts;
};
absl::StatusOr<scripts_result> run_scripts(const std::vector<script_text>& scripts,
                                           store::api& db, const ops::script_options& options) {
  scripts_result out;
  for (const auto& [text, source] : scripts) {
    auto done = ops::run_script(text, source, db, options);
    if (!done.ok()) {
      if (out.all.undo.empty()) return done.status();
      bool undone = db.apply_catalog(out.all.undo).ok();
      return absl::Status(done.status().code(),
                          fmt::format("{}; {} what the scripts before it created",
                                      std::string(done.status().message()),
                                      undone ? "dropped" : "failed to drop"));
    }
    out.all.output += done->output;
    for (auto& job : done->jobs) {
      out.all.jobs.push_back(std::move(job));
      out.job_texts.push_back(text);
    }
    out.all.undo.insert(out.all.undo.begin(), done->undo.begin(), done->undo.end());
    auto& links = out.all.links;
    links.mysql_sources.insert(links.mysql_sources.end(), done->links.mysql_sources.begin(),
                               done->links.mysql_sources.end());
    links.postgres_sinks.insert(links.postgres_sinks.end(), done->links.postgres_sinks.begin(),
                                done->links.postgres_sinks.end());
  }
  return out;
}

absl::Status run(const run_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto scripts, read_scripts(options.script));
  SLUICE_ASSIGN_OR_RETURN(auto db, open_store(options.data, /*read_only=*/false));
  // Every statement runs and every job is planned before any job starts.
  ops::script_options script_options;
  script_options.readers = options.workers;
  SLUICE_ASSIGN_OR_RETURN(script_options.format, format::parse_output_format(options.format));
  SLUICE_ASSIGN_OR_RETURN(auto ran, run_scripts(scripts, *db, script_options));
  const auto& script = ran.all;

  caf::actor_system_config config;
  configure_actors(config, options.workers);
  caf::actor_system system{config};
  caf::scoped_actor listener{system};
  job_board board;
  // Served while streams run (a script of batch jobs and queries has ended by now).
  std::unique_ptr<http::server> http;
  if (!script.jobs.empty()) {
    SLUICE_ASSIGN_OR_RETURN(auto secret, read_secret(options.secret_file));
    SLUICE_ASSIGN_OR_RETURN(
        http, serve_http(options.http,
                         {[&system, &board] { return listing_of(system, board); }, db.get()},
                         secret));
  }
  std::cout << script.output << std::flush;
  std::vector<caf::actor> workers;
  for (uint32_t w = 0; w < options.workers; ++w)
    workers.push_back(system.spawn(worker::worker_actor, static_cast<store::api*>(db.get()),
                                   std::string()));
  {
    std::lock_guard lock(board.mu);
    board.workers = workers;
  }
  install_stop_signals();
  std::thread generator;
  if (options.gen_rate > 0) {
    SLUICE_ASSIGN_OR_RETURN(auto orders, db->find_table("OrderSource"));
    examples::order_options generated;
    generated.seed = std::random_device{}();
    generated.start_ms = absl::ToUnixMillis(absl::Now());
    generated.events_per_second = static_cast<uint64_t>(std::max(1.0, options.gen_rate));
    generated.users = options.gen_users;
    SLUICE_ASSIGN_OR_RETURN(auto orders_generator, examples::order_generator::create(generated, *orders));
    generator = std::thread([&db, orders, orders_generator, rate = options.gen_rate] {
      auto loaded = examples::load_orders(*db, orders, orders_generator,
                                          {UINT64_MAX, rate, 4096, &stop_requested}, [](uint64_t) {});
      if (!loaded.ok())
        std::cerr << fmt::format("sluice run: generating orders: {}\n",
                                 std::string(loaded.status().message()));
    });
  }
  // The script's mysql-cdc tables: caught up first until drained, else followed while jobs run.
  // Its PostgreSQL tables: written while the jobs run, and up to the end of what they wrote.
  SLUICE_ASSIGN_OR_RETURN(auto followers,
                          cdc::followers_of(script.links, *db, [](std::string_view line) {
                            std::cerr << line << "\n";
                          }));
  for (auto& follower : followers) {
    auto checked = follower->check();
    if (!checked.ok() && !absl::IsUnavailable(checked)) {
      bool undone = db->apply_catalog(script.undo).ok();
      return absl::Status(checked.code(),
                          fmt::format("{}{}", std::string(checked.message()),
                                      undone ? "; the tables it created were dropped again" : ""));
    }
  }
  const size_t mirrors = script.links.mysql_sources.size();  // the first followers
  std::atomic<bool> jobs_ended{false};
  std::mutex follower_mu;
  absl::Status follower_status;
  std::vector<std::thread> follower_threads;
  for (size_t i = 0; i < followers.size(); ++i) {
    auto* follower = followers[i].get();
    if (i < mirrors && options.until_drained) {
      SLUICE_RETURN_IF_ERROR(follower->run(stop_requested, /*until_caught_up=*/true));
      std::cout << fmt::format("{} caught up with the binlog\n", follower->name());
      continue;
    }
    follower_threads.emplace_back([&, follower, until = i < mirrors ? &stop_requested : &jobs_ended] {
      auto status = follower->run(*until, /*until_caught_up=*/false);
      if (status.ok()) return;
      std::lock_guard lock(follower_mu);
      if (follower_status.ok()) follower_status = status;
      stop_requested = true;
    });
  }
  // Until drained, a job that reads what another writes (a layered pipeline) starts once that one
  // has ended, so that it drains what it wrote; streams without an end all run at once.
  std::vector<size_t> stage(script.jobs.size(), 0);
  if (options.until_drained) {
    auto reads = [](const ops::job_plan& plan, const table_schema& table) {
      return plan.source.table->id() == table.id() ||
             (plan.join && plan.join->right.table->id() == table.id());
    };
    for (size_t pass = 0; pass < script.jobs.size(); ++pass)
      for (size_t j = 0; j < script.jobs.size(); ++j)
        for (size_t u = 0; u < script.jobs.size(); ++u)
          if (u != j && reads(*script.jobs[j], *script.jobs[u]->sink))
            stage[j] = std::max(stage[j], std::min(stage[u] + 1, script.jobs.size()));
  }
  absl::Status status;
  for (size_t current = 0; status.ok() && current <= script.jobs.size(); ++current) {
    std::vector<running_job> jobs;
    for (size_t j = 0; j < script.jobs.size(); ++j) {
      if (stage[j] != current) continue;
      const auto& plan = script.jobs[j];
      coordinator::job_config job;
      job.plan = plan;
      job.script = ran.job_texts[j];
      job.db = db.get();
      job.workers = workers;
      job.until_drained = options.until_drained;
      job.listener = caf::actor_cast<caf::actor>(listener);
      std::cout << fmt::format("job {}: {} -> {}, checkpoints at {}\n", plan->name,
                               ops::input_names(*plan), plan->sink->name(),
                               plan->options.checkpoint_location);
      jobs.push_back({plan->name, system.spawn(coordinator::job_actor, std::move(job))});
    }
    {
      std::lock_guard lock(board.mu);
      board.jobs.clear();
      for (const auto& job : jobs) board.jobs.emplace_back(job.name, job.actor);
    }
    if (!jobs.empty()) status = run_jobs(system, listener, jobs);
    if (stop_requested) break;
  }
  stop_requested = true;
  jobs_ended = true;
  if (generator.joinable()) generator.join();
  for (auto& thread : follower_threads) thread.join();
  if (status.ok()) status = follower_status;
  http.reset();  // its handlers reach the actors and the store
  for (auto& worker : workers) listener->send_exit(worker, caf::exit_reason::user_shutdown);
  if (status.ok() && !script.jobs.empty()) std::cout << "every job has ended\n";
  return status;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<run_options>();
  auto* command = app.add_subcommand(
      "run",
      "Run a SQL script in this process, statement by statement: DDL, external tables "
      "(CREATE TABLE x USING tablestore OPTIONS(table.name=...)) or Flink's tables (CREATE TABLE "
      "x (...) WITH (type='ots', tableName=...)), scans (CREATE SCAN v ON x USING STREAM), "
      "SELECT queries, batch jobs (in Spark's dialect, INSERT INTO|OVERWRITE sink SELECT ... "
      "FROM a table: run once over a snapshot) and streams (CREATE STREAM job "
      "OPTIONS(checkpointLocation=...) INSERT INTO sink SELECT ... GROUP BY "
      "window(to_timestamp(timestamp / 1000), \"10 seconds\"); in Flink's dialect every "
      "INSERT). A script of batch jobs and queries returns when they are done; streams run until "
      "Ctrl-C (a final checkpoint is taken) or, with --until-drained, until they have read their "
      "channels to the end they had at the start. A stream started again with the same "
      "checkpointLocation resumes from its last checkpoint. A Flink CDC table (CREATE TABLE x "
      "(...) WITH ('connector' = 'mysql-cdc', 'hostname' = ..., 'table-name' = ...)) is "
      "mirrored into the store table x while the jobs run: a snapshot, then the MySQL/MariaDB "
      "binlog (with --until-drained: up to the binlog's end, before the jobs start). A "
      "PostgreSQL table (CREATE TABLE x USING postgres OPTIONS(url='postgresql://host/db', "
      "table='t'), or Flink's 'connector' = 'jdbc') receives the store table x's rows as the jobs "
      "write them, upserted by key with deletes applied, exactly once across crashes. Several "
      "FILE.sql run one after another, each in its own dialect, and then all their streams "
      "together (a failing one drops what those before it created).\n"
      "Example: sluice run --until-drained examples/sql/seed_10s_window.sql");
  add_data_option(*command, options->data);
  add_script_options(*command, options->script);
  command->add_option("--workers", options->workers, "worker threads, and reducers per job")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  command->add_flag("--until-drained", options->until_drained,
                    "end each job once it has read what its channels held at its start");
  command->add_option("--format", options->format,
                      "how SELECT results print: table (aligned, as psql), csv or jsonl")
      ->capture_default_str();
  add_http_option(*command, options->http, 7480, "the run");
  add_secret_option(*command, options->secret_file);
  command->add_option("--gen-rate", options->gen_rate,
                      "also write generated orders into OrderSource at this many rows/s while "
                      "the jobs run (event time = wall-clock time; for demos)")
      ->check(CLI::PositiveNumber);
  command->add_option("--gen-users", options->gen_users, "distinct users of --gen-rate orders")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->callback([options, &exit_code] { exit_code = report("run", run(*options)); });
}

}  // namespace sluice::cli

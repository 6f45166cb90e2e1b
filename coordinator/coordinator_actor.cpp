#include "coordinator/coordinator_actor.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "coordinator/job_actor.hpp"
#include "coordinator/job_listing.hpp"
#include "operators/script.hpp"
#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"
#include "worker/store_io.hpp"

namespace sluice::coordinator {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<coordinator_state>*;
using worker::ask_store;
using worker::while_asking;

// How long `sluice jobs` waits for the jobs' progress.
constexpr auto status_timeout = std::chrono::seconds(10);

std::vector<caf::actor> workers_of(const coordinator_state& state) {
  std::vector<caf::actor> workers;
  for (const auto& m : state.members) workers.push_back(m.worker);
  return workers;
}

// The workers changed: every job learns the new members, and every worker its peers'
// addresses, to connect to them directly.
void tell_jobs(self_ptr self) {
  auto workers = workers_of(self->state);
  for (auto& [name, job] : self->state.jobs) self->send(job, workers_atom::value, workers);
  std::vector<std::string> addresses;
  for (const auto& m : self->state.members) addresses.push_back(m.address);
  for (const auto& m : self->state.members) self->send(m.worker, workers_atom::value, addresses);
}

void start_job(self_ptr self, std::shared_ptr<const ops::job_plan> plan, store::job_record record) {
  job_config config;
  config.plan = std::move(plan);
  config.script = record.script;
  config.db = self->state.config.db;
  config.workers = workers_of(self->state);
  config.record = std::move(record);
  auto name = config.plan->name;
  auto job = self->spawn(job_actor, std::move(config));
  self->monitor(job);
  self->state.jobs[name] = job;
}

// Jobs to start, each with its record in the store.
using job_starts = std::vector<std::pair<std::shared_ptr<const ops::job_plan>, store::job_record>>;

// Resumes the jobs recorded in the store and not stopped. The coordinator's other messages
// wait until the store has answered.
void resume_jobs(self_ptr self) {
  ask_store<while_asking::awaited>(
      self, self->state.io,
      [followers = self->state.config.followers](store::api& db) -> absl::StatusOr<job_starts> {
        SLUICE_ASSIGN_OR_RETURN(auto records, db.jobs());
        job_starts starts;
        for (auto& record : records) {
          if (record.stopped) continue;
          auto plan = ops::plan_from_script(record.script, record.name, db);
          auto links = ops::links_of(record.script, db);
          absl::Status followed = links.status();
          if (followed.ok() && followers) followed = followers->follow(*links);
          if (!plan.ok() || !followed.ok()) {
            std::cerr << fmt::format("coordinator: job {} cannot resume: {}\n", record.name,
                                     std::string((plan.ok() ? followed : plan.status()).message()));
            continue;
          }
          starts.emplace_back(*plan, std::move(record));
        }
        return starts;
      },
      [self](absl::StatusOr<job_starts> starts) {
        if (!starts.ok()) {
          std::cerr << fmt::format("coordinator: reading the jobs: {}\n",
                                   std::string(starts.status().message()));
          return;
        }
        for (auto& [plan, record] : *starts) {
          std::cerr << fmt::format("coordinator: resuming job {}\n", record.name);
          start_job(self, plan, std::move(record));
        }
      });
}

// What a submitted script did: the lines to answer, and the jobs to start.
struct submission {
  std::string out;
  job_starts jobs;
};

// The store's part of a submission (on the I/O actor): the script's catalog statements, its
// external tables followed, then a record of each of its jobs. A job named like one of
// `running`, or whose checkpoints belong to another computation, or a mysql-cdc table whose
// server refuses it, rejects the script (what it created is dropped again).
absl::StatusOr<submission> submit(store::api& db, cdc::follower_set* followers, const std::string& text,
                                  const std::string& source, const ops::script_options& options,
                                  const std::set<std::string>& running) {
  SLUICE_ASSIGN_OR_RETURN(auto script, ops::run_script(text, source, db, options));
  absl::Status rejected;
  std::set<std::string> names;
  for (const auto& plan : script.jobs) {
    if (!names.insert(plan->name).second) {
      rejected = absl::InvalidArgumentError(
          fmt::format("{}: two jobs are named {}", source, plan->name));
      break;
    }
    if (running.count(plan->name)) {
      rejected = absl::AlreadyExistsError(fmt::format(
          "{}: job {} is already running; stop it first (sluice jobs stop)", source, plan->name));
      break;
    }
    if (auto from = resume_point(*plan, db); !from.ok()) {
      rejected = absl::Status(
          from.status().code(),
          fmt::format("{}: job {}: {}", source, plan->name, std::string(from.status().message())));
      break;
    }
  }
  if (rejected.ok() && followers) {
    rejected = followers->follow(script.links);
    if (!rejected.ok())
      rejected = absl::Status(rejected.code(),
                              fmt::format("{}: {}", source, std::string(rejected.message())));
  }
  if (!rejected.ok()) {
    if (!script.undo.empty() && !db.apply_catalog(script.undo).ok())
      std::cerr << "coordinator: dropping the tables and tunnels of a rejected script failed\n";
    return rejected;
  }
  SLUICE_ASSIGN_OR_RETURN(auto records, db.jobs());
  submission done;
  done.out = std::move(script.output);
  for (const auto& plan : script.jobs) {
    store::job_record record;
    record.name = plan->name;
    record.script = text;
    record.submitted_ms = absl::ToUnixMillis(absl::Now());
    // Epochs only grow: a job submitted again goes on from its old record's epoch.
    for (const auto& old : records)
      if (old.name == plan->name) record.epoch = old.epoch;
    SLUICE_RETURN_IF_ERROR(db.put_job(record));
    done.out += fmt::format("job {} submitted: {} -> {}, checkpoints at {}\n", plan->name,
                            ops::input_names(*plan), plan->sink->name(),
                            plan->options.checkpoint_location);
    done.jobs.emplace_back(plan, std::move(record));
  }
  return done;
}

std::string name_of(const coordinator_state& state, const caf::actor& worker) {
  for (const auto& m : state.members)
    if (m.worker == worker) return m.name;
  return "(gone)";
}

nlohmann::json describe(const coordinator_state& state, const std::string& name,
                        const job_status& status) {
  return job_entry(name, status, [&](const caf::actor& worker) { return name_of(state, worker); });
}

// Answers `sluice jobs`: the workers, every running job's progress, and the stopped jobs.
void add_running_jobs(self_ptr self, std::shared_ptr<nlohmann::json> listing,
                      caf::typed_response_promise<std::string> reply);

caf::result<std::string> list_jobs(self_ptr self) {
  auto& state = self->state;
  auto listing = std::make_shared<nlohmann::json>();
  (*listing)["workers"] = nlohmann::json::array();
  for (const auto& m : state.members) (*listing)["workers"].push_back(m.name);
  (*listing)["jobs"] = nlohmann::json::array();
  // A response promise takes over the request: from here on, it alone answers.
  auto reply = self->make_response_promise<std::string>();
  ask_store(self, state.io, [](store::api& db) { return db.jobs(); },
            [self, listing, reply](absl::StatusOr<std::vector<store::job_record>> records) mutable {
              if (records.ok())
                for (const auto& record : *records)
                  if (record.stopped && !self->state.jobs.count(record.name))
                    (*listing)["jobs"].push_back(
                        {{"name", record.name}, {"state", "stopped"}, {"epoch", record.epoch}});
              add_running_jobs(self, listing, reply);
            });
  return reply;
}

// Adds every running job's progress to `listing`, then answers with it.
void add_running_jobs(self_ptr self, std::shared_ptr<nlohmann::json> listing,
                      caf::typed_response_promise<std::string> reply) {
  auto& state = self->state;
  if (state.jobs.empty()) {
    reply.deliver(listing->dump());
    return;
  }
  auto remaining = std::make_shared<size_t>(state.jobs.size());
  for (const auto& [name, job] : state.jobs) {
    auto done = [reply, listing, remaining]() mutable {
      if (--*remaining == 0) reply.deliver(listing->dump());
    };
    self->request(job, status_timeout, status_atom::value)
        .then(
            [self, name = name, listing, done](const job_status& status) mutable {
              (*listing)["jobs"].push_back(describe(self->state, name, status));
              done();
            },
            [name = name, listing, done](const caf::error&) mutable {
              (*listing)["jobs"].push_back({{"name", name}, {"state", "not answering"}});
              done();
            });
  }
}

caf::error no_such_job(const std::string& name) {
  return caf::make_error(caf::sec::runtime_error, fmt::format("no job {} is running", name));
}

}  // namespace

caf::behavior coordinator_actor(self_ptr self, coordinator_config config) {
  self->state.config = std::move(config);
  self->state.io = worker::spawn_store_io(self, self->state.config.db);
  self->set_down_handler([self](const caf::down_msg& down) {
    auto& state = self->state;
    for (auto it = state.members.begin(); it != state.members.end(); ++it) {
      if (it->worker.address() != down.source) continue;
      std::cerr << fmt::format("coordinator: worker {} lost ({} left)\n", it->name,
                               state.members.size() - 1);
      state.members.erase(it);
      return tell_jobs(self);
    }
    for (auto it = state.jobs.begin(); it != state.jobs.end(); ++it) {
      if (it->second.address() != down.source) continue;
      if (down.reason && down.reason != caf::exit_reason::user_shutdown)
        std::cerr << fmt::format("coordinator: job {} ended: {}\n", it->first,
                                 self->system().render(down.reason));
      state.jobs.erase(it);
      if (state.shutting_down && state.jobs.empty()) self->quit();
      return;
    }
  });
  resume_jobs(self);
  return {
      [self](register_atom) { return self->state.config.store_address; },
      [self](register_atom, const caf::actor& worker, const std::string& name,
             const std::string& address, uint64_t session) {
        auto& state = self->state;
        auto known = std::find_if(state.members.begin(), state.members.end(),
                                  [&](const member& m) { return m.worker == worker; });
        // The same registration sent again: the answer to the first was late or lost.
        if (known != state.members.end() && known->session == session) return ok_atom::value;
        if (known != state.members.end()) {
          // A worker registers again only after it lost its connection to this coordinator
          // (this process stopped for a while, say), and messages between them may have been
          // lost with it: its jobs see it leave and come back, and resume from their last
          // checkpoint rather than wait for an acknowledgement that will not come.
          std::cerr << fmt::format("coordinator: worker {} registered again after losing its "
                                   "connection\n",
                                   name);
          state.members.erase(known);
          tell_jobs(self);
        } else {
          self->monitor(worker);
        }
        state.members.push_back({worker, name, address, session});
        std::cerr << fmt::format("coordinator: worker {} joined ({} workers)\n", name,
                                 state.members.size());
        tell_jobs(self);
        return ok_atom::value;
      },
      [self](sql_atom, const std::string& text, const std::string& source,
             const std::string& format) -> caf::result<std::string> {
        if (self->state.shutting_down)
          return caf::make_error(caf::sec::runtime_error, "the coordinator is shutting down");
        ops::script_options options;
        auto output = format::parse_output_format(format);
        if (!output.ok()) return caf::make_error(caf::sec::runtime_error, std::string(output.status().message()));
        options.format = *output;
        std::set<std::string> running;
        for (const auto& [name, job] : self->state.jobs) running.insert(name);
        auto reply = self->make_response_promise<std::string>();
        // The coordinator's other messages wait until the store has taken the script.
        ask_store<while_asking::awaited>(
            self, self->state.io,
            [text, source, options, running = std::move(running),
             followers = self->state.config.followers](store::api& db) {
              return submit(db, followers, text, source, options, running);
            },
            [self, reply](absl::StatusOr<submission> done) mutable {
              if (!done.ok()) {
                reply.deliver(
                    caf::make_error(caf::sec::runtime_error, std::string(done.status().message())));
                return;
              }
              for (auto& [plan, record] : done->jobs) start_job(self, plan, std::move(record));
              reply.deliver(std::move(done->out));
            });
        return reply;
      },
      [self](shutdown_atom) {
        auto& state = self->state;
        state.shutting_down = true;
        for (auto& [name, job] : state.jobs) self->send(job, shutdown_atom::value);
        if (state.jobs.empty()) self->quit();
      },
      [self](jobs_atom) { return list_jobs(self); },
      [self](wait_atom, const std::string& name) -> caf::result<caf::message> {
        auto it = self->state.jobs.find(name);
        if (it == self->state.jobs.end()) return no_such_job(name);
        return self->delegate(it->second, wait_atom::value);
      },
      [self](stop_atom, const std::string& name) -> caf::result<caf::message> {
        auto it = self->state.jobs.find(name);
        if (it == self->state.jobs.end()) return no_such_job(name);
        return self->delegate(it->second, stop_atom::value);
      },
  };
}

}  // namespace sluice::coordinator

#include "coordinator/coordinator_actor.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "coordinator/job_actor.hpp"
#include "operators/script.hpp"
#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"

namespace sluice::coordinator {
namespace {

using namespace sluice::msg;
using self_ptr = caf::stateful_actor<coordinator_state>*;

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

// Resumes the jobs recorded in the store and not stopped.
void resume_jobs(self_ptr self) {
  auto& db = *self->state.config.db;
  auto records = db.jobs();
  if (!records.ok()) {
    std::cerr << fmt::format("coordinator: reading the jobs: {}\n",
                             std::string(records.status().message()));
    return;
  }
  for (auto& record : *records) {
    if (record.stopped) continue;
    auto plan = ops::plan_from_script(record.script, record.name, db);
    if (!plan.ok()) {
      std::cerr << fmt::format("coordinator: job {} cannot resume: {}\n", record.name,
                               std::string(plan.status().message()));
      continue;
    }
    std::cerr << fmt::format("coordinator: resuming job {}\n", record.name);
    start_job(self, *plan, std::move(record));
  }
}

// Runs a submitted script: its catalog statements, then its jobs, each recorded in the store
// and started. A job whose name is running, or whose checkpoints belong to another computation,
// rejects the script (what it created is dropped again).
absl::StatusOr<std::string> submit(self_ptr self, const std::string& text,
                                   const std::string& source) {
  auto& db = *self->state.config.db;
  SLUICE_ASSIGN_OR_RETURN(auto script, ops::run_script(text, source, db));
  absl::Status rejected;
  std::set<std::string> names;
  for (const auto& plan : script.jobs) {
    if (!names.insert(plan->name).second) {
      rejected = absl::InvalidArgumentError(
          fmt::format("{}: two jobs are named {}", source, plan->name));
      break;
    }
    if (self->state.jobs.count(plan->name)) {
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
  if (!rejected.ok()) {
    if (!script.undo.empty() && !db.apply_catalog(script.undo).ok())
      std::cerr << "coordinator: dropping the tables and tunnels of a rejected script failed\n";
    return rejected;
  }
  SLUICE_ASSIGN_OR_RETURN(auto records, db.jobs());
  std::string out;
  for (const auto& line : script.lines) out += line + "\n";
  for (const auto& plan : script.jobs) {
    store::job_record record;
    record.name = plan->name;
    record.script = text;
    record.submitted_ms = absl::ToUnixMillis(absl::Now());
    // Epochs only grow: a job submitted again goes on from its old record's epoch.
    for (const auto& old : records)
      if (old.name == plan->name) record.epoch = old.epoch;
    SLUICE_RETURN_IF_ERROR(db.put_job(record));
    out += fmt::format("job {} submitted: {} -> {}, checkpoints at {}\n", plan->name,
                       plan->source.table->name(), plan->sink->name(),
                       plan->options.checkpoint_location);
    start_job(self, plan, std::move(record));
  }
  return out;
}

std::string name_of(const coordinator_state& state, const caf::actor& worker) {
  for (const auto& m : state.members)
    if (m.worker == worker) return m.name;
  return "(gone)";
}

nlohmann::json describe(const coordinator_state& state, const std::string& name,
                        const job_status& status) {
  nlohmann::json shares = nlohmann::json::array();
  for (const auto& share : status.shares)
    shares.push_back({{"worker", name_of(state, share.worker)},
                      {"channels", share.channels},
                      {"key_groups", {share.first_group, share.end_group}}});
  return {{"name", name},
          {"state", status.state},
          {"epoch", status.epoch},
          {"shares", shares},
          {"rows", status.rows},
          {"rows_per_second", status.rows_per_second},
          {"lag", status.lag},
          {"late", status.late},
          {"last_checkpoint", status.last_checkpoint},
          {"last_checkpoint_ms", status.last_checkpoint_ms},
          {"last_checkpoint_unix_ms", status.last_checkpoint_unix_ms},
          {"reassignments", status.reassignments}};
}

// Answers `sluice jobs`: the workers, every running job's progress, and the stopped jobs.
caf::result<std::string> list_jobs(self_ptr self) {
  auto& state = self->state;
  auto listing = std::make_shared<nlohmann::json>();
  (*listing)["workers"] = nlohmann::json::array();
  for (const auto& m : state.members) (*listing)["workers"].push_back(m.name);
  (*listing)["jobs"] = nlohmann::json::array();
  if (auto records = state.config.db->jobs(); records.ok())
    for (const auto& record : *records)
      if (record.stopped && !state.jobs.count(record.name))
        (*listing)["jobs"].push_back(
            {{"name", record.name}, {"state", "stopped"}, {"epoch", record.epoch}});
  if (state.jobs.empty()) return listing->dump();
  // A response promise takes over the request: from here on, it alone answers.
  auto reply = self->make_response_promise<std::string>();
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
  return reply;
}

caf::error no_such_job(const std::string& name) {
  return caf::make_error(caf::sec::runtime_error, fmt::format("no job {} is running", name));
}

}  // namespace

caf::behavior coordinator_actor(self_ptr self, coordinator_config config) {
  self->state.config = std::move(config);
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
             const std::string& address) {
        auto& state = self->state;
        bool known = std::any_of(state.members.begin(), state.members.end(),
                                 [&](const member& m) { return m.worker == worker; });
        if (!known) {
          self->monitor(worker);
          state.members.push_back({worker, name, address});
          std::cerr << fmt::format("coordinator: worker {} joined ({} workers)\n", name,
                                   state.members.size());
          tell_jobs(self);
        }
        return ok_atom::value;
      },
      [self](sql_atom, const std::string& text,
             const std::string& source) -> caf::result<std::string> {
        if (self->state.shutting_down)
          return caf::make_error(caf::sec::runtime_error, "the coordinator is shutting down");
        auto done = submit(self, text, source);
        if (!done.ok())
          return caf::make_error(caf::sec::runtime_error, std::string(done.status().message()));
        return *done;
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

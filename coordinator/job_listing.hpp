// A job's entry in the listing `sluice jobs --json` prints and GET /api/jobs serves.
#pragma once

#include <caf/actor.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "coordinator/job_actor.hpp"

namespace sluice::coordinator {

// `worker_name` names the worker of each share (its --name, or its address).
nlohmann::json job_entry(const std::string& name, const job_status& status,
                         const std::function<std::string(const caf::actor&)>& worker_name);

}  // namespace sluice::coordinator

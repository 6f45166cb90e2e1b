#include "coordinator/job_listing.hpp"

namespace sluice::coordinator {

nlohmann::json job_entry(const std::string& name, const job_status& status,
                         const std::function<std::string(const caf::actor&)>& worker_name) {
  nlohmann::json shares = nlohmann::json::array();
  for (const auto& share : status.shares)
    shares.push_back({{"worker", worker_name(share.worker)},
                      {"channels", share.channels},
                      {"key_groups", {share.first_group, share.end_group}}});
  return {{"name", name},
          {"state", status.state},
          {"inputs", status.inputs},
          {"sink", status.sink},
          {"epoch", status.epoch},
          {"shares", shares},
          {"rows", status.rows},
          {"rows_per_second", status.rows_per_second},
          {"lag", status.lag},
          {"late", status.late},
          {"last_checkpoint", status.last_checkpoint},
          {"last_checkpoint_ms", status.last_checkpoint_ms},
          {"last_checkpoint_unix_ms", status.last_checkpoint_unix_ms},
          {"reassignments", status.reassignments},
          {"checkpoints", status.checkpoints},
          {"checkpoint_seconds", status.checkpoint_seconds},
          {"checkpoint_counts", status.checkpoint_counts},
          {"failures", status.failures},
          {"last_failure", status.last_failure}};
}

}  // namespace sluice::coordinator

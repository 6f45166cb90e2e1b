#include "coordinator/job_listing.hpp"

namespace sluice::coordinator {

nlohmann::json job_entry(const std::string& name, const job_status& status,
                         const std::function<std::string(const caf::actor&)>& worker_name) {
  nlohmann::json shares = nlohmann::json::array();
  for (const auto& share : status.shares)
    shares.push_back({{"worker", worker_name(share.worker)},
                      {"channels", share.channels},
                      {"key_groups", {share.first_group, share.end_group}}});
  nlohmann::json history = nlohmann::json::array();
  for (const auto& entry : status.history)
    history.push_back({{"id", entry.id}, {"ms", entry.ms}, {"bytes", entry.bytes},
                       {"unix_ms", entry.unix_ms}});
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
          {"last_failure", status.last_failure},
          {"checkpoints_failed", status.checkpoints_failed},
          {"last_checkpoint_bytes", status.last_checkpoint_bytes},
          {"history", history},
          {"sink_rows", status.sink_rows},
          {"store_writes", status.store_writes},
          {"store_write_seconds", status.store_write_seconds},
          {"store_write_counts", status.store_write_counts}};
}

}  // namespace sluice::coordinator

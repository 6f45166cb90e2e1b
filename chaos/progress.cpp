#include "chaos/progress.hpp"

#include <algorithm>

namespace sluice::chaos {

void progress_log::observe(clock::time_point asked, const nlohmann::json& listing) {
  size_t caught_up = 0;
  for (const auto& job : listing.value("jobs", nlohmann::json::array())) {
    const std::string name = job.value("name", "");
    if (std::find(jobs_.begin(), jobs_.end(), name) == jobs_.end()) continue;
    for (const auto& entry : job.value("history", nlohmann::json::array())) {
      const auto completed =
          clock::time_point(std::chrono::milliseconds(entry.value("unix_ms", int64_t{0})));
      const auto took = std::chrono::duration_cast<clock::duration>(
          std::chrono::duration<double, std::milli>(entry.value("ms", 0.0)));
      checkpoints_[name][entry.value("id", uint64_t{0})] = {completed - took, completed};
    }
    bool read_all = job.value("state", "") == "running";
    for (const auto& lag : job.value("lag", nlohmann::json::array()))
      read_all &= lag.get<uint64_t>() == 0;
    caught_up += read_all;
  }
  if (caught_up == jobs_.size()) caught_up_.push_back(asked);
}

std::optional<progress_log::clock::time_point> progress_log::resumed(clock::time_point t) const {
  // The last of the jobs' first checkpoints begun at or after t.
  std::optional<clock::time_point> checkpointed = t;
  for (const auto& name : jobs_) {
    std::optional<clock::time_point> first;
    if (auto it = checkpoints_.find(name); it != checkpoints_.end())
      for (const auto& [id, c] : it->second)
        if (c.began >= t && (!first || c.completed < *first)) first = c.completed;
    if (!first) {
      checkpointed.reset();
      break;
    }
    checkpointed = std::max(*checkpointed, *first);
  }
  // caught_up_ is in the order the listings were asked for.
  auto read_all = std::find_if(caught_up_.begin(), caught_up_.end(),
                               [&](clock::time_point at) { return at >= t; });
  if (read_all == caught_up_.end()) return checkpointed;
  return checkpointed ? std::min(*checkpointed, *read_all) : *read_all;
}

}  // namespace sluice::chaos

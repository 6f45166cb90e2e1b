// When the jobs of a chaos run made progress again after a fault, from the coordinator's
// listings (`sluice jobs --json`). A listing names each job's last complete checkpoints with
// when each began and completed, on the coordinator's clock (the same machine's), so the time of
// progress does not depend on how often, or how late, a listing was answered: a listing asked
// for just before a coordinator was stopped is answered only when it goes on.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::chaos {

class progress_log {
 public:
  using clock = std::chrono::system_clock;

  explicit progress_log(std::vector<std::string> jobs) : jobs_(std::move(jobs)) {}

  // A listing that was asked for at `asked`.
  void observe(clock::time_point asked, const nlohmann::json& listing);

  // When the jobs had resumed after a fault that began at `t`: every job had completed a
  // checkpoint that began at or after `t` (the last of these completions), or a listing asked
  // for at or after `t` showed every job running with nothing left to read (such a job takes
  // no checkpoints), whichever came first. Nothing while neither has been seen.
  std::optional<clock::time_point> resumed(clock::time_point t) const;

 private:
  struct checkpoint {
    clock::time_point began, completed;
  };
  std::vector<std::string> jobs_;
  std::map<std::string, std::map<uint64_t, checkpoint>> checkpoints_;  // by job, by id
  std::vector<clock::time_point> caught_up_;                           // when asked, in order
};

}  // namespace sluice::chaos

#include "chaos/schedule.hpp"

#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <fmt/format.h>

#include <random>

namespace sluice::chaos {

std::string_view fault_name(fault_kind kind) {
  switch (kind) {
    case fault_kind::kill_worker: return "kill-worker";
    case fault_kind::stop_worker: return "stop-worker";
    case fault_kind::kill_coordinator: return "kill-coordinator";
    case fault_kind::stop_coordinator: return "stop-coordinator";
    case fault_kind::kill_store: return "kill-store";
    case fault_kind::join_worker: return "join-worker";
    case fault_kind::partition: return "partition";
    case fault_kind::slow_link: return "slow-link";
  }
  return "?";
}

const std::vector<fault_kind>& all_faults() {
  static const std::vector<fault_kind> kinds = {
      fault_kind::kill_worker,      fault_kind::stop_worker, fault_kind::kill_coordinator,
      fault_kind::stop_coordinator, fault_kind::kill_store,  fault_kind::join_worker,
      fault_kind::partition,        fault_kind::slow_link};
  return kinds;
}

bool is_network_fault(fault_kind kind) {
  return kind == fault_kind::partition || kind == fault_kind::slow_link;
}

absl::StatusOr<std::vector<fault_kind>> parse_faults(std::string_view list) {
  std::vector<fault_kind> kinds;
  for (absl::string_view part : absl::StrSplit(absl::string_view(list.data(), list.size()), ',',
                                               absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    bool known = false;
    for (auto kind : all_faults())
      if (fault_name(kind) == std::string_view(part.data(), part.size())) {
        kinds.push_back(kind);
        known = true;
      }
    if (!known) {
      std::vector<std::string> names;
      for (auto kind : all_faults()) names.emplace_back(fault_name(kind));
      return absl::InvalidArgumentError(fmt::format("unknown fault '{}'; accepted: {}",
                                                    std::string(part), absl::StrJoin(names, ", ")));
    }
  }
  if (kinds.empty()) return absl::InvalidArgumentError("--faults names no fault");
  return kinds;
}

std::vector<fault> draw_schedule(const schedule_options& options) {
  std::mt19937_64 random(options.seed);
  auto between = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random);
  };
  // Each fault takes its pause and then up to 4 s for the cluster to resume and catch up.
  constexpr int64_t settle_ms = 4000;
  const int64_t end_ms = options.duration.count() - 1000;
  std::vector<fault> faults;
  int64_t at = between(1000, 2500);
  const int wanted = static_cast<int>(between(2, 5));
  for (int i = 0; i < wanted; ++i) {
    fault f;
    f.kind = options.kinds[between(0, static_cast<int64_t>(options.kinds.size()) - 1)];
    f.pause = std::chrono::milliseconds(f.kind == fault_kind::join_worker ? 0 : between(200, 2000));
    f.target = static_cast<uint32_t>(between(0, std::max<int64_t>(options.workers, 1) - 1));
    f.changes = between(0, 1) == 1;
    if (at + f.pause.count() > end_ms) break;
    f.at = std::chrono::milliseconds(at);
    faults.push_back(f);
    at += f.pause.count() + between(settle_ms / 2, settle_ms);
  }
  return faults;
}

std::string describe(const fault& f) {
  std::string target;
  if (f.kind == fault_kind::kill_worker || f.kind == fault_kind::stop_worker)
    target = fmt::format(" {}", f.target + 1);
  if (is_network_fault(f.kind)) target = fmt::format(" of worker {}'s host", f.target + 1);
  return fmt::format("at {:.1f} s: {}{}{}{}", f.at.count() / 1000.0, fault_name(f.kind), target,
                     f.pause.count() ? fmt::format(" for {:.1f} s", f.pause.count() / 1000.0) : "",
                     f.changes ? " (with updates and deletes)" : "");
}

}  // namespace sluice::chaos

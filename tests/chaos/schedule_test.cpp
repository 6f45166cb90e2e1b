#include "chaos/schedule.hpp"

#include <doctest/doctest.h>

namespace sluice::chaos {
namespace {

TEST_CASE("a schedule: the same seed draws the same faults, one at a time, within the duration") {
  schedule_options options;
  options.duration = std::chrono::seconds(30);
  options.workers = 3;
  bool differs = false;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    options.seed = seed;
    auto faults = draw_schedule(options);
    auto again = draw_schedule(options);
    REQUIRE(faults.size() == again.size());
    for (size_t i = 0; i < faults.size(); ++i) CHECK(describe(faults[i]) == describe(again[i]));
    CHECK(!faults.empty());
    for (size_t i = 0; i < faults.size(); ++i) {
      CHECK(faults[i].target < 3);
      CHECK(faults[i].at + faults[i].pause <= options.duration - std::chrono::seconds(1));
      if (i > 0) CHECK(faults[i].at >= faults[i - 1].at + faults[i - 1].pause);
    }
    options.seed = seed + 1000;
    differs |= describe(draw_schedule(options).front()) != describe(faults.front());
  }
  CHECK(differs);
}

TEST_CASE("a schedule draws only the faults asked for") {
  schedule_options options;
  options.kinds = *parse_faults("stop-worker, kill-store");
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    options.seed = seed;
    for (const auto& f : draw_schedule(options))
      CHECK((f.kind == fault_kind::stop_worker || f.kind == fault_kind::kill_store));
  }
  auto unknown = parse_faults("kill-worker,unplug");
  REQUIRE(!unknown.ok());
  CHECK(std::string(unknown.status().message()).find("unknown fault 'unplug'") != std::string::npos);
  CHECK(!parse_faults(" , ").ok());
  auto network = parse_faults("partition,slow-link");
  REQUIRE(network.ok());
  for (auto kind : *network) CHECK(is_network_fault(kind));
  CHECK_FALSE(is_network_fault(fault_kind::kill_worker));
}

}  // namespace
}  // namespace sluice::chaos

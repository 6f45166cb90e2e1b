#include "chaos/progress.hpp"

#include <doctest/doctest.h>

namespace sluice::chaos {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using clock = progress_log::clock;

const clock::time_point fault = clock::time_point(1'700'000'000'000ms);

int64_t unix_ms(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A job's entry of a listing: its complete checkpoints as {id, began, completed}.
json job(const std::string& name, std::vector<std::tuple<uint64_t, clock::time_point, clock::time_point>> done,
         uint64_t lag = 500) {
  json history = json::array();
  for (auto [id, began, completed] : done)
    history.push_back({{"id", id},
                       {"ms", std::chrono::duration<double, std::milli>(completed - began).count()},
                       {"unix_ms", unix_ms(completed)}});
  return {{"name", name}, {"state", "running"}, {"history", history}, {"lag", {0, lag}}};
}

TEST_CASE("progress: the checkpoint that counts began after the fault, whenever it was listed") {
  progress_log log({"a"});
  // In flight when the fault began: it completes after, but it does not count.
  log.observe(fault + 100ms, {{"jobs", {job("a", {{7, fault - 300ms, fault + 20ms}})}}});
  CHECK(!log.resumed(fault));
  // Listed late (a stopped coordinator answers when it goes on): the time is its completion.
  log.observe(fault + 5s, {{"jobs", {job("a", {{7, fault - 300ms, fault + 20ms},
                                              {8, fault + 1200ms, fault + 1210ms},
                                              {9, fault + 2200ms, fault + 2210ms}})}}});
  REQUIRE(log.resumed(fault));
  CHECK(*log.resumed(fault) == fault + 1210ms);
  CHECK(*log.resumed(fault - 1s) == fault + 20ms);
  CHECK(!log.resumed(fault + 3s));
}

TEST_CASE("progress: every job must have checkpointed, and the last of them counts") {
  progress_log log({"a", "b"});
  log.observe(fault + 2s, {{"jobs", {job("a", {{3, fault + 500ms, fault + 510ms}}),
                                     job("b", {{4, fault - 1s, fault - 990ms}}),
                                     job("other", {{5, fault + 100ms, fault + 110ms}})}}});
  CHECK(!log.resumed(fault));
  log.observe(fault + 3s, {{"jobs", {job("a", {{3, fault + 500ms, fault + 510ms}}),
                                     job("b", {{5, fault + 1500ms, fault + 1520ms}})}}});
  REQUIRE(log.resumed(fault));
  CHECK(*log.resumed(fault) == fault + 1520ms);
}

TEST_CASE("progress: jobs with nothing left to read have resumed when a listing asked after "
          "the fault shows them running") {
  progress_log log({"a"});
  log.observe(fault - 1s, {{"jobs", {job("a", {}, 0)}}});
  CHECK(!log.resumed(fault));
  auto waiting = job("a", {}, 0);
  waiting["state"] = "waiting for workers";
  log.observe(fault + 400ms, {{"jobs", {waiting}}});
  log.observe(fault + 600ms, {{"jobs", {job("a", {}, 10)}}});
  CHECK(!log.resumed(fault));
  log.observe(fault + 800ms, {{"jobs", {job("a", {}, 0)}}});
  REQUIRE(log.resumed(fault));
  CHECK(*log.resumed(fault) == fault + 800ms);
  // A checkpoint that completed earlier counts first.
  log.observe(fault + 900ms, {{"jobs", {job("a", {{2, fault + 100ms, fault + 300ms}}, 0)}}});
  CHECK(*log.resumed(fault) == fault + 300ms);
}

}  // namespace
}  // namespace sluice::chaos

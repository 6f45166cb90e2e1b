// The sink intent builder: every group added comes back once, in order, in chunks of the size
// asked and a last one cut to what it holds.
#include <doctest/doctest.h>

#include "operators/sink_intent.hpp"
#include "operators/wire_message.hpp"

namespace sluice::ops {
namespace {

// (key, window start, session end) of every group of the chunks.
std::vector<std::tuple<std::string, int64_t, int64_t>> read(const std::vector<std::vector<char>>& chunks) {
  std::vector<std::tuple<std::string, int64_t, int64_t>> out;
  for (const auto& chunk : chunks)
    REQUIRE(read_message<wire::SinkIntent>(chunk, "a sink intent", [&](wire::SinkIntent::Reader in) {
              auto groups = in.getGroups();
              auto ends = in.getSessionEnds();
              for (uint32_t i = 0; i < groups.size(); ++i)
                out.emplace_back(groups[i].getKey()[0].getString(), groups[i].getWindowStart(),
                                 ends.size() == groups.size() ? ends[i] : -1);
            }).ok());
  return out;
}

group_state group(const std::string& key, int64_t window_start) {
  group_state g;
  g.key.push_back(key);
  g.window_start = window_start;
  return g;
}

TEST_CASE("a sink intent holds every group added, in chunks, and nothing once taken") {
  sink_intent_builder windows(false, 2);
  CHECK(windows.take().empty());
  for (int64_t i = 0; i < 5; ++i) windows.add(group("u" + std::to_string(i), i * 10), 0);
  auto chunks = windows.take();
  CHECK(chunks.size() == 3);
  CHECK(read(chunks) == std::vector<std::tuple<std::string, int64_t, int64_t>>{
                            {"u0", 0, -1}, {"u1", 10, -1}, {"u2", 20, -1}, {"u3", 30, -1}, {"u4", 40, -1}});
  CHECK(windows.take().empty());

  sink_intent_builder sessions(true, 2);
  sessions.add(group("a", 1), 6);
  sessions.add(group("b", 2), 7);
  chunks = sessions.take();
  CHECK(chunks.size() == 1);
  CHECK(read(chunks) == std::vector<std::tuple<std::string, int64_t, int64_t>>{{"a", 1, 6}, {"b", 2, 7}});
}

}  // namespace
}  // namespace sluice::ops

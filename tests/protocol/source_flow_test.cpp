// A source's reads and credit: the next read is asked for before a batch is processed, a batch
// waits while a reducer is out of credit, an empty channel is looked at again with backoff, the
// end offset is reported once, and a barrier reports the end of what was processed.
#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "protocol/source_flow.hpp"

namespace sluice::protocol {
namespace {

using command = source_flow::command;
using namespace std::chrono_literals;

// The commands as text: "read <from> <max> [+<ms>]", "process", "drained".
std::vector<std::string> text(std::vector<command>& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) {
    switch (c.what) {
      case command::read:
        out.push_back("read " + std::to_string(c.from) + " " + std::to_string(c.max) +
                      (c.after.count() ? " +" + std::to_string(c.after.count()) : ""));
        break;
      case command::process: out.push_back("process"); break;
      case command::drained: out.push_back("drained"); break;
      case command::idle: out.push_back("idle"); break;
    }
  }
  commands.clear();
  return out;
}

using list = std::vector<std::string>;

TEST_CASE("reads ahead: the next read goes out before the batch that came back is processed") {
  source_flow flow(100, UINT64_MAX, 10, 1, 4);
  std::vector<command> out;
  flow.start(out);
  CHECK(text(out) == list{"read 100 10"});
  flow.on_read(10, 110, out);
  CHECK(text(out) == list{"read 110 10", "process"});
  CHECK(flow.processed() == 110);
}

TEST_CASE("a reducer out of credit holds the batch back, and no further read goes out") {
  source_flow flow(0, UINT64_MAX, 10, 2, 2);
  std::vector<command> out;
  flow.start(out);
  text(out);
  for (uint64_t end : {10, 20}) {
    flow.on_read(10, end, out);
    CHECK(text(out) == list{"read " + std::to_string(end) + " 10", "process"});
    flow.sent(1);  // every batch has rows for reducer 1
  }
  flow.on_read(10, 30, out);  // reducer 1 has two unacknowledged batches
  CHECK(text(out).empty());
  CHECK(flow.processed() == 20);  // a barrier now leaves the waiting batch to the next checkpoint
  flow.on_ack(0, out);  // reducer 0 had nothing outstanding: still no credit
  CHECK(text(out).empty());
  flow.on_ack(1, out);
  CHECK(text(out) == list{"read 30 10", "process"});
  CHECK(flow.processed() == 30);
  flow.on_ack(1, out);  // nothing waits
  CHECK(text(out).empty());
}

TEST_CASE("an empty channel is read again after 10, 20, 40, ... 320, 500, 500 ms, a row resets it") {
  source_flow flow(5, UINT64_MAX, 10, 1, 4);
  std::vector<command> out;
  flow.start(out);
  text(out);
  flow.on_read(0, 5, out);
  CHECK(text(out) == list{"idle", "read 5 10 +10"});  // idle is reported once per quiet spell
  for (int ms : {20, 40, 80, 160, 320, 500, 500}) {
    flow.on_read(0, 5, out);
    CHECK(text(out) == list{"read 5 10 +" + std::to_string(ms)});
  }
  flow.on_read(1, 6, out);
  CHECK(text(out) == list{"read 6 10", "process"});
  flow.on_read(0, 6, out);
  CHECK(text(out) == list{"idle", "read 6 10 +10"});
  CHECK(flow.processed() == 6);
}

TEST_CASE("reads stop at the end offset, which is reported once") {
  source_flow flow(0, 25, 10, 1, 4);
  std::vector<command> out;
  flow.start(out);
  CHECK(text(out) == list{"read 0 10"});
  flow.on_read(10, 10, out);
  CHECK(text(out) == list{"read 10 10", "process"});
  flow.on_read(10, 20, out);
  CHECK(text(out) == list{"read 20 5", "process"});
  flow.on_read(5, 25, out);
  CHECK(text(out) == list{"process", "drained"});
  flow.on_ack(0, out);
  CHECK(text(out).empty());

  source_flow done(7, 7, 10, 1, 4);
  done.start(out);
  CHECK(text(out) == list{"drained"});
  CHECK(done.caught_up());
}

TEST_CASE("a source is caught up once a read found its channel empty, or its end offset reached") {
  source_flow flow(0, UINT64_MAX, 10, 1, 4);
  std::vector<command> out;
  flow.start(out);
  CHECK_FALSE(flow.caught_up());
  flow.on_read(10, 10, out);
  CHECK_FALSE(flow.caught_up());
  flow.on_read(0, 10, out);
  CHECK(flow.caught_up());

  source_flow bounded(0, 10, 10, 1, 4);
  bounded.start(out);
  bounded.on_read(10, 10, out);
  CHECK(bounded.caught_up());
}

TEST_CASE("a source holds the watermark back until it has seen an event time or caught up") {
  constexpr int64_t unknown = std::numeric_limits<int64_t>::min();
  const std::optional<int64_t> lateness = 5'000'000;
  // Without a lateness there is no watermark.
  CHECK(source_watermark(std::nullopt, 60'000'000, false, 0) == unknown);
  // The largest event time seen, less the lateness, whatever the floor.
  CHECK(source_watermark(lateness, 60'000'000, false, 70'000'000) == 55'000'000);
  // Nothing seen and not caught up: held at the checkpoint's watermark, or above unknown for a
  // job without one, so that the least over the sources cannot pass it.
  CHECK(source_watermark(lateness, unknown, false, 40'000'000) == 40'000'000);
  CHECK(source_watermark(lateness, unknown, false, unknown) == unknown + 1);
  // Caught up without a record: it does not hold the others back.
  CHECK(source_watermark(lateness, unknown, true, 40'000'000) == unknown);
}

}  // namespace
}  // namespace sluice::protocol

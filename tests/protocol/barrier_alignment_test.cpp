// Barrier alignment of a reducer with two or three inputs: what is merged when, and when each
// checkpoint is taken, under the interleavings a reducer meets (barriers in either order,
// batches behind a barrier, the next barrier before the alignment, stale barriers).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/barrier_alignment.hpp"

namespace sluice::protocol {
namespace {

using alignment = barrier_alignment<std::string>;
constexpr int64_t unknown = alignment::unknown;

// The commands as text: a batch's name, or "cp<n>@<watermark>" ("cp<n>" without one).
std::vector<std::string> text(const std::vector<alignment::command>& commands) {
  std::vector<std::string> out;
  for (const auto& command : commands) {
    if (const auto* batch = std::get_if<std::string>(&command)) {
      out.push_back(*batch);
    } else {
      const auto& cp = std::get<aligned>(command);
      out.push_back("cp" + std::to_string(cp.checkpoint) +
                    (cp.watermark == unknown ? "" : "@" + std::to_string(cp.watermark)));
    }
  }
  return out;
}

struct fixture {
  explicit fixture(uint32_t inputs) : a(inputs) {}
  alignment a;
  std::vector<alignment::command> out;
  void batch(uint32_t input, std::string name) { a.on_batch(input, std::move(name), out); }
  void barrier(uint32_t input, uint64_t cp, int64_t watermark = unknown) {
    a.on_barrier(input, cp, watermark, out);
  }
  std::vector<std::string> take() {
    auto t = text(out);
    out.clear();
    return t;
  }
};

using list = std::vector<std::string>;

TEST_CASE("batches pass through until a barrier, then that input's batches wait for the others") {
  fixture f(2);
  f.batch(0, "a1");
  f.batch(1, "b1");
  CHECK(f.take() == list{"a1", "b1"});
  f.barrier(0, 1);
  f.batch(0, "a2");  // after input 0's barrier: held
  f.batch(1, "b2");  // before input 1's barrier: merged now, it belongs to checkpoint 1
  CHECK(f.take() == list{"b2"});
  f.barrier(1, 1);
  CHECK(f.take() == list{"cp1", "a2"});
  f.batch(0, "a3");
  CHECK(f.take() == list{"a3"});
}

TEST_CASE("the barriers may come in any order, the checkpoint is taken once, after the last") {
  for (auto order : {std::vector<uint32_t>{0, 1, 2}, {2, 1, 0}, {1, 2, 0}}) {
    fixture f(3);
    for (size_t i = 0; i < order.size(); ++i) {
      f.barrier(order[i], 1);
      if (i + 1 < order.size()) CHECK(f.take().empty());
    }
    CHECK(f.take() == list{"cp1"});
  }
}

TEST_CASE("an input's next barrier during an alignment waits its turn, with the batches around it") {
  fixture f(2);
  f.barrier(0, 1);
  f.batch(0, "a1");
  f.barrier(0, 2);  // input 0 is two checkpoints ahead of input 1
  f.batch(0, "a2");
  CHECK(f.take().empty());
  f.batch(1, "b1");
  f.barrier(1, 1);
  // Checkpoint 1, then input 0's batch of checkpoint 2; its barrier 2 holds a2 back again.
  CHECK(f.take() == list{"b1", "cp1", "a1"});
  f.batch(1, "b2");
  f.barrier(1, 2);
  CHECK(f.take() == list{"b2", "cp2", "a2"});
}

TEST_CASE("a repeated or stale barrier changes nothing") {
  fixture f(2);
  f.barrier(0, 1);
  f.barrier(1, 1);
  CHECK(f.take() == list{"cp1"});
  f.barrier(0, 1);  // a copy of an aligned barrier
  f.batch(0, "a1");
  CHECK(f.take() == list{"a1"});
}

TEST_CASE("the watermark of a checkpoint is the least of its barriers', inputs without one aside") {
  fixture f(3);
  f.barrier(0, 1, 500);
  f.barrier(1, 1);  // has seen no record
  f.barrier(2, 1, 300);
  CHECK(f.take() == list{"cp1@300"});
  f.barrier(0, 2);
  f.barrier(1, 2);
  f.barrier(2, 2);
  // An input keeps the highest watermark it reported.
  CHECK(f.take() == list{"cp2@300"});

  fixture none(2);
  none.barrier(0, 1);
  none.barrier(1, 1);
  CHECK(none.take() == list{"cp1"});
}

TEST_CASE("one input: every barrier is a checkpoint at once") {
  fixture f(1);
  f.batch(0, "a1");
  f.barrier(0, 1);
  f.batch(0, "a2");
  f.barrier(0, 2);
  CHECK(f.take() == list{"a1", "cp1", "a2", "cp2"});
}

}  // namespace
}  // namespace sluice::protocol

// The join's state without actors: whatever the order of inserts, updates and deletes on both
// sides, and across snapshots and restores, the joined rows it emits add up to the join of the
// two tables as they end, recomputed here by nested loops.
#include <doctest/doctest.h>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "operators/group_table.hpp"
#include "operators/join.hpp"
#include "runtime/core/row_codec.hpp"
#include "tests/support/amplified_message.hpp"

namespace sluice::ops {
namespace {

// Left rows (id, k, name) and right rows (k, v); the join is on k, which may be NULL on the left.
struct left_row {
  std::optional<int64_t> k;
  std::string name;
};

std::string encoded(const std::vector<value>& row) {
  std::string out;
  encode_row(row, out);
  return out;
}

std::string left_image(int64_t id, const left_row& row) {
  return encoded({value(id), row.k ? value(*row.k) : value(), value(row.name)});
}

std::string right_image(int64_t k, int64_t v) { return encoded({value(k), value(v)}); }

std::string key_of(int64_t k) {
  std::string out;
  std::vector<datum> key = {datum::of_bigint(k)};
  append_key_datums(key, out);
  return out;
}

class model {
 public:
  explicit model(join_kind kind) : kind_(kind), state_(std::make_unique<join_state>(kind)) {}

  void set_left(int64_t id, std::optional<left_row> row) {
    if (auto it = left_.find(id); it != left_.end()) change(join_side::left, it->second.k, left_image(id, it->second), -1);
    if (row) {
      change(join_side::left, row->k, left_image(id, *row), +1);
      left_[id] = *row;
    } else {
      left_.erase(id);
    }
  }
  void set_right(int64_t k, std::optional<int64_t> v) {
    if (auto it = right_.find(k); it != right_.end()) change(join_side::right, k, right_image(k, it->second), -1);
    if (v) {
      change(join_side::right, k, right_image(k, *v), +1);
      right_[k] = *v;
    } else {
      right_.erase(k);
    }
  }

  // The state goes through a snapshot and a restore into a new one.
  void restart(bool whole) {
    std::vector<bool> imaged(key_groups, whole);
    snapshots_.push_back(state_->snapshot(std::vector<bool>(key_groups, true), imaged, 3));
    auto fresh = std::make_unique<join_state>(kind_);
    for (const auto& snapshot : snapshots_)
      for (const auto& chunk : snapshot) REQUIRE(fresh->restore(chunk.bytes).ok());
    fresh->finish_restore([](uint32_t) { return true; });
    state_ = std::move(fresh);
  }

  // The emitted changes, summed, against the join recomputed from the tables.
  void check() const {
    std::map<std::string, int64_t> expected;
    for (const auto& [id, l] : left_) {
      bool matched = false;
      for (const auto& [k, v] : right_) {
        if (!l.k || *l.k != k) continue;
        matched = true;
        ++expected[left_image(id, l) + right_image(k, v)];
      }
      if (!matched && kind_ == join_kind::left) ++expected[left_image(id, l)];
    }
    std::map<std::string, int64_t> got;
    for (const auto& [row, weight] : emitted_)
      if (weight != 0) got[row] = weight;
    CHECK(got == expected);
  }

  const join_state& state() const { return *state_; }
  // Of the last snapshot, the bytes beyond an empty state's (a message per key group).
  size_t last_snapshot_bytes() const {
    auto size = [](const std::vector<store::snapshot_chunk>& chunks) {
      size_t bytes = 0;
      for (const auto& chunk : chunks) bytes += chunk.bytes.size();
      return bytes;
    };
    const std::vector<bool> every(key_groups, true);
    return size(snapshots_.back()) - size(join_state(kind_).snapshot(every, std::vector<bool>(key_groups)));
  }

 private:
  void change(join_side side, std::optional<int64_t> k, const std::string& image, int64_t weight) {
    // As the router sends them: a right row with a NULL key, or an inner join's left one, never
    // comes.
    if (!k && (side == join_side::right || kind_ == join_kind::inner)) return;
    std::string key = k ? key_of(*k) : std::string();
    uint32_t group = k ? static_cast<uint32_t>(*k % key_groups) : 0;
    auto status = state_->apply(side, key, group, !k, image, weight,
                                [&](std::string_view joined, int64_t w) {
                                  emitted_[std::string(joined)] += w;
                                  return absl::OkStatus();
                                });
    REQUIRE(status.ok());
  }

  join_kind kind_;
  std::unique_ptr<join_state> state_;
  std::map<int64_t, left_row> left_;
  std::map<int64_t, int64_t> right_;
  std::map<std::string, int64_t> emitted_;
  std::vector<std::vector<store::snapshot_chunk>> snapshots_;
};

TEST_CASE("every order of inserts, updates and deletes on both sides gives the join") {
  // Six changes: an order and its customer come, the customer is renamed, the order moves to
  // another customer, which comes, and the first customer goes.
  using step = std::function<void(model&)>;
  const std::vector<step> steps = {
      [](model& m) { m.set_left(1, left_row{10, "a"}); },
      [](model& m) { m.set_right(10, 100); },
      [](model& m) { m.set_right(10, 101); },
      [](model& m) { m.set_left(1, left_row{20, "b"}); },
      [](model& m) { m.set_right(20, 200); },
      [](model& m) { m.set_right(10, std::nullopt); },
  };
  for (auto kind : {join_kind::inner, join_kind::left}) {
    std::vector<size_t> order(steps.size());
    std::iota(order.begin(), order.end(), 0);
    size_t orders = 0;
    do {
      model m(kind);
      for (size_t i : order) {
        steps[i](m);
        m.check();
      }
      ++orders;
    } while (std::next_permutation(order.begin(), order.end()));
    CHECK(orders == 720);
  }
}

TEST_CASE("random changes, snapshots and restores keep the join exact") {
  for (auto kind : {join_kind::inner, join_kind::left}) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      CAPTURE(seed);
      std::mt19937 random(seed);
      auto pick = [&](int n) { return static_cast<int64_t>(random() % n); };
      model m(kind);
      for (int i = 0; i < 400; ++i) {
        switch (pick(7)) {
          case 0: m.set_left(pick(30), std::nullopt); break;
          case 1: m.set_right(pick(8), std::nullopt); break;
          case 2: case 3: m.set_right(pick(8), pick(1000)); break;
          case 4: m.restart(pick(4) == 0); break;
          default: {
            left_row row{pick(10) == 0 ? std::nullopt : std::optional<int64_t>(pick(8)),
                         std::string(1, static_cast<char>('a' + pick(3)))};
            m.set_left(pick(30), row);
          }
        }
      }
      m.check();
    }
  }
}

TEST_CASE("rows replaced many times leave the join exact when their bytes are reclaimed") {
  // 20000 renames of 200-byte names leave about 4 MiB of removed images, which the state
  // reclaims as it goes; the right side's changes then join the left rows it kept.
  for (auto kind : {join_kind::inner, join_kind::left}) {
    std::mt19937 random(7);
    model m(kind);
    for (int i = 0; i < 20000; ++i)
      m.set_left(i % 50, left_row{i % 5, std::string(200, static_cast<char>('a' + random() % 26))});
    for (int64_t k = 0; k < 5; ++k) m.set_right(k, k * 10);
    m.check();
    m.restart(true);
    for (int64_t k = 0; k < 5; ++k) m.set_right(k, k * 10 + 1);
    m.check();
  }
}

TEST_CASE("keys with many rows on a side, growing and shrinking, keep the join exact") {
  for (auto kind : {join_kind::inner, join_kind::left}) {
    std::mt19937 random(11);
    auto pick = [&](int n) { return static_cast<int64_t>(random() % n); };
    model m(kind);
    for (int round = 0; round < 6; ++round) {
      // Up to 60 left rows on each of two keys, then most of them gone again.
      for (int i = 0; i < 120; ++i)
        m.set_left(pick(120), left_row{pick(2), std::string(1, static_cast<char>('a' + pick(4)))});
      m.set_right(pick(2), pick(100));
      for (int i = 0; i < 100; ++i) m.set_left(pick(120), std::nullopt);
      m.set_right(pick(2), pick(100));
      m.check();
      if (round == 3) m.restart(true);
    }
  }
}

TEST_CASE("a snapshot holds the rows that changed of a key with many, not the key whole") {
  // 2000 orders of one customer; then one changes and one goes. The next snapshot that does not
  // image the key's group carries those two, and the snapshots restore the key exactly.
  for (int64_t n : {int64_t{0}, int64_t{1}}) {
    CAPTURE(n);
    model m(join_kind::inner);
    m.set_right(1, 10);
    for (int64_t id = 0; id < 2000; ++id) m.set_left(id, left_row{1, "order " + std::to_string(id)});
    m.restart(true);
    m.set_left(7, left_row{1, "changed"});
    m.set_left(8, std::nullopt);
    if (n == 1) m.set_right(1, 11);  // the right side's row changes too
    const size_t whole = m.last_snapshot_bytes();
    m.restart(false);
    CHECK(m.last_snapshot_bytes() < whole / 20);
    CHECK(m.state().rows() == 2000);
    m.check();
  }
}

TEST_CASE("a join batch of a few bytes claiming half a billion rows is refused at once") {
  // JoinBatch: epoch and channel in 2 data words; rows, imaged in 2 pointers.
  auto hostile = testing::amplified_list_message(2, 2, 0);
  CHECK(hostile.size() < 64);
  for (auto kind : {join_kind::inner, join_kind::left}) {
    join_state state(kind);
    auto merged = state.merge(hostile, [](std::string_view, int64_t) { return absl::OkStatus(); });
    CHECK(absl::IsInvalidArgument(merged));
    CHECK(absl::IsInvalidArgument(state.restore(hostile)));
    CHECK(state.keys() == 0);
  }
}

TEST_CASE("a join batch row whose weight would overflow the join is refused") {
  // Found by tests/fuzz/join_batch_fuzzer: weights of 2^40 multiplied by a stored multiplicity
  // overflowed int64.
  capnp::MallocMessageBuilder message;
  auto rows = message.initRoot<wire::JoinBatch>().initRows(2);
  for (uint32_t i = 0; i < 2; ++i) {
    rows[i].setRight(i == 1);
    rows[i].setWeight(int64_t{1} << 40);
    rows[i].setKey(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("k"), 1));
    rows[i].setKeyGroup(3);
  }
  auto words = capnp::messageToFlatArray(message);
  auto chars = words.asChars();
  join_state state(join_kind::inner);
  auto merged = state.merge({chars.begin(), chars.size()},
                            [](std::string_view, int64_t) { return absl::OkStatus(); });
  CHECK(absl::IsInvalidArgument(merged));
  CHECK(state.keys() == 0);
}

TEST_CASE("the state holds nothing once both sides are empty again") {
  model m(join_kind::left);
  m.set_left(1, left_row{1, "x"});
  m.set_right(1, 5);
  m.set_left(1, std::nullopt);
  m.set_right(1, std::nullopt);
  m.check();
  CHECK(m.state().keys() == 0);
  CHECK(m.state().rows() == 0);
}

TEST_CASE("a join batch that does not decode is refused whole") {
  join_state state(join_kind::inner);
  std::vector<char> garbage(24, '\x7f');
  auto status = state.merge(garbage, [](std::string_view, int64_t) { return absl::OkStatus(); });
  CHECK(absl::IsInvalidArgument(status));
  CHECK(state.keys() == 0);
}

}  // namespace
}  // namespace sluice::ops

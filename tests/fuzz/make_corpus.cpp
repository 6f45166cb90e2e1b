// Writes the seed corpus of each fuzz target into DIR/<target>/: valid messages made by the
// encoders the decoders pair with, so that the fuzzers start from the shapes that cross process
// boundaries. Usage: make_corpus DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "operators/join.hpp"
#include "operators/partial_aggregator.hpp"
#include "operators/reducer_state.hpp"
#include "remote/codec.hpp"
#include "runtime/core/row_codec.hpp"
#include "runtime/store/record_codec.hpp"
#include "tests/fuzz/world.hpp"

using namespace sluice;
namespace fs = std::filesystem;

namespace {

fs::path root;

template <typename Bytes>
void seed(const std::string& target, const std::string& name, const Bytes& bytes,
          std::string prefix = {}) {
  fs::create_directories(root / target);
  std::ofstream out(root / target / name, std::ios::binary);
  out << prefix;
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "make_corpus: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

row_batch orders_batch(const std::shared_ptr<const table_schema>& orders) {
  row_batch batch(orders);
  for (int i = 0; i < 6; ++i) {
    size_t row = batch.add_row(i == 5 ? change_op::delete_ : change_op::put);
    batch.set(row, 0, "user_" + std::to_string(i % 3));
    batch.set(row, 1, "order_" + std::to_string(i % 5));
    batch.set(row, 2, 10.5 + i);
    batch.set(row, 3, int64_t{1700000000000} + i * 4000);
  }
  return batch;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  root = argv[1];
  auto& world = fuzz::the_world();
  const auto& orders = world.orders;

  seed("row_reader", "orders.jsonl",
       std::string(R"({"UserId":"u1","OrderId":"o1","price":12.5,"timestamp":1700000000123})"
                   "\n"
                   R"({"UserId":"u2","OrderId":"o2","price":-1e3,"timestamp":null})"
                   "\n"),
       "\x00");
  seed("row_reader", "orders.csv",
       std::string("UserId,OrderId,price,timestamp\nu1,o1,12.5,1700000000123\n\"u,2\",o2,,7\n"),
       "\x01");

  auto batch = orders_batch(orders);
  check(world.db->write(batch).status(), "write orders");
  auto changes = world.db->read_channel(*orders, 0, 0, 100);
  check(changes.status(), "read a channel");
  for (uint32_t channel = 0; channel < orders->channels(); ++channel) {
    auto read = world.db->read_channel(*orders, channel, 0, 100);
    check(read.status(), "read a channel");
    if (read->empty()) continue;
    ops::partial_aggregator window(world.window_job), keyed(world.keyed_job);
    check(window.on_batch(*read), "aggregate");
    check(keyed.on_batch(*read), "aggregate");
    std::vector<uint32_t> owner(ops::key_groups, 0);
    auto window_partials = window.flush(owner, 1, 1, channel);
    auto keyed_partials = keyed.flush(owner, 1, 1, channel);
    seed("partial_batch", "window_" + std::to_string(channel), window_partials[0]);
    seed("partial_batch", "keyed_" + std::to_string(channel), keyed_partials[0]);
    ops::reducer_state reducer(world.keyed_job);
    check(reducer.merge(keyed_partials[0]), "merge");
    // Owning no key group: only the chunks that hold groups, the first of them a seed.
    auto snapshot = reducer.snapshot({}, std::vector<bool>(ops::key_groups, true));
    seed("partial_batch", "snapshot_" + std::to_string(channel), snapshot[0].bytes);
    seed("change_frame", "channel_" + std::to_string(channel), std::move(*read).release_frame());
  }

  ops::join_state join(ops::join_kind::left);
  std::string left, right;
  encode_row(std::vector<value>{value(std::string("c1")), value(std::string("east"))}, left);
  encode_row(std::vector<value>{value(std::string("o1")), value(std::string("c1")), value(12.5)}, right);
  auto emit = [](std::string_view, int64_t) { return absl::OkStatus(); };
  check(join.apply(ops::join_side::left, "c1", 3, false, left, 1, emit), "join");
  check(join.apply(ops::join_side::right, "c1", 3, false, right, 1, emit), "join");
  check(join.apply(ops::join_side::right, "", 5, true, right, 1, emit), "join");
  seed("join_batch", "snapshot", join.snapshot({}, std::vector<bool>(ops::key_groups, true))[0].bytes);

  seed("store_codec", "row_batch", remote::encode_row_batch(batch), "\x00");
  std::vector<store::catalog_op> ops = {
      store::create_tunnel_op{"OrderSource", "t1", store::tunnel_type::stream, true},
      store::drop_table_op{"OrderTotalSink", true}};
  seed("store_codec", "catalog_ops", remote::encode_catalog_ops(ops), std::string(1, '\x01'));
  std::vector<value> cells = {value(std::string("u1")), value(std::string("o1")), value(1.5), value(int64_t{7}),
                              value(std::string("u2")), value(std::string("o2")), value(), value(int64_t{8})};
  seed("store_codec", "row_page", remote::encode_row_page(cells), "\x02");
  seed("store_codec", "table", store::encode_table(*orders), "\x03");
  auto tunnels = world.db->tunnels(*orders);
  check(tunnels.status(), "tunnels");
  if (!tunnels->empty()) seed("store_codec", "tunnel", store::encode_tunnel(tunnels->front()), "\x04");
  seed("store_codec", "offsets", store::encode_offsets({1, 2, 3, 4, 5, 6, 7, 8}), "\x05");
  store::checkpoint cp;
  cp.id = 3;
  cp.offsets = {10, 20, 30, 40, 50, 60, 70, 80};
  cp.parts = 2;
  cp.fingerprint = "fp";
  seed("store_codec", "checkpoint", store::encode_checkpoint(cp), "\x06");
  seed("store_codec", "job", store::encode_job({"job1", "SELECT 1", false, 4, 1700000000000}),
       "\x07");
  std::string row;
  encode_row(cells, row);
  seed("store_codec", "row", row, "\x08");
  std::printf("seed corpus written to %s\n", root.c_str());
  return 0;
}

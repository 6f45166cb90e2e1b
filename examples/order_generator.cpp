#include "examples/order_generator.hpp"

#include <fmt/format.h>

namespace sluice::examples {
namespace {

// SplitMix64: a full-period mixer; random(seed, i, lane) is the lane-th draw for order i.
uint64_t random(uint64_t seed, uint64_t i, uint64_t lane) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL + lane * 0x94d049bb133111ebULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

table_schema order_source_schema() {
  return table_schema::create(0, "OrderSource",
                              {{"UserId", column_type::string},
                               {"OrderId", column_type::string},
                               {"price", column_type::double_},
                               {"timestamp", column_type::bigint}},
                              {"UserId", "OrderId"}, table_schema::default_channels)
      .value();
}

absl::StatusOr<order_generator> order_generator::create(const order_options& options,
                                                        const table_schema& table) {
  if (options.users == 0) return absl::InvalidArgumentError("--users must be at least 1");
  if (options.events_per_second == 0)
    return absl::InvalidArgumentError("--events-per-second must be at least 1");
  size_t indexes[4];
  const column_def wanted[4] = {{"UserId", column_type::string},
                                {"OrderId", column_type::string},
                                {"price", column_type::double_},
                                {"timestamp", column_type::bigint}};
  for (int i = 0; i < 4; ++i) {
    auto index = table.find_column(wanted[i].name);
    if (!index || table.column(*index).type != wanted[i].type)
      return absl::InvalidArgumentError(fmt::format(
          "table {} cannot take orders: it needs a column {} {} (orders have UserId STRING, "
          "OrderId STRING, price DOUBLE, timestamp BIGINT)",
          table.name(), wanted[i].name, type_name(wanted[i].type)));
    indexes[i] = *index;
  }
  return order_generator(options, indexes[0], indexes[1], indexes[2], indexes[3]);
}

order_generator::order_generator(const order_options& options, size_t user, size_t order,
                                 size_t price, size_t timestamp)
    : options_(options),
      user_column_(user),
      order_column_(order),
      price_column_(price),
      timestamp_column_(timestamp),
      user_digits_(std::max<int>(6, static_cast<int>(fmt::formatted_size("{}", options.users - 1)))) {}

void order_generator::fill(row_batch& batch, uint64_t first, uint64_t count) const {
  const uint64_t eps = options_.events_per_second;
  for (uint64_t i = first; i < first + count; ++i) {
    size_t row = batch.add_row(change_op::put);
    uint64_t user = random(options_.seed, i, 0) % options_.users;
    std::string user_id = "user_";
    fmt::format_to(std::back_inserter(user_id), "{:0{}}", user, user_digits_);
    batch.set(row, user_column_, std::move(user_id));
    // The seed in hex, then the order number: unique across seeds and runs of one seed.
    batch.set(row, order_column_, fmt::format("{:x}-{:010}", options_.seed, i));
    int64_t cents = 1000 + static_cast<int64_t>(random(options_.seed, i, 1) % 99000);
    batch.set(row, price_column_, static_cast<double>(cents) / 100.0);
    // i * 1000 / eps without overflow for any i below 2^64 / 1000.
    int64_t event_ms = options_.start_ms + static_cast<int64_t>((i / eps) * 1000 + (i % eps) * 1000 / eps);
    if (options_.disorder_ms > 0)
      event_ms -= static_cast<int64_t>(random(options_.seed, i, 2) % (options_.disorder_ms + 1));
    batch.set(row, timestamp_column_, event_ms);
  }
}

}  // namespace sluice::examples

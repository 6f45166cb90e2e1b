// The seeds' order generator: orders of users like `user_000123`, each with a unique OrderId, a
// price in [10, 1000) with cents, and an event timestamp in ms that advances
// `events_per_second` orders per event-time second with up to `disorder_ms` of disorder.
//
// Order i depends only on the options and i (a counter-based random stream), so the same seed
// gives the same orders however they are split into batches, and batches can be made in any
// order or in parallel.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>

#include "runtime/core/row_batch.hpp"
#include "runtime/core/table_schema.hpp"

namespace sluice::examples {

struct order_options {
  uint64_t seed = 1;
  int64_t start_ms = 1700000000000;
  uint64_t users = 10000;
  uint64_t events_per_second = 1000;
  uint64_t disorder_ms = 0;
};

// The columns orders need: UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT.
table_schema order_source_schema();

class order_generator {
 public:
  // Checks that `table` has the four order columns with their types (other columns stay NULL).
  static absl::StatusOr<order_generator> create(const order_options& options,
                                                const table_schema& table);

  // Appends orders first .. first+count-1 to `batch` as puts. `batch` is of the table given to
  // create().
  void fill(row_batch& batch, uint64_t first, uint64_t count) const;

 private:
  order_generator(const order_options& options, size_t user, size_t order, size_t price,
                  size_t timestamp);

  order_options options_;
  size_t user_column_, order_column_, price_column_, timestamp_column_;
  int user_digits_;
};

}  // namespace sluice::examples

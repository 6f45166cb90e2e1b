// Loads generated orders into a table: one thread makes batches while the caller's thread writes
// them, each batch one atomic write. Used by `sluice gen` and the store benchmark.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "examples/order_generator.hpp"
#include "runtime/store/api.hpp"

namespace sluice::examples {

struct load_options {
  uint64_t rows = 0;
  double rate = 0;  // rows per wall-clock second; 0 = as fast as the store takes them
  size_t batch_rows = 4096;
  const std::atomic<bool>* stop = nullptr;  // when given and set, loading ends early
};

// Rows per batch and when a batch is due, so that a paced load trickles in about 20 batches a
// second rather than in bursts.
class pacing {
 public:
  pacing(double rate, size_t batch_rows);
  size_t batch_rows() const { return batch_rows_; }
  // Sleeps until `rows_before` rows may have been produced since `start`.
  void wait_for(std::chrono::steady_clock::time_point start, uint64_t rows_before) const;

 private:
  double rate_;
  size_t batch_rows_;
};

// Writes orders 0 .. rows-1 of `generator` into `table`; calls on_progress(rows written so far)
// after every batch. Returns the number of rows written; stops at the first failed write.
absl::StatusOr<uint64_t> load_orders(store::api& db, std::shared_ptr<const table_schema> table,
                                     const order_generator& generator, const load_options& options,
                                     const std::function<void(uint64_t)>& on_progress);

}  // namespace sluice::examples

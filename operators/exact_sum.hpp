// An exact sum of doubles: the true sum of every value added (and not retracted), rounded once
// when read. The result does not depend on the order of additions, on how they were split into
// partial sums and merged, or on retractions, so a streamed aggregate equals a recomputation bit
// for bit. Kept as non-overlapping partials (Shewchuk's algorithm, as Python's math.fsum).
#pragma once

#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <span>

namespace sluice::ops {

class exact_sum {
 public:
  // Adds x (sign +1) or takes an earlier addition of x back (sign -1).
  void add(double x, int sign = +1);
  void retract(double x) { add(x, -1); }
  void merge(const exact_sum& other);
  // The correctly rounded sum; NaN if a NaN was added or both infinities are present.
  double value() const;
  bool is_zero() const;

  // The state, for partial batches and snapshots: finite partials plus counts of non-finite
  // values (signed, since they can be retracted).
  std::span<const double> partials() const { return partials_; }
  int64_t positive_infinities() const { return pos_inf_; }
  int64_t negative_infinities() const { return neg_inf_; }
  int64_t nans() const { return nan_; }
  // Adds signed counts of non-finite values (a state read back: its partials are add()ed).
  void add_non_finite(int64_t pos_inf, int64_t neg_inf, int64_t nans);

 private:
  // Non-overlapping, increasing magnitude. Sums of prices with cents need one or two: they live
  // inside the object, with no allocation.
  absl::InlinedVector<double, 2> partials_;
  int64_t pos_inf_ = 0, neg_inf_ = 0, nan_ = 0;
};

}  // namespace sluice::ops

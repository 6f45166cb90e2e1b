#include "operators/exact_sum.hpp"

#include <cmath>
#include <limits>

#include "operators/wrapping_add.hpp"

namespace sluice::ops {

void exact_sum::add(double x, int sign) {
  if (!std::isfinite(x)) {
    if (std::isnan(x)) nan_ += sign;
    else if (x > 0) pos_inf_ += sign;
    else neg_inf_ += sign;
    return;
  }
  if (sign < 0) x = -x;
  // Shewchuk's grow-expansion: x absorbs each partial; the rounding errors stay as partials.
  size_t kept = 0;
  for (double partial : partials_) {
    double y = partial;
    if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
    double hi = x + y;
    double lo = y - (hi - x);
    if (lo != 0) partials_[kept++] = lo;
    x = hi;
  }
  partials_.resize(kept);
  if (x != 0) partials_.push_back(x);
}

void exact_sum::merge(const exact_sum& other) {
  for (double partial : other.partials_) add(partial);
  add_non_finite(other.pos_inf_, other.neg_inf_, other.nan_);
}

double exact_sum::value() const {
  if (nan_ != 0 || (pos_inf_ != 0 && neg_inf_ != 0))
    return std::numeric_limits<double>::quiet_NaN();
  if (pos_inf_ != 0) return std::numeric_limits<double>::infinity();
  if (neg_inf_ != 0) return -std::numeric_limits<double>::infinity();
  // Sum from the largest partial down; then correct the half-way case as math.fsum does.
  if (partials_.empty()) return 0.0;
  size_t n = partials_.size();
  double hi = partials_[--n];
  double lo = 0;
  while (n > 0) {
    double x = hi;
    double y = partials_[--n];
    hi = x + y;
    double yr = hi - x;
    lo = y - yr;
    if (lo != 0) break;
  }
  if (n > 0 && ((lo < 0 && partials_[n - 1] < 0) || (lo > 0 && partials_[n - 1] > 0))) {
    double y = lo * 2;
    double x = hi + y;
    double yr = x - hi;
    if (y == yr) hi = x;
  }
  return hi;
}

bool exact_sum::is_zero() const {
  return partials_.empty() && pos_inf_ == 0 && neg_inf_ == 0 && nan_ == 0;
}

void exact_sum::add_non_finite(int64_t pos_inf, int64_t neg_inf, int64_t nans) {
  pos_inf_ = wrapping_add(pos_inf_, pos_inf);
  neg_inf_ = wrapping_add(neg_inf_, neg_inf);
  nan_ = wrapping_add(nan_, nans);
}

}  // namespace sluice::ops

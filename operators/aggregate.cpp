#include "operators/aggregate.hpp"

#include <fmt/format.h>

#include <limits>

#include "operators/wrapping_add.hpp"
#include "runtime/core/wire_value.hpp"

namespace sluice::ops {

std::string_view aggregate_name(aggregate_kind kind) {
  switch (kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count: return "count";
    case aggregate_kind::sum: return "sum";
    case aggregate_kind::min: return "min";
    case aggregate_kind::max: return "max";
    case aggregate_kind::avg: return "avg";
  }
  return "?";
}

absl::Status check(const aggregate_spec& spec) {
  bool numeric = spec.input == dtype::bigint || spec.input == dtype::double_;
  switch (spec.kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count: return absl::OkStatus();
    case aggregate_kind::sum:
    case aggregate_kind::avg:
      if (numeric) return absl::OkStatus();
      return absl::InvalidArgumentError(fmt::format("{} takes a BIGINT or DOUBLE, not {}",
                                                    aggregate_name(spec.kind),
                                                    dtype_name(spec.input)));
    case aggregate_kind::min:
    case aggregate_kind::max:
      if (spec.input != dtype::null) return absl::OkStatus();
      return absl::InvalidArgumentError(
          fmt::format("{} needs a typed argument, not NULL", aggregate_name(spec.kind)));
  }
  return absl::OkStatus();
}

dtype result_type(const aggregate_spec& spec) {
  switch (spec.kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count: return dtype::bigint;
    case aggregate_kind::avg: return dtype::double_;
    default: return spec.input;
  }
}

void aggregate_state::add(const aggregate_spec& spec, const datum& input, int sign) {
  if (spec.kind == aggregate_kind::count_star) {
    count_ += sign;
    return;
  }
  if (input.is_null()) return;
  count_ += sign;
  switch (spec.kind) {
    case aggregate_kind::sum:
    case aggregate_kind::avg:
      if (input.type == dtype::double_) double_sum_.add(input.double_, sign);
      else bigint_sum_ += static_cast<__int128>(input.bigint) * sign;
      break;
    case aggregate_kind::min:
    case aggregate_kind::max: count_value(to_value(input), sign); break;
    default: break;
  }
}

void aggregate_state::count_value(value v, int64_t n) {
  if (!multiset_) multiset_ = std::make_unique<multiset>();
  auto [it, inserted] = multiset_->try_emplace(std::move(v), 0);
  it->second = wrapping_add(it->second, n);
  if (it->second == 0) multiset_->erase(it);
}

void aggregate_state::merge(const aggregate_state& delta) {
  count_ += delta.count_;
  bigint_sum_ += delta.bigint_sum_;
  double_sum_.merge(delta.double_sum_);
  if (delta.multiset_)
    for (const auto& [v, n] : *delta.multiset_) count_value(v, n);
}

void aggregate_state::merge(wire::AggregateState::Reader delta) {
  count_ = wrapping_add(count_, delta.getCount());
  const auto high = static_cast<unsigned __int128>(delta.getBigintSumHigh()) << 64;
  bigint_sum_ = wrapping_add(bigint_sum_, static_cast<__int128>(high | delta.getBigintSumLow()));
  for (double partial : delta.getDoubleSum()) double_sum_.add(partial);
  double_sum_.add_non_finite(delta.getPositiveInfinities(), delta.getNegativeInfinities(),
                             delta.getNans());
  for (auto entry : delta.getMultiset())
    if (entry.getCount() != 0) count_value(sluice::from_wire(entry.getValue()), entry.getCount());
}

absl::StatusOr<value> aggregate_state::result(const aggregate_spec& spec) const {
  switch (spec.kind) {
    case aggregate_kind::count_star:
    case aggregate_kind::count: return value{count_};
    case aggregate_kind::sum:
      if (count_ == 0) return value{};
      if (spec.input == dtype::double_) return value{double_sum_.value()};
      if (bigint_sum_ > std::numeric_limits<int64_t>::max() ||
          bigint_sum_ < std::numeric_limits<int64_t>::min())
        return absl::OutOfRangeError("sum is outside the BIGINT range; CAST its argument to DOUBLE");
      return value{static_cast<int64_t>(bigint_sum_)};
    case aggregate_kind::avg: {
      if (count_ == 0) return value{};
      double total = spec.input == dtype::double_ ? double_sum_.value()
                                                  : static_cast<double>(bigint_sum_);
      return value{total / static_cast<double>(count_)};
    }
    case aggregate_kind::min:
      if (!multiset_ || multiset_->empty()) return value{};
      return multiset_->begin()->first;
    case aggregate_kind::max:
      if (!multiset_ || multiset_->empty()) return value{};
      return multiset_->rbegin()->first;
  }
  return value{};
}

bool aggregate_state::empty() const {
  return count_ == 0 && bigint_sum_ == 0 && double_sum_.is_zero() &&
         (!multiset_ || multiset_->empty());
}

void aggregate_state::to_wire(wire::AggregateState::Builder out) const {
  out.setCount(count_);
  out.setBigintSumLow(static_cast<uint64_t>(bigint_sum_));
  out.setBigintSumHigh(static_cast<int64_t>(bigint_sum_ >> 64));
  auto partials = double_sum_.partials();
  auto sum = out.initDoubleSum(partials.size());
  for (size_t i = 0; i < partials.size(); ++i) sum.set(i, partials[i]);
  out.setPositiveInfinities(double_sum_.positive_infinities());
  out.setNegativeInfinities(double_sum_.negative_infinities());
  out.setNans(double_sum_.nans());
  if (multiset_ && !multiset_->empty()) {
    auto entries = out.initMultiset(multiset_->size());
    size_t i = 0;
    for (const auto& [v, n] : *multiset_) {
      sluice::to_wire(v, entries[i].initValue());
      entries[i].setCount(n);
      ++i;
    }
  }
}

}  // namespace sluice::ops

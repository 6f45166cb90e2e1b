// Aggregate functions and their states. Every state can add and retract a value and merge
// another state, so the same class serves a source's partial (a signed delta), a reducer's final
// state and a snapshot. Results are exact: BIGINT sums in 128 bits, DOUBLE sums with exact_sum,
// min/max over a multiset of values, so retracting the current minimum is right.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "operators/datum.hpp"
#include "operators/exact_sum.hpp"
#include "runtime/core/value.hpp"
#include "schemas/stream.capnp.h"

namespace sluice::ops {

enum class aggregate_kind { count_star, count, sum, min, max, avg };

// "count", "sum", ... as written in SQL (count(*) is "count").
std::string_view aggregate_name(aggregate_kind kind);

struct aggregate_spec {
  aggregate_kind kind = aggregate_kind::count_star;
  dtype input = dtype::null;  // the argument's type; null for count(*)
};

// Checks that `spec.input` suits the function: sum and avg need BIGINT or DOUBLE; min and max
// need a comparable type. InvalidArgument names the function and the type.
absl::Status check(const aggregate_spec& spec);
// count: BIGINT; sum: the input type; min/max: the input type; avg: DOUBLE.
dtype result_type(const aggregate_spec& spec);

class aggregate_state {
 public:
  // Adds (sign = +1) or retracts (sign = -1) one input value. NULL inputs count only for count(*)
  // (and are passed as NULL datums for it).
  void add(const aggregate_spec& spec, const datum& input, int sign);
  void merge(const aggregate_state& delta);
  // The same for a delta read from a partial batch or a snapshot.
  void merge(wire::AggregateState::Reader delta);
  // The aggregate's value: NULL when no value is counted (SQL: sum of nothing is NULL; count of
  // nothing is 0). A BIGINT sum outside 64 bits is OutOfRange.
  absl::StatusOr<value> result(const aggregate_spec& spec) const;
  // Nothing added, or everything retracted again.
  bool empty() const;

  void to_wire(wire::AggregateState::Builder out) const;

 private:
  using multiset = absl::btree_map<value, int64_t>;  // no zero counts
  // Adds n to the count of v in the multiset, made when first needed.
  void count_value(value v, int64_t n);

  int64_t count_ = 0;
  __int128 bigint_sum_ = 0;
  exact_sum double_sum_;
  std::unique_ptr<multiset> multiset_;  // min/max only: null for every other aggregate
};

}  // namespace sluice::ops

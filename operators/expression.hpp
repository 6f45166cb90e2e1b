// Scalar SQL expressions (filters, projections, group keys) compiled once from the parser's AST and
// evaluated per row. Semantics follow Spark SQL; see expression.cpp for the type rules.
//
// A compiled expression is a flat vector of small nodes (an opcode, the result type, child indexes)
// evaluated by one switch: no virtual call per node and no allocation per row, except strings the
// expression makes (CAST to STRING), which go to the caller's string_arena. Sub-expressions
// without a column reference are folded into constants when compiling.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "operators/datum.hpp"
#include "operators/string_arena.hpp"
#include "runtime/core/timestamp_text.hpp"

namespace sluice::sql {
struct expr;
}

namespace sluice::ops {

// One column of the row an expression reads; the row passed to eval() holds one datum per input
// column, in this order.
struct input_column {
  std::string name;
  dtype type;
};

// Where the semantics of the SQL dialects differ (see expression.cpp): a script in Flink's
// dialect compiles with flink.
enum class sql_dialect : uint8_t { spark, flink };

// Immutable after compile(); eval() is const and may run on several threads at once, each with
// its own arena. Copies are independent.
class expression {
 public:
  // Binds `e` against `input` (exact-case names; a qualified name such as "window.start" is looked
  // up as written), resolves functions and casts, and infers the type. `zone` is the time zone
  // of TIMESTAMP <-> STRING conversions. Errors are InvalidArgument "line L, column C: ...".
  static absl::StatusOr<expression> compile(const sql::expr& e,
                                            std::span<const input_column> input,
                                            const absl::TimeZone& zone,
                                            sql_dialect dialect = sql_dialect::spark);

  // The type of every non-NULL result (dtype::null only for an expression that is a NULL literal).
  dtype type() const { return nodes_.back().type; }

  // Sets used[i] for every input column i that eval() reads (`used` has one entry per column).
  void mark_columns(std::vector<bool>& used) const;

  // Evaluates on one row: `row` holds one datum per input column, each NULL or of the column's
  // type. Never throws (beyond std::bad_alloc from the arena); NULL propagates. A string result
  // borrows from `row`, from this expression, or from `arena`.
  datum eval(std::span<const datum> row, string_arena& arena) const {
    return eval_node(static_cast<uint32_t>(nodes_.size() - 1), row, arena);
  }

 private:
  enum class opcode : uint8_t;  // defined in expression.cpp
  class compiler;

  struct node {
    opcode op;
    dtype type;       // the result type
    uint8_t cmp = 0;  // comparisons: bit c + 1 is set if the three-way result c (-1, 0, 1) passes
    uint32_t a = 0;   // first operand (node index); the column index; the constant's index/offset
    uint32_t b = 0;   // second operand (node index); a string constant's size
  };

  expression() = default;

  datum eval_node(uint32_t index, std::span<const datum> row, string_arena& arena) const;
  // eval_node, with columns and constants (most operands) read without a call.
  datum operand(uint32_t index, std::span<const datum> row, string_arena& arena) const;
  // Evaluates both operands of `n` into x and y; false (y not evaluated) once one is NULL.
  bool operands(const node& n, std::span<const datum> row, string_arena& arena, datum& x,
                datum& y) const;

  std::vector<node> nodes_;      // children before parents; the root is last
  std::vector<datum> constants_;  // non-string constants
  std::string strings_;           // string constants, as (offset, size) in their nodes
  absl::TimeZone zone_;
};

}  // namespace sluice::ops

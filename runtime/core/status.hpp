// Status propagation for functions returning absl::Status / absl::StatusOr<T>. The Debian abseil
// has no macros of its own; these follow Arrow's ARROW_RETURN_NOT_OK / ARROW_ASSIGN_OR_RAISE.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#define SLUICE_CONCAT_INNER(a, b) a##b
#define SLUICE_CONCAT(a, b) SLUICE_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define SLUICE_RETURN_IF_ERROR(expr)                \
  do {                                              \
    if (::absl::Status sluice_status_ = (expr);     \
        !sluice_status_.ok())                       \
      return sluice_status_;                        \
  } while (false)

// Evaluates `rexpr` (a StatusOr); returns its status unless OK, else moves its value into `lhs`,
// which may be a declaration: SLUICE_ASSIGN_OR_RETURN(auto table, store.find_table(name));
#define SLUICE_ASSIGN_OR_RETURN(lhs, rexpr)                                        \
  SLUICE_ASSIGN_OR_RETURN_IMPL(SLUICE_CONCAT(sluice_statusor_, __LINE__), lhs, rexpr)

#define SLUICE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

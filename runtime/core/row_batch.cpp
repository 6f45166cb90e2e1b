#include "runtime/core/row_batch.hpp"

#include <fmt/format.h>

namespace sluice {

std::string_view op_name(change_op op) {
  switch (op) {
    case change_op::put: return "put";
    case change_op::update: return "update";
    case change_op::delete_: return "delete";
  }
  return "?";
}

row_batch::row_batch(std::shared_ptr<const table_schema> schema)
    : schema_(std::move(schema)), width_(schema_->column_count()) {}

size_t row_batch::add_row(change_op op) {
  ops_.push_back(op);
  values_.resize(values_.size() + width_);
  set_.resize(set_.size() + width_, 0);
  return ops_.size() - 1;
}

row_batch row_batch::slice(size_t first, size_t count) const {
  row_batch out(schema_);
  out.ops_.assign(ops_.begin() + first, ops_.begin() + first + count);
  out.values_.assign(values_.begin() + first * width_, values_.begin() + (first + count) * width_);
  out.set_.assign(set_.begin() + first * width_, set_.begin() + (first + count) * width_);
  return out;
}

void row_batch::clear() {
  ops_.clear();
  values_.clear();
  set_.clear();
}

absl::Status row_batch::validate() const {
  for (size_t row = 0; row < size(); ++row) {
    for (size_t column = 0; column < width_; ++column) {
      const auto& def = schema_->column(column);
      if (schema_->is_key(column) && (!is_set(row, column) || is_null(get(row, column))))
        return absl::InvalidArgumentError(fmt::format("row {}: key column '{}' of {} is missing",
                                                       row + 1, def.name, schema_->name()));
      if (is_set(row, column) && !fits(get(row, column), def.type))
        return absl::InvalidArgumentError(
            fmt::format("row {}, column '{}': expected {}, got {}", row + 1, def.name,
                        type_name(def.type), kind_name(get(row, column))));
    }
  }
  return absl::OkStatus();
}

}  // namespace sluice

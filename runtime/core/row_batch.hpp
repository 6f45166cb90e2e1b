// A batch of row changes to one table, as the store applies it: one atomic write.
// Values are kept flat (row-major), so filling a batch of thousands of rows allocates only for
// strings longer than the small-string buffer.
#pragma once

#include <absl/status/status.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/core/table_schema.hpp"
#include "runtime/core/value.hpp"

namespace sluice {

enum class change_op : uint8_t {
  put,     // insert or overwrite: columns not set become NULL
  update,  // change the set columns, keep the others; a missing row is created
  delete_  // only the key columns are used
};

// "put", "update", "delete"
std::string_view op_name(change_op op);

class row_batch {
 public:
  explicit row_batch(std::shared_ptr<const table_schema> schema);

  const table_schema& schema() const { return *schema_; }
  const std::shared_ptr<const table_schema>& schema_ptr() const { return schema_; }

  // Appends a row with every column unset; returns its index.
  size_t add_row(change_op op);
  void set(size_t row, size_t column, value v) {
    values_[row * width_ + column] = std::move(v);
    set_[row * width_ + column] = 1;
  }

  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  change_op op(size_t row) const { return ops_[row]; }
  const value& get(size_t row, size_t column) const { return values_[row * width_ + column]; }
  bool is_set(size_t row, size_t column) const { return set_[row * width_ + column] != 0; }
  void clear();
  // Rows first .. first+count-1 as a batch of their own.
  row_batch slice(size_t first, size_t count) const;

  // Checks every row against the schema: each key column set and not NULL, each set value of the
  // column's type. The error names the row (1-based within the batch) and the column.
  absl::Status validate() const;

 private:
  std::shared_ptr<const table_schema> schema_;
  size_t width_;
  std::vector<change_op> ops_;
  std::vector<value> values_;
  std::vector<uint8_t> set_;
};

}  // namespace sluice

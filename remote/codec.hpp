// The Cap'n Proto forms (schemas/store.capnp, change.capnp) of what a remote store call carries
// beyond the store's own records: row batches, catalog ops, channel reads and pages of scanned
// rows, as the bytes of one flat message. Decoding never trusts its input: bad bytes give
// InvalidArgument, never an exception.
#pragma once

#include <absl/functional/function_ref.h>
#include <absl/status/statusor.h>

#include <span>
#include <vector>

#include "runtime/core/row_batch.hpp"
#include "runtime/store/catalog_op.hpp"
#include "runtime/store/change_batch.hpp"

namespace sluice::remote {

using bytes = std::vector<char>;

// The batch with the schema it was made for (the store checks that table is still live).
bytes encode_row_batch(const row_batch& batch);
absl::StatusOr<row_batch> decode_row_batch(const bytes& message);

bytes encode_catalog_ops(std::span<const store::catalog_op> ops);
absl::StatusOr<std::vector<store::catalog_op>> decode_catalog_ops(const bytes& message);

// Rows as cells, row-major.
bytes encode_row_page(std::span<const value> cells);
// Calls fn with each row of `width` cells.
absl::Status decode_row_page(const bytes& message, size_t width,
                             absl::FunctionRef<absl::Status(std::span<const value>)> fn);

}  // namespace sluice::remote

#include "remote/codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <kj/exception.h>

#include <cstring>

#include "runtime/core/reader_options.hpp"
#include "runtime/core/status.hpp"
#include "runtime/core/wire_value.hpp"
#include "runtime/store/record_codec.hpp"
#include "schemas/store.capnp.h"

namespace sluice::remote {
namespace {

bytes to_bytes(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto chars = words.asChars();
  return bytes(chars.begin(), chars.end());
}

// Runs fn(root) over `message` copied to aligned memory (received bytes lack word alignment);
// decode faults become InvalidArgument naming `what`.
template <typename T, typename F>
auto read_message(const bytes& message, std::string_view what, F&& fn)
    -> decltype(fn(std::declval<typename T::Reader>())) {
  if (message.size() % sizeof(capnp::word) != 0)
    return absl::InvalidArgumentError(fmt::format("a received {} is truncated", what));
  auto words = kj::heapArray<capnp::word>(message.size() / sizeof(capnp::word));
  if (!message.empty()) std::memcpy(words.begin(), message.data(), message.size());
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr(), reader_options_for(message.size()));
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("a received {} cannot be decoded: {}", what, e.getDescription().cStr()));
  }
}

}  // namespace

bytes encode_row_batch(const row_batch& batch) {
  const size_t rows = batch.size(), width = batch.schema().column_count();
  capnp::MallocMessageBuilder message(std::max<size_t>(1024, rows * width * 4));
  auto root = message.initRoot<wire::RowBatch>();
  batch.schema().to_wire(root.initTable());
  auto ops = root.initOps(rows);
  auto cells = root.initCells(rows * width);
  auto set = root.initSet(rows * width);
  for (size_t row = 0; row < rows; ++row) {
    ops.set(row, sluice::to_wire(batch.op(row)));
    for (size_t column = 0; column < width; ++column) {
      if (!batch.is_set(row, column)) continue;
      sluice::to_wire(batch.get(row, column), cells[row * width + column]);
      set.set(row * width + column, true);
    }
  }
  return to_bytes(message);
}

absl::StatusOr<row_batch> decode_row_batch(const bytes& message) {
  return read_message<wire::RowBatch>(
      message, "row batch", [](wire::RowBatch::Reader root) -> absl::StatusOr<row_batch> {
        SLUICE_ASSIGN_OR_RETURN(auto schema, table_schema::from_wire(root.getTable()));
        row_batch batch(std::make_shared<const table_schema>(std::move(schema)));
        auto ops = root.getOps();
        auto cells = root.getCells();
        auto set = root.getSet();
        const size_t width = batch.schema().column_count();
        if (cells.size() != ops.size() * width || set.size() != cells.size())
          return absl::InvalidArgumentError(fmt::format(
              "a received row batch has {} cells for {} rows of {} columns", cells.size(),
              ops.size(), width));
        for (size_t row = 0; row < ops.size(); ++row) {
          batch.add_row(sluice::from_wire(ops[row]));
          for (size_t column = 0; column < width; ++column)
            if (set[row * width + column])
              batch.set(row, column, sluice::from_wire(cells[row * width + column]));
        }
        return batch;
      });
}

bytes encode_catalog_ops(std::span<const store::catalog_op> ops) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<wire::CatalogOps>().initOps(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    auto out = list[i];
    if (auto* create = std::get_if<store::create_table_op>(&ops[i])) {
      out.setKind(wire::CatalogOp::Kind::CREATE_TABLE);
      out.setTable(create->name);
      auto columns = out.initColumns(create->columns.size());
      for (size_t c = 0; c < create->columns.size(); ++c) {
        columns[c].setName(create->columns[c].name);
        columns[c].setType(to_wire_type(create->columns[c].type));
      }
      auto key = out.initPrimaryKey(create->primary_key.size());
      for (size_t k = 0; k < create->primary_key.size(); ++k) key.set(k, create->primary_key[k]);
      out.setChannels(create->channels);
      out.setIfExistence(create->if_not_exists);
    } else if (auto* drop = std::get_if<store::drop_table_op>(&ops[i])) {
      out.setKind(wire::CatalogOp::Kind::DROP_TABLE);
      out.setTable(drop->name);
      out.setIfExistence(drop->if_exists);
    } else if (auto* create_tunnel = std::get_if<store::create_tunnel_op>(&ops[i])) {
      out.setKind(wire::CatalogOp::Kind::CREATE_TUNNEL);
      out.setTable(create_tunnel->table);
      out.setTunnel(create_tunnel->name);
      out.setTunnelType(store::to_wire_type(create_tunnel->type));
      out.setIfExistence(create_tunnel->if_not_exists);
    } else if (auto* drop_tunnel = std::get_if<store::drop_tunnel_op>(&ops[i])) {
      out.setKind(wire::CatalogOp::Kind::DROP_TUNNEL);
      out.setTable(drop_tunnel->table);
      out.setTunnel(drop_tunnel->name);
      out.setIfExistence(drop_tunnel->if_exists);
    }
  }
  return to_bytes(message);
}

absl::StatusOr<std::vector<store::catalog_op>> decode_catalog_ops(const bytes& message) {
  return read_message<wire::CatalogOps>(
      message, "catalog change",
      [](wire::CatalogOps::Reader root) -> absl::StatusOr<std::vector<store::catalog_op>> {
        std::vector<store::catalog_op> ops;
        for (auto op : root.getOps()) {
          switch (op.getKind()) {
            case wire::CatalogOp::Kind::CREATE_TABLE: {
              store::create_table_op create{op.getTable(), {}, {}, op.getChannels(),
                                            op.getIfExistence()};
              for (auto column : op.getColumns())
                create.columns.push_back({column.getName(), from_wire_type(column.getType())});
              for (auto key : op.getPrimaryKey()) create.primary_key.emplace_back(key);
              ops.emplace_back(std::move(create));
              break;
            }
            case wire::CatalogOp::Kind::DROP_TABLE:
              ops.emplace_back(store::drop_table_op{op.getTable(), op.getIfExistence()});
              break;
            case wire::CatalogOp::Kind::CREATE_TUNNEL:
              ops.emplace_back(store::create_tunnel_op{op.getTable(), op.getTunnel(),
                                                       store::from_wire_type(op.getTunnelType()),
                                                       op.getIfExistence()});
              break;
            case wire::CatalogOp::Kind::DROP_TUNNEL:
              ops.emplace_back(
                  store::drop_tunnel_op{op.getTable(), op.getTunnel(), op.getIfExistence()});
              break;
          }
        }
        return ops;
      });
}

bytes encode_row_page(std::span<const value> cells) {
  capnp::MallocMessageBuilder message(std::max<size_t>(1024, cells.size() * 4));
  sluice::to_wire(cells, message.initRoot<wire::RowPage>().initCells(cells.size()));
  return to_bytes(message);
}

absl::Status decode_row_page(const bytes& message, size_t width,
                             absl::FunctionRef<absl::Status(std::span<const value>)> fn) {
  return read_message<wire::RowPage>(
      message, "page of rows", [&](wire::RowPage::Reader root) -> absl::Status {
        auto cells = root.getCells();
        if (width == 0 || cells.size() % width != 0)
          return absl::InvalidArgumentError(fmt::format(
              "a received page of {} cells is not made of rows of {}", cells.size(), width));
        std::vector<value> row(width);
        for (size_t first = 0; first < cells.size(); first += width) {
          for (size_t c = 0; c < width; ++c) row[c] = sluice::from_wire(cells[first + c]);
          SLUICE_RETURN_IF_ERROR(fn(row));
        }
        return absl::OkStatus();
      });
}

}  // namespace sluice::remote

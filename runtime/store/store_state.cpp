#include "runtime/store/store_state.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <kj/exception.h>

#include <cstring>

#include "runtime/core/reader_options.hpp"

namespace sluice::store {
namespace {

std::string to_bytes(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asChars();
  return std::string(bytes.begin(), bytes.size());
}

// Runs fn(root) over a flat message copied to aligned memory, turning decode faults into DataLoss.
template <typename T, typename F>
auto read_message(std::string_view bytes, std::string_view what, F&& fn)
    -> decltype(fn(std::declval<typename T::Reader>())) {
  if (bytes.size() % sizeof(capnp::word) != 0)
    return absl::DataLossError(fmt::format("stored {} is truncated", what));
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  if (!bytes.empty()) std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr(), reader_options_for(bytes.size()));
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    return absl::DataLossError(
        fmt::format("stored {} cannot be decoded: {}", what, e.getDescription().cStr()));
  }
}

}  // namespace

absl::Status from_rocksdb(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  auto message = fmt::format("{}: {}", what, status.ToString());
  if (status.IsIOError() || status.IsBusy() || status.IsTimedOut() || status.IsTryAgain())
    return absl::UnavailableError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsNotFound()) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

std::string encode_table(const table_schema& schema) {
  capnp::MallocMessageBuilder message;
  schema.to_wire(message.initRoot<wire::TableDef>());
  return to_bytes(message);
}

absl::StatusOr<table_schema> decode_table(std::string_view bytes) {
  return read_message<wire::TableDef>(
      bytes, "table definition",
      [](wire::TableDef::Reader def) -> absl::StatusOr<table_schema> {
        return table_schema::from_wire(def);
      });
}

wire::TunnelType to_wire_type(tunnel_type type) {
  switch (type) {
    case tunnel_type::stream: return wire::TunnelType::STREAM;
    case tunnel_type::base: return wire::TunnelType::BASE;
    case tunnel_type::base_and_stream: return wire::TunnelType::BASE_AND_STREAM;
  }
  return wire::TunnelType::STREAM;
}

tunnel_type from_wire_type(wire::TunnelType type) {
  switch (type) {
    case wire::TunnelType::STREAM: return tunnel_type::stream;
    case wire::TunnelType::BASE: return tunnel_type::base;
    case wire::TunnelType::BASE_AND_STREAM: return tunnel_type::base_and_stream;
  }
  return tunnel_type::stream;
}

std::string encode_tunnel(const tunnel_info& tunnel) {
  capnp::MallocMessageBuilder message;
  auto def = message.initRoot<wire::TunnelDef>();
  def.setId(tunnel.id);
  def.setName(tunnel.name);
  def.setType(to_wire_type(tunnel.type));
  auto start = def.initStartOffsets(tunnel.start_offsets.size());
  for (size_t i = 0; i < tunnel.start_offsets.size(); ++i) start.set(i, tunnel.start_offsets[i]);
  auto committed = def.initCommittedOffsets(tunnel.committed_offsets.size());
  for (size_t i = 0; i < tunnel.committed_offsets.size(); ++i)
    committed.set(i, tunnel.committed_offsets[i]);
  def.setCreatedMs(tunnel.created_ms);
  return to_bytes(message);
}

absl::StatusOr<tunnel_info> decode_tunnel(std::string_view bytes) {
  return read_message<wire::TunnelDef>(
      bytes, "tunnel", [](wire::TunnelDef::Reader def) -> absl::StatusOr<tunnel_info> {
        tunnel_info tunnel;
        tunnel.id = def.getId();
        tunnel.name = def.getName();
        tunnel.type = from_wire_type(def.getType());
        for (uint64_t offset : def.getStartOffsets()) tunnel.start_offsets.push_back(offset);
        for (uint64_t offset : def.getCommittedOffsets()) tunnel.committed_offsets.push_back(offset);
        tunnel.created_ms = def.getCreatedMs();
        return tunnel;
      });
}

std::string encode_offsets(const std::vector<uint64_t>& offsets) {
  std::string out(offsets.size() * 8, '\0');
  std::memcpy(out.data(), offsets.data(), out.size());
  return out;
}

absl::StatusOr<std::vector<uint64_t>> decode_offsets(std::string_view bytes, size_t channels) {
  if (bytes.size() != channels * 8)
    return absl::DataLossError(fmt::format("stored end offsets have {} bytes, expected {}",
                                           bytes.size(), channels * 8));
  std::vector<uint64_t> offsets(channels);
  if (channels > 0) std::memcpy(offsets.data(), bytes.data(), bytes.size());
  return offsets;
}

}  // namespace sluice::store

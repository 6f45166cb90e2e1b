// The store's key layout, internal to runtime/store. Integers are big endian so that keys sort
// numerically.
//   meta (default column family)
//     "N"                          -> next table id (u32)
//     "T" name                     -> TableDef
//     "E" table_id                 -> end offset of each channel (u64 little endian each)
//     "U" table_id name            -> TunnelDef
//     "C" job                      -> the job's last complete checkpoint
//     "S" job \0 checkpoint(u64) part(u32) chunk(u32) -> a piece of a reducer snapshot
//     "I" job \0 checkpoint(u64) epoch(u64) part(u32) chunk(u32) -> a piece of a sink intent
//     "J" name                     -> a cluster job's record (JSON)
//     "B" job                      -> when the job first started (i64 Unix micros, big endian)
//     "W" client                   -> a remote client's unanswered writes: answered_below, then
//                                     (seq, changed, unchanged) per write (u64 little endian)
//   rows:  table_id channel(u16) primary key (key_codec) -> row (row_codec)
//   log:   table_id channel(u16) first offset(u64)       -> ChangeSegment
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::store::keys {

inline void append_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
inline void append_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
inline void append_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
inline uint64_t read_u64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}
inline uint32_t read_u32(std::string_view bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

inline const std::string next_table_id = "N";
// The version of the change log's record format (see log_format in store.cpp).
inline const std::string log_format = "F";

inline std::string table(std::string_view name) { return "T" + std::string(name); }

inline std::string ends(uint32_t table_id) {
  std::string key = "E";
  append_u32(key, table_id);
  return key;
}

inline std::string tunnels_of(uint32_t table_id) {
  std::string key = "U";
  append_u32(key, table_id);
  return key;
}
inline std::string tunnel(uint32_t table_id, std::string_view name) {
  return tunnels_of(table_id) + std::string(name);
}

inline const std::string jobs = "J";
inline std::string job(std::string_view name) { return jobs + std::string(name); }

inline std::string job_start(std::string_view job) { return "B" + std::string(job); }

inline std::string client_writes(std::string_view client) { return "W" + std::string(client); }
// Where a mirror stands in its source system (source_position).
inline std::string source_position(std::string_view source) { return "M" + std::string(source); }

inline std::string job_checkpoint(std::string_view job) { return "C" + std::string(job); }
inline std::string job_snapshots(std::string_view job) {
  std::string key = "S" + std::string(job);
  key.push_back('\0');
  return key;
}
inline std::string job_snapshot(std::string_view job, uint64_t checkpoint_id, uint32_t part) {
  std::string key = job_snapshots(job);
  append_u64(key, checkpoint_id);
  append_u32(key, part);
  return key;
}

inline std::string job_sink_intents(std::string_view job) {
  std::string key = "I" + std::string(job);
  key.push_back('\0');
  return key;
}
inline std::string job_sink_intent(std::string_view job, uint64_t checkpoint_id, uint64_t epoch,
                                   uint32_t part) {
  std::string key = job_sink_intents(job);
  append_u64(key, checkpoint_id);
  append_u64(key, epoch);
  append_u32(key, part);
  return key;
}

// The prefix shared by a table's rows (or log) in one channel; with channel = channels, the
// bound one past the last channel.
inline void append_channel_prefix(std::string& out, uint32_t table_id, uint32_t channel) {
  append_u32(out, table_id);
  append_u16(out, static_cast<uint16_t>(channel));
}
inline std::string channel_prefix(uint32_t table_id, uint32_t channel) {
  std::string key;
  append_channel_prefix(key, table_id, channel);
  return key;
}
inline constexpr size_t channel_prefix_size = 6;

inline std::string table_prefix(uint32_t table_id) {
  std::string key;
  append_u32(key, table_id);
  return key;
}

inline std::string segment(uint32_t table_id, uint32_t channel, uint64_t first_offset) {
  std::string key = channel_prefix(table_id, channel);
  append_u64(key, first_offset);
  return key;
}

}  // namespace sluice::store::keys

// The messages between a store client (store_client) and `sluice store` (store_server). Only CAF
// built-in types travel: strings, integers, std::vector<std::string>, and Cap'n Proto bytes in a
// std::vector<char> (codec.hpp) or, for the store's own records, a std::string
// (runtime/store/record_codec.hpp). A `table` is (std::string name, uint32_t id): the store
// uses its own definition of it, refusing a table dropped or recreated since the client learnt
// of it, so no definition travels with a call (a row batch carries its own, the one it was
// checked against); a fence is (std::string job, uint64_t epoch).
//
// Every request is an asynchronous message; the answer comes back to its sender as
// (answer_atom, caf::message content), the content being
//   (ok_atom, results...)                or
//   (error_atom, uint32_t code, std::string message[, uint64_t failed_op])
// where code and message are the absl::Status the store returned (failed_op: apply_catalog).
// A client monitors the actor it asks, so that a lost connection ends the wait at once.
//
//   to the published server actor:
//   (connect_atom, caf::actor client)           -> caf::actor session, serving this client
//                                                  until `client` is down
//   to a session:
//   (catalog_atom, bytes ops)                   -> std::vector<std::string> lines
//   (find_atom, std::string name)               -> std::string table
//   (write_atom, bytes row_batch, fence, std::string client, uint64_t seq,
//    uint64_t answered_below)                   -> uint64_t changed, uint64_t unchanged
//   (write_at_atom, bytes row_batch, std::string source, std::string position, std::string client,
//    uint64_t seq, uint64_t answered_below)     -> uint64_t changed, uint64_t unchanged
//   (position_atom, std::string source)         -> std::string position
//   (ends_atom, table)                          -> std::string offsets
//   (read_atom, table, uint32_t channel, uint64_t from, uint64_t max_records)
//                                               -> store::frame_bytes frame
//   (tunnels_atom, table)                       -> std::vector<std::string> tunnels
//   (tunnel_atom, table, std::string id_or_name) -> std::string tunnel
//   (put_snap_atom, std::string job, uint64_t checkpoint, uint32_t first_slot, uint32_t end_slot,
//    std::vector<uint64_t> chunk_slots, std::vector<std::string> chunks, fence)
//                                               -> (nothing)
//   (get_snap_atom, std::string job, uint64_t checkpoint, uint32_t first_slot, uint32_t end_slot)
//                                               -> std::vector<std::string> chunks
//   (put_intent_atom, std::string job, uint64_t checkpoint, uint32_t part,
//    std::vector<std::string> chunks, fence)    -> (nothing)
//   (intents_atom, std::string job)             -> std::vector<std::string> chunks
//   (complete_atom, std::string job, std::string checkpoint, table,
//    std::string tunnel_id, fence)              -> (nothing)
//   (last_cp_atom, std::string job)             -> std::string checkpoint
//   (put_job_atom, std::string job)             -> (nothing)
//   (jobs_atom)                                 -> std::vector<std::string> jobs
//   (start_atom, std::string job, int64_t now_us) -> int64_t start_us
//   (scan_atom, table, std::string after_key, uint64_t max_rows)
//                                               -> uint64_t cursor, bytes page,
//                                                  std::string last_key, bool done
//   (scan_next_atom, uint64_t cursor, uint64_t max_rows) -> the same
//   (scan_end_atom, uint64_t cursor)            -> (nothing): the cursor is dropped
// A done scan's cursor is dropped by the session; a session drops all of its own when it ends.
#pragma once

#include <caf/atom.hpp>
#include <caf/detail/type_traits.hpp>

#include "runtime/store/change_batch.hpp"

// A change batch's frame travels as one block of bytes, like std::vector<char> (and is received
// into memory that is not zeroed first). Registered as "sluice.frame" by remote::configure.
template <>
struct caf::detail::is_byte_sequence<sluice::store::frame_bytes> : std::true_type {};

namespace sluice::remote {

using answer_atom = caf::atom_constant<caf::atom("answer")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using error_atom = caf::atom_constant<caf::atom("error")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using catalog_atom = caf::atom_constant<caf::atom("catalog")>;
using find_atom = caf::atom_constant<caf::atom("findtable")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using write_at_atom = caf::atom_constant<caf::atom("writeat")>;
using position_atom = caf::atom_constant<caf::atom("position")>;
using ends_atom = caf::atom_constant<caf::atom("ends")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using tunnels_atom = caf::atom_constant<caf::atom("tunnels")>;
using tunnel_atom = caf::atom_constant<caf::atom("tunnel")>;
using put_snap_atom = caf::atom_constant<caf::atom("putsnap")>;
using get_snap_atom = caf::atom_constant<caf::atom("getsnap")>;
using put_intent_atom = caf::atom_constant<caf::atom("putintent")>;
using intents_atom = caf::atom_constant<caf::atom("intents")>;
using complete_atom = caf::atom_constant<caf::atom("complete")>;
using last_cp_atom = caf::atom_constant<caf::atom("lastcp")>;
using put_job_atom = caf::atom_constant<caf::atom("putjob")>;
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;
using start_atom = caf::atom_constant<caf::atom("jobstart")>;
using scan_atom = caf::atom_constant<caf::atom("scan")>;
using scan_next_atom = caf::atom_constant<caf::atom("scannext")>;
using scan_end_atom = caf::atom_constant<caf::atom("scanend")>;
using sessions_atom = caf::atom_constant<caf::atom("sessions")>;

}  // namespace sluice::remote

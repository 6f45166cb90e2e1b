#include "remote/store_client.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include <iostream>
#include <random>
#include <thread>
#include <tuple>
#include <utility>

#include "runtime/core/row_codec.hpp"
#include "runtime/core/status.hpp"
#include "remote/codec.hpp"
#include "remote/gate.hpp"
#include "remote/protocol.hpp"
#include "runtime/store/record_codec.hpp"

namespace sluice::remote {
namespace {

using namespace std::chrono_literals;

// Sessions per connection: concurrent callers of one client rarely queue behind each other.
constexpr size_t lanes = 4;
// A call the store does not answer in this time counts as an outage (a lost connection is seen
// sooner, through the heartbeats of remote::configure).
constexpr auto call_timeout = 30s;
// Between tries to reach a store that is away. A store back from a restart is found within a
// fifth of a second; a try against a closed port costs next to nothing.
constexpr auto first_backoff = 100ms;
constexpr auto max_backoff = 200ms;
constexpr uint64_t scan_page_rows = 4096;

std::string random_client_id() {
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
  return fmt::format("{:016x}{:016x}", random(), random());
}

// OK for an answer (ok_atom, ...); the store's status for (error_atom, code, message, ...).
absl::Status status_of(const caf::message& content) {
  if (content.match_element<ok_atom>(0)) return absl::OkStatus();
  if (content.size() >= 3 && content.match_element<error_atom>(0) &&
      content.match_element<uint32_t>(1) && content.match_element<std::string>(2))
    return absl::Status(static_cast<absl::StatusCode>(content.get_as<uint32_t>(1)),
                        content.get_as<std::string>(2));
  return absl::InternalError("the store sent an answer of an unknown form");
}

// The results of an answer (ok_atom, Ts...).
template <typename... Ts>
absl::StatusOr<std::tuple<Ts...>> results(const caf::message& content) {
  SLUICE_RETURN_IF_ERROR(status_of(content));
  if (!content.match_elements<ok_atom, Ts...>())
    return absl::InternalError("the store's answer does not fit the question");
  return [&]<size_t... I>(std::index_sequence<I...>) {
    return std::tuple<Ts...>(content.get_as<Ts>(I + 1)...);
  }(std::index_sequence_for<Ts...>{});
}

// Chunks of a snapshot or sink intent as they travel (CAF's std::string).
std::vector<std::string> as_strings(std::span<const std::vector<char>> chunks) {
  std::vector<std::string> strings;
  for (const auto& chunk : chunks) strings.emplace_back(chunk.begin(), chunk.end());
  return strings;
}

}  // namespace

store_client::store_client(caf::actor_system& system, address at)
    : system_(system), at_(std::move(at)), client_id_(random_client_id()) {}

store_client::~store_client() {
  absl::MutexLock lock(&mu_);
  if (current_.anchor) caf::anon_send_exit(current_.anchor, caf::exit_reason::user_shutdown);
}

absl::StatusOr<std::unique_ptr<store_client>> store_client::connect(
    caf::actor_system& system, const address& at, std::chrono::milliseconds patience) {
  auto client = std::unique_ptr<store_client>(new store_client(system, at));
  const auto start = std::chrono::steady_clock::now();
  for (std::chrono::milliseconds backoff = first_backoff;;
       backoff = std::min<std::chrono::milliseconds>(backoff * 2, max_backoff)) {
    auto opened = client->open_connection();
    if (absl::IsPermissionDenied(opened.status())) return opened.status();
    if (opened.ok()) {
      absl::MutexLock lock(&client->mu_);
      client->current_ = *std::move(opened);
      client->current_.generation = 1;
      return client;
    }
    auto waited = std::chrono::steady_clock::now() - start;
    if (patience != forever && waited + backoff > patience)
      return absl::UnavailableError(
          fmt::format("no store at {} (tried for {:.1f} s): {}", at.to_string(),
                      std::chrono::duration<double>(waited).count(),
                      std::string(opened.status().message())));
    std::this_thread::sleep_for(backoff);
  }
}

absl::StatusOr<store_client::connection> store_client::open_connection() const {
  SLUICE_ASSIGN_OR_RETURN(auto server, remote::connect(system_, at_));
  connection opened;
  // Lives until the client drops this connection: the server's sessions end with it.
  opened.anchor = system_.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](ok_atom) {}};
  });
  for (size_t lane = 0; lane < lanes; ++lane) {
    auto content = attempt(server, caf::make_message(connect_atom::value, opened.anchor));
    absl::StatusOr<std::tuple<caf::actor>> session =
        content ? results<caf::actor>(*content)
                : absl::UnavailableError(fmt::format("the store at {} does not answer",
                                                     at_.to_string()));
    if (!session.ok()) {
      caf::anon_send_exit(opened.anchor, caf::exit_reason::user_shutdown);
      return session.status();
    }
    opened.sessions.push_back(std::get<0>(*session));
  }
  return opened;
}

void store_client::close() { closed_ = true; }

store_client::session_ref store_client::session() const {
  absl::MutexLock lock(&mu_);
  for (std::chrono::milliseconds backoff = first_backoff; current_.sessions.empty();
       backoff = std::min<std::chrono::milliseconds>(backoff * 2, max_backoff)) {
    if (closed_) return {0, caf::actor{}};
    std::this_thread::sleep_for(backoff);
    auto opened = open_connection();
    if (!opened.ok()) continue;
    uint64_t generation = current_.generation + 1;
    current_ = *std::move(opened);
    current_.generation = generation;
    if (outage_) std::cerr << fmt::format("store at {} is back\n", at_.to_string());
    outage_ = false;
  }
  return {current_.generation, current_.sessions[next_lane_++ % current_.sessions.size()]};
}

void store_client::lost(uint64_t generation) const {
  absl::MutexLock lock(&mu_);
  if (current_.generation != generation || current_.sessions.empty()) return;
  caf::anon_send_exit(current_.anchor, caf::exit_reason::user_shutdown);
  current_.sessions.clear();
  if (!outage_) std::cerr << fmt::format("store at {} unreachable; retrying\n", at_.to_string());
  outage_ = true;
}

std::optional<caf::message> store_client::attempt(const caf::actor& to,
                                                  const caf::message& request) const {
  caf::scoped_actor self{system_};
  self->monitor(to);
  self->send(to, request);
  std::optional<caf::message> content;
  self->receive([&](answer_atom, caf::message& answer) { content = std::move(answer); },
                [&](caf::down_msg&) {}, caf::after(call_timeout) >> [] {});
  self->demonitor(to);
  return content;
}

caf::message store_client::call(const caf::message& request) const {
  for (;;) {
    auto ref = session();
    if (closed_)
      return caf::make_message(error_atom::value,
                               static_cast<uint32_t>(absl::StatusCode::kUnavailable),
                               fmt::format("the client of the store at {} is closed", at_.to_string()));
    if (auto content = attempt(ref.session, request)) return *std::move(content);
    lost(ref.generation);
  }
}

absl::StatusOr<std::vector<std::string>> store_client::apply_catalog(
    std::span<const store::catalog_op> ops, size_t* failed_op) {
  auto content = call(caf::make_message(catalog_atom::value, encode_catalog_ops(ops)));
  if (failed_op && content.match_elements<error_atom, uint32_t, std::string, uint64_t>())
    *failed_op = content.get_as<uint64_t>(3);
  SLUICE_ASSIGN_OR_RETURN(auto [lines], results<std::vector<std::string>>(content));
  return std::move(lines);
}

absl::StatusOr<std::shared_ptr<const table_schema>> store_client::find_table(
    std::string_view name) const {
  auto content = call(caf::make_message(find_atom::value, std::string(name)));
  SLUICE_ASSIGN_OR_RETURN(auto [bytes], results<std::string>(content));
  SLUICE_ASSIGN_OR_RETURN(auto table, store::decode_table(bytes));
  return std::make_shared<const table_schema>(std::move(table));
}

absl::StatusOr<store::write_result> store_client::write(const row_batch& batch,
                                                        const store::fence& by) {
  return numbered_write([&](uint64_t seq, uint64_t answered_below) {
    return caf::make_message(write_atom::value, encode_row_batch(batch), by.job, by.epoch,
                             client_id_, seq, answered_below);
  });
}

absl::StatusOr<store::write_result> store_client::write_at(const row_batch& batch,
                                                           const store::source_position& at) {
  return numbered_write([&](uint64_t seq, uint64_t answered_below) {
    return caf::make_message(write_at_atom::value, encode_row_batch(batch), at.source,
                             at.position, client_id_, seq, answered_below);
  });
}

absl::StatusOr<store::write_result> store_client::numbered_write(
    const std::function<caf::message(uint64_t seq, uint64_t answered_below)>& request) {
  uint64_t seq, answered_below;
  {
    absl::MutexLock lock(&writes_mu_);
    seq = next_seq_++;
    unanswered_.insert(seq);
    answered_below = *unanswered_.begin();
  }
  auto content = call(request(seq, answered_below));
  {
    absl::MutexLock lock(&writes_mu_);
    unanswered_.erase(seq);
  }
  SLUICE_ASSIGN_OR_RETURN(auto written, (results<uint64_t, uint64_t>(content)));
  return store::write_result{std::get<0>(written), std::get<1>(written)};
}

absl::StatusOr<std::string> store_client::source_position_of(std::string_view source) const {
  auto content = call(caf::make_message(position_atom::value, std::string(source)));
  SLUICE_ASSIGN_OR_RETURN(auto [position], results<std::string>(content));
  return position;
}

absl::StatusOr<std::vector<uint64_t>> store_client::end_offsets(const table_schema& table) const {
  auto content = call(caf::make_message(ends_atom::value, table.name(), table.id()));
  SLUICE_ASSIGN_OR_RETURN(auto [bytes], results<std::string>(content));
  return store::decode_offsets(bytes, bytes.size() / 8);
}

absl::StatusOr<store::change_batch> store_client::read_channel(const table_schema& table,
                                                               uint32_t channel, uint64_t from,
                                                               size_t max_records) const {
  auto content = call(caf::make_message(read_atom::value, table.name(), table.id(), channel, from,
                                        static_cast<uint64_t>(max_records)));
  SLUICE_RETURN_IF_ERROR(status_of(content));
  if (!content.match_elements<ok_atom, store::frame_bytes>())
    return absl::InternalError("the store's answer does not fit the question");
  // The frame is read where it was received.
  return store::change_batch::from_frame(
      std::move(content.get_mutable_as<store::frame_bytes>(1)));
}

absl::StatusOr<std::vector<store::tunnel_info>> store_client::tunnels(
    const table_schema& table) const {
  auto content = call(caf::make_message(tunnels_atom::value, table.name(), table.id()));
  SLUICE_ASSIGN_OR_RETURN(auto [encoded], results<std::vector<std::string>>(content));
  std::vector<store::tunnel_info> out;
  for (const auto& bytes : encoded) {
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, store::decode_tunnel(bytes));
    out.push_back(std::move(tunnel));
  }
  return out;
}

absl::StatusOr<store::tunnel_info> store_client::find_tunnel(const table_schema& table,
                                                             std::string_view id_or_name) const {
  auto content = call(caf::make_message(tunnel_atom::value, table.name(), table.id(),
                                        std::string(id_or_name)));
  SLUICE_ASSIGN_OR_RETURN(auto [bytes], results<std::string>(content));
  return store::decode_tunnel(bytes);
}

absl::Status store_client::put_snapshot(std::string_view job, uint64_t checkpoint_id,
                                        store::slot_range slots,
                                        std::span<const store::snapshot_chunk> chunks,
                                        const store::fence& by) {
  std::vector<uint64_t> chunk_slots;
  std::vector<std::string> bytes;
  for (const auto& chunk : chunks) {
    chunk_slots.push_back(chunk.slot);
    bytes.emplace_back(chunk.bytes.begin(), chunk.bytes.end());
  }
  return status_of(call(caf::make_message(put_snap_atom::value, std::string(job), checkpoint_id,
                                          slots.first, slots.end, std::move(chunk_slots),
                                          std::move(bytes), by.job, by.epoch)));
}

absl::StatusOr<std::vector<std::string>> store_client::get_snapshot(std::string_view job,
                                                                    uint64_t checkpoint_id,
                                                                    store::slot_range slots) const {
  auto content = call(caf::make_message(get_snap_atom::value, std::string(job), checkpoint_id,
                                        slots.first, slots.end));
  SLUICE_ASSIGN_OR_RETURN(auto [chunks], results<std::vector<std::string>>(content));
  return std::move(chunks);
}

absl::Status store_client::put_sink_intent(std::string_view job, uint64_t checkpoint_id,
                                           uint32_t part, std::span<const std::vector<char>> chunks,
                                           const store::fence& by) {
  return status_of(call(caf::make_message(put_intent_atom::value, std::string(job), checkpoint_id,
                                          part, as_strings(chunks), by.job, by.epoch)));
}

absl::StatusOr<std::vector<std::string>> store_client::sink_intents(std::string_view job) const {
  auto content = call(caf::make_message(intents_atom::value, std::string(job)));
  SLUICE_ASSIGN_OR_RETURN(auto [chunks], results<std::vector<std::string>>(content));
  return std::move(chunks);
}

absl::Status store_client::complete_checkpoint(std::string_view job, const store::checkpoint& cp,
                                               std::span<const store::source_tunnel> sources,
                                               const store::fence& by) {
  std::vector<std::string> tables, tunnels;
  std::vector<uint64_t> ids;
  for (const auto& source : sources) {
    tables.push_back(source.table->name());
    ids.push_back(source.table->id());
    tunnels.push_back(source.tunnel_id);
  }
  return status_of(call(caf::make_message(complete_atom::value, std::string(job),
                                          store::encode_checkpoint(cp), tables, ids, tunnels,
                                          by.job, by.epoch)));
}

absl::StatusOr<store::checkpoint> store_client::last_checkpoint(std::string_view job) const {
  auto content = call(caf::make_message(last_cp_atom::value, std::string(job)));
  SLUICE_ASSIGN_OR_RETURN(auto [bytes], results<std::string>(content));
  return store::decode_checkpoint(bytes);
}

absl::Status store_client::put_job(const store::job_record& job) {
  return status_of(call(caf::make_message(put_job_atom::value, store::encode_job(job))));
}

absl::StatusOr<int64_t> store_client::start_time_of(std::string_view job, int64_t now_us) {
  auto content = call(caf::make_message(start_atom::value, std::string(job), now_us));
  SLUICE_ASSIGN_OR_RETURN(auto [start], results<int64_t>(content));
  return start;
}

absl::StatusOr<std::vector<store::job_record>> store_client::jobs() const {
  auto content = call(caf::make_message(jobs_atom::value));
  SLUICE_ASSIGN_OR_RETURN(auto [encoded], results<std::vector<std::string>>(content));
  std::vector<store::job_record> out;
  for (const auto& bytes : encoded) {
    SLUICE_ASSIGN_OR_RETURN(auto job, store::decode_job(bytes));
    out.push_back(std::move(job));
  }
  return out;
}

absl::Status store_client::scan(
    const table_schema& table,
    const std::function<absl::Status(std::span<const value>)>& fn) const {
  std::string after;  // the encoded primary key of the last row delivered
  for (;;) {
    auto ref = session();
    if (closed_)
      return absl::UnavailableError(
          fmt::format("the client of the store at {} is closed", at_.to_string()));
    auto content =
        attempt(ref.session, caf::make_message(scan_atom::value, table.name(), table.id(), after, scan_page_rows));
    while (content) {
      SLUICE_ASSIGN_OR_RETURN(auto answer,
                              (results<uint64_t, bytes, std::string, bool>(*content)));
      auto& [cursor, page, last_key, done] = answer;
      if (auto delivered = decode_row_page(page, table.column_count(), fn); !delivered.ok()) {
        if (!done) attempt(ref.session, caf::make_message(scan_end_atom::value, cursor));
        return delivered;
      }
      if (done) return absl::OkStatus();
      after = std::move(last_key);
      content = attempt(ref.session, caf::make_message(scan_next_atom::value, cursor, scan_page_rows));
    }
    lost(ref.generation);
  }
}

absl::Status store_client::scan_images(const table_schema& table, unsigned,
                                       const image_fn& fn) const {
  std::string image;
  return scan(table, [&](std::span<const value> row) {
    image.clear();
    encode_row(row, image);
    return fn(0, image);
  });
}

}  // namespace sluice::remote

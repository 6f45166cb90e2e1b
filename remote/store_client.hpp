// The store served by `sluice store`, used through store::api as if it were open here.
//
// Contract (beyond store::api):
// - Every call is a request with a finite timeout to a session of the server (several per
//   client, so concurrent callers rarely wait for each other). When the store is unreachable
//   (the connection lost, the server down or not answering), the client reconnects with backoff
//   (100 ms doubling to 2 s) and sends the call again, forever: a caller only ever sees the
//   store's own answers. It prints one line to stderr when an outage starts ("store at H:P
//   unreachable; retrying") and one when it ends ("store at H:P is back").
// - Writes are numbered (a random client id and a sequence number), so a write sent again after
//   an outage is applied once (store::write with a client_write).
// - A scan reads pages from a snapshot on the server; if the connection is lost in the middle,
//   it goes on after the last row delivered, from a snapshot taken then.
// - Thread-safe. Each call blocks its thread (a caf::scoped_actor per call), which is fine from
//   inside event-based actors too: it does not need a scheduler thread to complete.
#pragma once

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/message.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>

#include "remote/address.hpp"
#include "runtime/store/api.hpp"

namespace sluice::remote {

class store_client final : public store::api {
 public:
  static constexpr std::chrono::milliseconds forever = std::chrono::milliseconds::max();

  // Connects to the store at `at`, trying with backoff for up to `patience` (or forever);
  // then Unavailable naming the address. PermissionDenied at once when the store refuses this
  // process's key or asks for one it was not given (remote/gate.hpp). `system` is configured with remote::configure and
  // outlives the client.
  static absl::StatusOr<std::unique_ptr<store_client>> connect(caf::actor_system& system,
                                                               const address& at,
                                                               std::chrono::milliseconds patience);
  ~store_client() override;

  // Makes every call, waiting or to come, end with Unavailable instead of retrying: for a
  // process shutting down while its store is away, whose actors would otherwise wait forever.
  void close();

  absl::StatusOr<std::vector<std::string>> apply_catalog(std::span<const store::catalog_op> ops,
                                                         size_t* failed_op = nullptr) override;
  absl::StatusOr<std::shared_ptr<const table_schema>> find_table(
      std::string_view name) const override;
  absl::StatusOr<store::write_result> write(const row_batch& batch,
                                            const store::fence& by = {}) override;
  absl::StatusOr<store::write_result> write_at(const row_batch& batch,
                                               const store::source_position& at) override;
  absl::StatusOr<std::string> source_position_of(std::string_view source) const override;
  absl::StatusOr<std::vector<uint64_t>> end_offsets(const table_schema& table) const override;
  absl::StatusOr<store::change_batch> read_channel(const table_schema& table, uint32_t channel,
                                                   uint64_t from,
                                                   size_t max_records) const override;
  absl::StatusOr<std::vector<store::tunnel_info>> tunnels(const table_schema& table) const override;
  absl::StatusOr<store::tunnel_info> find_tunnel(const table_schema& table,
                                                 std::string_view id_or_name) const override;
  absl::Status put_snapshot(std::string_view job, uint64_t checkpoint_id, store::slot_range slots,
                            std::span<const store::snapshot_chunk> chunks,
                            const store::fence& by = {}) override;
  absl::StatusOr<std::vector<std::string>> get_snapshot(std::string_view job,
                                                        uint64_t checkpoint_id,
                                                        store::slot_range slots) const override;
  absl::Status put_sink_intent(std::string_view job, uint64_t checkpoint_id, uint32_t part,
                               std::span<const std::vector<char>> chunks,
                               const store::fence& by = {}) override;
  absl::StatusOr<std::vector<std::string>> sink_intents(std::string_view job) const override;
  absl::Status complete_checkpoint(std::string_view job, const store::checkpoint& cp,
                                   std::span<const store::source_tunnel> sources,
                                   const store::fence& by = {}) override;
  absl::StatusOr<store::checkpoint> last_checkpoint(std::string_view job) const override;
  absl::Status put_job(const store::job_record& job) override;
  absl::StatusOr<std::vector<store::job_record>> jobs() const override;
  absl::StatusOr<int64_t> start_time_of(std::string_view job, int64_t now_us) override;
  absl::Status scan(const table_schema& table,
                    const std::function<absl::Status(std::span<const value>)>& fn) const override;
  // One reader: the pages of scan(), re-encoded.
  absl::Status scan_images(const table_schema& table, unsigned readers,
                           const image_fn& fn) const override;

 private:
  // One connection to the server: its sessions serve this client until `anchor` ends.
  struct connection {
    uint64_t generation = 0;
    caf::actor anchor;
    std::vector<caf::actor> sessions;
  };
  struct session_ref {
    uint64_t generation;
    caf::actor session;
  };

  store_client(caf::actor_system& system, address at);
  // Numbers a write (see store::client_write) and sends request(seq, answered_below).
  absl::StatusOr<store::write_result> numbered_write(
      const std::function<caf::message(uint64_t seq, uint64_t answered_below)>& request);
  // One connection attempt; the reason it failed otherwise.
  absl::StatusOr<connection> open_connection() const;
  // A session of the current connection, reconnecting first (forever) when there is none; an
  // empty one once closed.
  session_ref session() const;
  // Reports that the connection of `generation` failed: it is dropped (once).
  void lost(uint64_t generation) const;
  // Sends `request` to `to` and waits for its answer's content; nothing when `to` is
  // unreachable: down, or silent for the call timeout.
  std::optional<caf::message> attempt(const caf::actor& to, const caf::message& request) const;
  // `request` to a session, sent again over a new connection until it is answered.
  caf::message call(const caf::message& request) const;

  caf::actor_system& system_;
  const address at_;
  const std::string client_id_;
  mutable absl::Mutex mu_;
  mutable connection current_ ABSL_GUARDED_BY(mu_);
  mutable bool outage_ ABSL_GUARDED_BY(mu_) = false;
  mutable std::atomic<uint64_t> next_lane_{0};
  std::atomic<bool> closed_{false};
  absl::Mutex writes_mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(writes_mu_) = 1;
  std::set<uint64_t> unanswered_ ABSL_GUARDED_BY(writes_mu_);
};

}  // namespace sluice::remote

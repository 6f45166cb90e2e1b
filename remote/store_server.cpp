#include "remote/store_server.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include <map>

#include "runtime/core/status.hpp"
#include "remote/codec.hpp"
#include "remote/protocol.hpp"
#include "runtime/store/record_codec.hpp"

namespace sluice::remote {
namespace {

caf::message answer(caf::message content) {
  return caf::make_message(answer_atom::value, std::move(content));
}

template <typename... Ts>
caf::message ok(Ts&&... results) {
  return answer(caf::make_message(ok_atom::value, std::forward<Ts>(results)...));
}

caf::message failure(const absl::Status& status) {
  return answer(caf::make_message(error_atom::value, static_cast<uint32_t>(status.code()),
                                  std::string(status.message())));
}

// The answer fn() gives, its error, or Internal for an exception: one escaping a handler would
// kill the session.
template <typename F>
caf::message answer_with(F&& fn) {
  try {
    absl::StatusOr<caf::message> result = fn();
    return result.ok() ? *std::move(result) : failure(result.status());
  } catch (const std::exception& e) {
    return failure(absl::InternalError(fmt::format("the store failed: {}", e.what())));
  } catch (...) {
    return failure(absl::InternalError("the store failed with an unknown exception"));
  }
}

store::fence fence_of(const std::string& job, uint64_t epoch) { return {job, epoch}; }

// Chunks of a snapshot or sink intent as the store takes them.
std::vector<std::vector<char>> as_chunks(const std::vector<std::string>& strings) {
  std::vector<std::vector<char>> chunks;
  for (const auto& s : strings) chunks.emplace_back(s.begin(), s.end());
  return chunks;
}

// The table a client names by name and id: the store's own definition, if that table is still
// the live one of that name (ids are never reused, so the definitions agree).
absl::StatusOr<std::shared_ptr<const table_schema>> table_named(const store::store& db,
                                                                const std::string& name,
                                                                uint32_t id) {
  auto table = db.find_table(name);
  if ((!table.ok() && absl::IsNotFound(table.status())) || (table.ok() && (*table)->id() != id))
    return absl::FailedPreconditionError(fmt::format("table {} was dropped or recreated", name));
  return table;
}

struct session_state {
  std::map<uint64_t, std::unique_ptr<store::scan_cursor>> cursors;
  uint64_t next_cursor = 1;
};

using session_actor = caf::stateful_actor<session_state>;

// The next page of an open scan: (cursor, page, last key, done); a done cursor is dropped.
absl::StatusOr<caf::message> scan_page(session_actor* self, uint64_t id, uint64_t max_rows) {
  auto it = self->state.cursors.find(id);
  if (it == self->state.cursors.end())
    return absl::NotFoundError(fmt::format("scan {} is not open in this session", id));
  std::vector<value> cells;
  SLUICE_RETURN_IF_ERROR(it->second->read(max_rows, [&](std::span<const value> row) {
    cells.insert(cells.end(), row.begin(), row.end());
    return absl::OkStatus();
  }));
  std::string last_key = it->second->last_key();
  bool done = it->second->done();
  if (done) self->state.cursors.erase(it);
  return ok(id, encode_row_page(cells), std::move(last_key), done);
}

// Serves one client connection until `client` is down (the connection lost or the client gone).
caf::behavior session(session_actor* self, store::store* db, caf::actor client) {
  self->monitor(client);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  return {
      [=](catalog_atom, const bytes& message) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto ops, decode_catalog_ops(message));
          size_t failed_op = 0;
          auto done = db->apply_catalog(ops, &failed_op);
          if (!done.ok())
            return answer(caf::make_message(error_atom::value,
                                            static_cast<uint32_t>(done.status().code()),
                                            std::string(done.status().message()),
                                            static_cast<uint64_t>(failed_op)));
          return ok(*std::move(done));
        });
      },
      [=](find_atom, const std::string& name) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto table, db->find_table(name));
          return ok(store::encode_table(*table));
        });
      },
      [=](write_atom, const bytes& message, const std::string& job, uint64_t epoch,
          const std::string& client_id, uint64_t seq, uint64_t answered_below) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto batch, decode_row_batch(message));
          SLUICE_ASSIGN_OR_RETURN(auto written,
                                  db->write(batch, fence_of(job, epoch),
                                            store::client_write{client_id, seq, answered_below}));
          return ok(static_cast<uint64_t>(written.changed), static_cast<uint64_t>(written.unchanged));
        });
      },
      [=](write_at_atom, const bytes& message, const std::string& source,
          const std::string& position, const std::string& client_id, uint64_t seq,
          uint64_t answered_below) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto batch, decode_row_batch(message));
          SLUICE_ASSIGN_OR_RETURN(auto written,
                                  db->write_at(batch, store::source_position{source, position},
                                               store::client_write{client_id, seq, answered_below}));
          return ok(static_cast<uint64_t>(written.changed), static_cast<uint64_t>(written.unchanged));
        });
      },
      [=](position_atom, const std::string& source) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto position, db->source_position_of(source));
          return ok(std::move(position));
        });
      },
      [=](ends_atom, const std::string& table, uint32_t table_id) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto schema, table_named(*db, table, table_id));
          SLUICE_ASSIGN_OR_RETURN(auto ends, db->end_offsets(*schema));
          return ok(store::encode_offsets(ends));
        });
      },
      [=](read_atom, const std::string& table, uint32_t table_id, uint32_t channel, uint64_t from, uint64_t max_records) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto schema, table_named(*db, table, table_id));
          SLUICE_ASSIGN_OR_RETURN(auto batch, db->read_channel(*schema, channel, from, max_records));
          return ok(std::move(batch).release_frame());
        });
      },
      [=](tunnels_atom, const std::string& table, uint32_t table_id) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto schema, table_named(*db, table, table_id));
          SLUICE_ASSIGN_OR_RETURN(auto tunnels, db->tunnels(*schema));
          std::vector<std::string> encoded;
          for (const auto& tunnel : tunnels) encoded.push_back(store::encode_tunnel(tunnel));
          return ok(std::move(encoded));
        });
      },
      [=](tunnel_atom, const std::string& table, uint32_t table_id, const std::string& id_or_name) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto schema, table_named(*db, table, table_id));
          SLUICE_ASSIGN_OR_RETURN(auto tunnel, db->find_tunnel(*schema, id_or_name));
          return ok(store::encode_tunnel(tunnel));
        });
      },
      [=](put_snap_atom, const std::string& job, uint64_t checkpoint_id, uint32_t first,
          uint32_t end, const std::vector<uint64_t>& slots, const std::vector<std::string>& chunks,
          const std::string& fence_job, uint64_t epoch) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          if (slots.size() != chunks.size())
            return absl::InvalidArgumentError(fmt::format(
                "a snapshot of {} chunks names the slots of {}", chunks.size(), slots.size()));
          std::vector<store::snapshot_chunk> snapshot(chunks.size());
          for (size_t i = 0; i < chunks.size(); ++i) {
            if (slots[i] > UINT32_MAX)
              return absl::InvalidArgumentError(fmt::format("no snapshot slot is {}", slots[i]));
            snapshot[i].slot = static_cast<uint32_t>(slots[i]);
            snapshot[i].bytes.assign(chunks[i].begin(), chunks[i].end());
          }
          SLUICE_RETURN_IF_ERROR(db->put_snapshot(job, checkpoint_id, {first, end}, snapshot,
                                                  fence_of(fence_job, epoch)));
          return ok();
        });
      },
      [=](get_snap_atom, const std::string& job, uint64_t checkpoint_id, uint32_t first,
          uint32_t end) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto chunks, db->get_snapshot(job, checkpoint_id, {first, end}));
          return ok(std::move(chunks));
        });
      },
      [=](put_intent_atom, const std::string& job, uint64_t checkpoint_id, uint32_t part,
          const std::vector<std::string>& chunks, const std::string& fence_job, uint64_t epoch) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_RETURN_IF_ERROR(db->put_sink_intent(job, checkpoint_id, part, as_chunks(chunks),
                                                     fence_of(fence_job, epoch)));
          return ok();
        });
      },
      [=](intents_atom, const std::string& job) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto chunks, db->sink_intents(job));
          return ok(std::move(chunks));
        });
      },
      [=](complete_atom, const std::string& job, const std::string& checkpoint,
          const std::vector<std::string>& tables, const std::vector<uint64_t>& table_ids,
          const std::vector<std::string>& tunnel_ids, const std::string& fence_job, uint64_t epoch) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto cp, store::decode_checkpoint(checkpoint));
          if (table_ids.size() != tables.size() || tunnel_ids.size() != tables.size())
            return absl::InvalidArgumentError("a checkpoint names its sources' tables and tunnels pairwise");
          std::vector<std::shared_ptr<const table_schema>> schemas;
          std::vector<store::source_tunnel> sources;
          for (size_t t = 0; t < tables.size(); ++t) {
            SLUICE_ASSIGN_OR_RETURN(schemas.emplace_back(),
                                    table_named(*db, tables[t], static_cast<uint32_t>(table_ids[t])));
            sources.push_back({schemas.back().get(), tunnel_ids[t]});
          }
          SLUICE_RETURN_IF_ERROR(db->complete_checkpoint(job, cp, sources, fence_of(fence_job, epoch)));
          return ok();
        });
      },
      [=](last_cp_atom, const std::string& job) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto cp, db->last_checkpoint(job));
          return ok(store::encode_checkpoint(cp));
        });
      },
      [=](put_job_atom, const std::string& job) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto record, store::decode_job(job));
          SLUICE_RETURN_IF_ERROR(db->put_job(record));
          return ok();
        });
      },
      [=](start_atom, const std::string& job, int64_t now_us) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto start, db->start_time_of(job, now_us));
          return ok(start);
        });
      },
      [=](jobs_atom) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto jobs, db->jobs());
          std::vector<std::string> encoded;
          for (const auto& job : jobs) encoded.push_back(store::encode_job(job));
          return ok(std::move(encoded));
        });
      },
      [=](scan_atom, const std::string& table, uint32_t table_id, const std::string& after_key, uint64_t max_rows) {
        return answer_with([&]() -> absl::StatusOr<caf::message> {
          SLUICE_ASSIGN_OR_RETURN(auto schema, table_named(*db, table, table_id));
          SLUICE_ASSIGN_OR_RETURN(auto cursor, db->open_scan(*schema, after_key));
          uint64_t id = self->state.next_cursor++;
          self->state.cursors.emplace(id, std::move(cursor));
          return scan_page(self, id, max_rows);
        });
      },
      [=](scan_next_atom, uint64_t id, uint64_t max_rows) {
        return answer_with([&] { return scan_page(self, id, max_rows); });
      },
      [=](scan_end_atom, uint64_t id) {
        self->state.cursors.erase(id);
        return ok();
      },
  };
}

struct server_state {
  std::vector<caf::actor> sessions;
};

// The published actor: hands each connecting client a session of its own.
//   (sessions_atom) -> std::vector<caf::actor>: the live sessions; the server then ends (shutdown)
caf::behavior server(caf::stateful_actor<server_state>* self, store::store* db) {
  self->set_down_handler([=](caf::down_msg& down) {
    std::erase_if(self->state.sessions,
                  [&](const caf::actor& session) { return session.address() == down.source; });
  });
  return {
      [=](connect_atom, const caf::actor& client) {
        auto spawned = self->spawn<caf::detached>(session, db, client);
        self->monitor(spawned);
        self->state.sessions.push_back(spawned);
        return ok(spawned);
      },
      [=](sessions_atom) {
        self->quit();
        return self->state.sessions;
      },
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<store_server>> store_server::start(caf::actor_system& system,
                                                                  store::store& db,
                                                                  const address& at) {
  auto actor = system.spawn(server, &db);
  auto listening = listener::open(system, actor, at);
  if (!listening.ok()) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return listening.status();
  }
  address bound{at.host, (*listening)->port()};
  return std::unique_ptr<store_server>(
      new store_server(system, std::move(actor), *std::move(listening), std::move(bound)));
}

store_server::~store_server() {
  listener_.reset();
  caf::scoped_actor self{system_};
  std::vector<caf::actor> sessions;
  self->request(server_, caf::infinite, sessions_atom::value)
      .receive([&](std::vector<caf::actor>& live) { sessions = std::move(live); },
               [&](caf::error&) {});
  for (const auto& session : sessions) {
    self->monitor(session);
    self->send_exit(session, caf::exit_reason::user_shutdown);
  }
  for (size_t i = 0; i < sessions.size(); ++i) self->receive([](caf::down_msg&) {});
}

}  // namespace sluice::remote

// The checkpoint protocol of the actors, driven deterministically by CAF 0.17's test coordinator
// (scheduler.policy = testing): a reducer aligning barriers under every named interleaving of
// partials and barriers, a reducer restored from a recorded checkpoint, and whole jobs run by the
// job actor to the end of their input and started again from their checkpoint. Every test uses a
// real store in a temporary directory and a plan made from SQL; expected sink rows and snapshot
// contents come from an independent recomputation over the rows written.
//
// The test coordinator runs every actor on the test's thread: an actor runs only inside
// sched.run()/run_once(), and delayed messages and request timeouts wait in its clock until the
// test advances it. So the probes below write into plain test-owned objects without locks.
#include <doctest/doctest.h>

#include <absl/time/time.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <capnp/serialize.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "coordinator/job_actor.hpp"
#include "worker/worker_actor.hpp"
#include "operators/group_table.hpp"
#include "operators/partial_aggregator.hpp"
#include "operators/planner.hpp"
#include "operators/session.hpp"
#include "protocol/snapshot_plan.hpp"
#include "messaging/atoms.hpp"
#include "runtime/sql/parser.hpp"
#include "runtime/store/store.hpp"
#include "schemas/stream.capnp.h"
#include "tests/support/temp_dir.hpp"
#include "worker/reducer_actor.hpp"
#include "worker/source_actor.hpp"

namespace sluice {
namespace {

using namespace sluice::msg;

const std::vector<bool> every_group(ops::key_groups, true);

// ---------------------------------------------------------------------------------------------
// The store, the tables and the plan

// Per-user totals: the job the reducer tests run (no window, so a sink row is easy to predict).
constexpr const char* per_user_script = R"(
CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT,
  PRIMARY KEY (UserId, OrderId)) WITH (channels = {channels});
CREATE TABLE OrderBatchSink (UserId STRING, count BIGINT, totalPrice DOUBLE, PRIMARY KEY (UserId));
CREATE SCAN orders ON OrderSource USING STREAM OPTIONS ("maxoffsetsperchannel"="{max}");
CREATE STREAM per_user OPTIONS(checkpointLocation='cp/per_user', checkpoint.interval=100)
INSERT INTO OrderBatchSink
SELECT UserId, count(*) AS count, sum(price) AS totalPrice FROM orders GROUP BY UserId
)";

// The seed's job: orders per 10-second event-time window.
constexpr const char* window_script = R"(
CREATE TABLE OrderSource (UserId STRING, OrderId STRING, price DOUBLE, timestamp BIGINT,
  PRIMARY KEY (UserId, OrderId)) WITH (channels = {channels});
CREATE TABLE OrderStreamSink (begin STRING, end STRING, count BIGINT, totalPrice DOUBLE,
  PRIMARY KEY (begin, end));
CREATE SCAN orders ON OrderSource USING STREAM OPTIONS ("maxoffsetsperchannel"="{max}");
CREATE STREAM job1 OPTIONS(checkpointLocation='cp/job1', outputMode='update',
  checkpoint.interval=100)
INSERT INTO OrderStreamSink
SELECT CAST(window.start AS String) AS begin, CAST(window.end AS String) AS end,
  count(*) AS count, sum(price) AS totalPrice
FROM orders GROUP BY window(to_timestamp(timestamp / 1000), "10 seconds")
)";

struct order {
  std::string user;
  std::string id;
  double price = 0;  // multiples of 1/4: sums are exact in any order, so == is fair
  int64_t timestamp_ms = 0;
};

// Sink rows (or snapshot groups) as key columns -> the other columns.
using table_rows = std::map<std::vector<value>, std::vector<value>>;

std::string describe(const table_rows& rows) {
  auto text = [](const value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) return "NULL";
          else if constexpr (std::is_same_v<T, std::string>) return x;
          else if constexpr (std::is_same_v<T, timestamp>) return fmt::format("{}us", x.micros);
          else return fmt::format("{}", x);
        },
        v);
  };
  std::string out = "{";
  for (const auto& [key, values] : rows) {
    out += " (";
    for (const auto& k : key) out += text(k) + " ";
    out += "->";
    for (const auto& v : values) out += " " + text(v);
    out += ")";
  }
  return out + " }";
}

// A store with OrderSource, a sink and a job plan, and a model of OrderSource's rows from which
// the expected results are recomputed.
struct order_store {
  testing::temp_dir dir;
  std::unique_ptr<store::store> db;
  std::optional<ops::session> names;
  std::shared_ptr<const table_schema> source;
  std::shared_ptr<const ops::job_plan> plan;
  std::map<std::pair<std::string, std::string>, order> rows;  // the model of OrderSource
  std::string text;  // the script, as workers plan the job from it

  explicit order_store(const char* script, uint32_t channels = 1, uint32_t max_records = 10000) {
    db = store::store::open({.dir = dir.path / "data"}).value();
    names.emplace(*db, ops::sql_dialect::spark);
    text = fmt::format(fmt::runtime(script), fmt::arg("channels", channels),
                            fmt::arg("max", max_records));
    auto statements = sql::parse_script(text);
    REQUIRE_MESSAGE(statements.ok(), statements.status().ToString());
    for (const auto& statement : *statements) {
      if (auto* create = std::get_if<sql::create_table>(&statement)) {
        std::vector<store::catalog_op> op{store::create_table_op(*create)};
        auto done = db->apply_catalog(op);
        REQUIRE_MESSAGE(done.ok(), done.status().ToString());
      } else if (auto* scan = std::get_if<sql::create_scan>(&statement)) {
        auto status = names->add_scan(*scan);
        REQUIRE_MESSAGE(status.ok(), status.ToString());
      } else if (auto* stream = std::get_if<sql::create_stream>(&statement)) {
        auto planned = ops::plan_job(*stream, *names);
        REQUIRE_MESSAGE(planned.ok(), planned.status().ToString());
        plan = *planned;
      }
    }
    REQUIRE(plan != nullptr);
    source = plan->source.table;
  }

  const std::string& job() const { return plan->options.checkpoint_location; }

  // Writes puts (new rows or new versions) and deletes as one store write; returns the channel
  // offsets after it.
  std::vector<uint64_t> write(const std::vector<order>& puts,
                              const std::vector<std::pair<std::string, std::string>>& deletes = {}) {
    row_batch batch(source);
    for (const auto& o : puts) {
      size_t r = batch.add_row(change_op::put);
      batch.set(r, 0, o.user);
      batch.set(r, 1, o.id);
      batch.set(r, 2, o.price);
      batch.set(r, 3, o.timestamp_ms);
      rows[{o.user, o.id}] = o;
    }
    for (const auto& [user, id] : deletes) {
      size_t r = batch.add_row(change_op::delete_);
      batch.set(r, 0, user);
      batch.set(r, 1, id);
      rows.erase({user, id});
    }
    auto written = db->write(batch);
    REQUIRE_MESSAGE(written.ok(), written.status().ToString());
    return end_offsets();
  }

  std::vector<uint64_t> end_offsets() const { return db->end_offsets(*source).value(); }

  // The partials a source would ship for records [from, to) of channel 0: one PartialBatch per
  // reducer (empty bytes for a reducer with nothing to merge).
  std::vector<std::vector<char>> partials(uint64_t from, uint64_t to,
                                          const std::vector<uint32_t>& owner, uint32_t reducers) {
    auto batch = db->read_channel(*source, 0, from, to - from);
    REQUIRE_MESSAGE(batch.ok(), batch.status().ToString());
    REQUIRE(batch->size() == to - from);
    ops::partial_aggregator partial(plan);
    REQUIRE(partial.on_batch(*batch).ok());
    return partial.flush(owner, reducers, 0, 0);
  }
  std::vector<char> partial(uint64_t from, uint64_t to) {
    return partials(from, to, std::vector<uint32_t>(ops::key_groups, 0), 1)[0];
  }

  // Every row of the sink, keyed by its primary key columns.
  table_rows sink() const {
    table_rows out;
    const auto& schema = *plan->sink;
    auto status = db->scan(schema, [&](std::span<const value> row) {
      std::vector<value> key, rest;
      for (size_t c = 0; c < row.size(); ++c) (schema.is_key(c) ? key : rest).push_back(row[c]);
      out[key] = rest;
      return absl::OkStatus();
    });
    REQUIRE_MESSAGE(status.ok(), status.ToString());
    return out;
  }
  // The sink's change log length: grows only when a write changed a stored row.
  uint64_t sink_changes() const {
    auto ends = db->end_offsets(*plan->sink);
    REQUIRE_MESSAGE(ends.ok(), ends.status().ToString());
    uint64_t n = 0;
    for (uint64_t end : *ends) n += end;
    return n;
  }

  // A recomputation of the per-user job from the model: UserId -> (count, totalPrice).
  table_rows expected_per_user(const std::set<std::string>* users = nullptr) const {
    table_rows out;
    for (const auto& [key, o] : rows) {
      if (users && !users->count(o.user)) continue;
      auto& values = out[{o.user}];
      if (values.empty()) values = {int64_t{0}, 0.0};
      values[0] = std::get<int64_t>(values[0]) + 1;
      values[1] = std::get<double>(values[1]) + o.price;
    }
    return out;
  }

  // A recomputation of the seed's windowed job: (begin, end) -> (count, totalPrice).
  table_rows expected_windows() const {
    table_rows out;
    auto text = [](int64_t seconds) {
      return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(seconds),
                              absl::UTCTimeZone());
    };
    for (const auto& [key, o] : rows) {
      int64_t start = o.timestamp_ms / 10000 * 10;  // timestamps here are positive
      auto& values = out[{text(start), text(start + 10)}];
      if (values.empty()) values = {int64_t{0}, 0.0};
      values[0] = std::get<int64_t>(values[0]) + 1;
      values[1] = std::get<double>(values[1]) + o.price;
    }
    return out;
  }

  // The state that the stored snapshots of the key groups `owns` selects up to `checkpoint`
  // restore, decoded without the reducer (each message images some key groups whole or replaces
  // the groups it holds): group key -> aggregate results, and the key groups it holds.
  table_rows snapshot(uint64_t checkpoint, const std::vector<bool>& owns,
                      std::set<uint32_t>* key_groups = nullptr) const {
    std::vector<std::string> chunks;  // PartialBatch messages
    for (uint64_t id = 1; id <= checkpoint; ++id) {
      auto stored = db->get_snapshot(job(), id, protocol::owned_slots(owns, 0));
      if (absl::IsNotFound(stored.status())) continue;
      REQUIRE_MESSAGE(stored.ok(), stored.status().ToString());
      chunks.insert(chunks.end(), stored->begin(), stored->end());
    }
    REQUIRE_MESSAGE(!chunks.empty(), "no snapshot up to " << checkpoint);
    std::vector<std::span<const char>> messages;
    for (const auto& chunk : chunks) messages.emplace_back(chunk.data(), chunk.size());
    return decode(messages, key_groups, /*as_snapshot=*/true);
  }
  table_rows decode(std::span<const char> bytes, std::set<uint32_t>* key_groups = nullptr) const {
    return decode(std::vector<std::span<const char>>{bytes}, key_groups);
  }
  // Several PartialBatch messages merged (or, as snapshots, applied in order).
  table_rows decode(const std::vector<std::span<const char>>& messages,
                    std::set<uint32_t>* key_groups = nullptr, bool as_snapshot = false) const {
    ops::group_table groups(plan->aggregates, SIZE_MAX, false);
    for (auto bytes : messages) {
      REQUIRE(bytes.size() % sizeof(capnp::word) == 0);
      auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
      std::memcpy(words.begin(), bytes.data(), bytes.size());
      capnp::FlatArrayMessageReader reader(words.asPtr());
      auto batch = reader.getRoot<wire::PartialBatch>();
      std::set<uint32_t> imaged(batch.getImaged().begin(), batch.getImaged().end());
      groups.erase_key_groups([&](uint32_t key_group) { return imaged.count(key_group) > 0; });
      for (auto group : batch.getGroups()) {
        if (as_snapshot) groups.replace(group);
        else groups.merge(group);
      }
    }
    table_rows out;
    groups.take_changed([&](ops::group_state& group) {
      if (group.rows == 0) return;
      if (key_groups) key_groups->insert(group.key_group);
      auto& values = out[std::vector<value>(group.key.begin(), group.key.end())];
      for (size_t a = 0; a < plan->aggregates.size(); ++a)
        values.push_back(group.aggregates[a].result(plan->aggregates[a]).value());
    });
    return out;
  }

  // The users of each reducer's key groups, read from the partials a flush made for them.
  std::set<std::string> users_in(std::span<const char> bytes) const {
    std::set<std::string> users;
    if (bytes.empty()) return users;
    for (const auto& [key, values] : decode(bytes)) users.insert(std::get<std::string>(key[0]));
    return users;
  }
};

// Key groups in contiguous ranges, one per reducer, as the job actor assigns them.
std::vector<uint32_t> owners(uint32_t reducers) {
  std::vector<uint32_t> owner(ops::key_groups);
  for (uint32_t g = 0; g < ops::key_groups; ++g) owner[g] = g * reducers / ops::key_groups;
  return owner;
}

std::vector<bool> owned_by(const std::vector<uint32_t>& owner, uint32_t reducer) {
  std::vector<bool> owns(ops::key_groups);
  for (uint32_t g = 0; g < ops::key_groups; ++g) owns[g] = owner[g] == reducer;
  return owns;
}

table_rows only_users(const table_rows& rows, const std::set<std::string>& users) {
  table_rows out;
  for (const auto& [key, values] : rows)
    if (users.count(std::get<std::string>(key[0]))) out[key] = values;
  return out;
}

// ---------------------------------------------------------------------------------------------
// An actor system on CAF's deterministic scheduler, and probe actors

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

// What the actors under test sent out: the coordinator's messages and the replies to partials.
struct trace {
  std::vector<std::pair<uint64_t, uint32_t>> acks;  // (checkpoint, reducer)
  std::vector<std::string> failures;
  std::vector<std::string> replies;  // names of the partials acknowledged, in arrival order
  std::vector<coordinator::job_summary> summaries;  // jobs that ended well
};

// Stands in for the coordinator: records acks and failures, and any message it does not
// expect as a failure too (CAF 0.17 would only print it).
caf::behavior coordinator_probe(caf::event_based_actor* self, trace* log) {
  self->set_default_handler([log](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
    log->failures.push_back("unexpected message " + to_string(x.content()));
    return caf::sec::unexpected_message;
  });
  return {
      [log](ack_atom, uint64_t /*epoch*/, uint64_t checkpoint, uint32_t reducer,
            uint64_t /*late rows*/, int64_t /*watermark*/, uint64_t /*sink rows*/,
            uint64_t /*snapshot bytes*/, double /*write seconds*/) {
        log->acks.emplace_back(checkpoint, reducer);
      },
      [log](fail_atom, uint64_t /*epoch*/, const std::string& what) {
        log->failures.push_back(what);
      },
      [](idle_atom, uint64_t /*epoch*/, uint32_t /*channel*/, uint64_t /*offset*/) {},
      [log](done_atom, const coordinator::job_summary& summary) {
        log->summaries.push_back(summary);
      },
  };
}

// Learns how a job ended.
struct job_end {
  bool ended = false;
  caf::error reason;
};
caf::behavior job_watcher(caf::event_based_actor* self, caf::actor job, job_end* end) {
  self->monitor(job);
  self->set_down_handler([self, end](const caf::down_msg& down) {
    end->ended = true;
    end->reason = down.reason;
    self->quit();
  });
  return {[](stop_atom) {}};
}

struct test_system {
  caf::actor_system_config cfg;
  caf::actor_system sys{testing_config(cfg)};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  trace log;
  caf::actor coordinator = sys.spawn(coordinator_probe, &log);
  std::vector<caf::actor> spawned;  // stopped before the system goes

  test_system() { sched.run(); }
  ~test_system() {
    for (auto& actor : spawned) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    sched.run();
    // Delayed messages of stopped actors (an idle source's next poll) would otherwise keep
    // them referenced from the clock.
    sched.clock().cancel_all();
    sched.run();
  }

  caf::actor reducer(const order_store& data, uint32_t index, uint32_t sources,
                     std::vector<bool> owns = std::vector<bool>(ops::key_groups, true),
                     uint64_t restore_checkpoint = 0, uint32_t restore_parts = 0,
                     bool by_key_group = true) {
    worker::reducer_config config;
    config.plan = data.plan;
    config.db = data.db.get();
    config.index = index;
    config.sources = sources;
    config.coordinator = coordinator;
    config.restore_checkpoint = restore_checkpoint;
    config.restore_first = restore_checkpoint;  // the recorded checkpoints image everything
    config.restore_parts = restore_parts;
    config.restore_by_key_group = by_key_group;
    config.slots = protocol::owned_slots(owns, 0);
    config.owns = std::move(owns);
    auto actor = sys.spawn(worker::reducer_actor, std::move(config));
    spawned.push_back(actor);
    sched.run();
    return actor;
  }

  // Sends a partial as a source does, a request whose reply (the credit) lands in log.replies,
  // from a one-shot requester actor; runs the system until nothing is left to do.
  void send_partial(const caf::actor& reducer, uint32_t source, std::vector<char> bytes,
                    std::string name) {
    REQUIRE(!bytes.empty());  // a source never sends an empty partial
    auto* replies = &log.replies;
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(reducer, std::chrono::seconds(3600), partial_atom::value, source, bytes)
          .then([=](ok_atom) { replies->push_back(name); },
                [=](const caf::error& error) {
                  replies->push_back(name + " failed: " + self->system().render(error));
                });
    });
    sched.run();
  }

  // A job actor for `data`'s plan on `workers` worker actors, reporting its end to
  // `log.summaries`, watched by `end`.
  caf::actor job(const order_store& data, uint32_t workers, bool until_drained, job_end* end) {
    coordinator::job_config config;
    config.plan = data.plan;
    config.script = data.text;
    config.db = data.db.get();
    for (uint32_t w = 0; w < workers; ++w) {
      config.workers.push_back(sys.spawn(worker::worker_actor,
                                         static_cast<store::api*>(data.db.get()), std::string()));
      spawned.push_back(config.workers.back());
    }
    config.until_drained = until_drained;
    config.listener = coordinator;
    auto actor = sys.spawn(coordinator::job_actor, std::move(config));
    // Held: an actor nobody references ends (exit_reason::unreachable) once it is idle.
    spawned.push_back(sys.spawn(job_watcher, actor, end));
    spawned.push_back(actor);
    return actor;
  }

  // A source's barrier; the per-user job has no window, so no watermark (the lowest int64).
  void send_barrier(const caf::actor& reducer, uint64_t checkpoint, uint32_t source,
                    int64_t watermark = std::numeric_limits<int64_t>::min()) {
    caf::anon_send(reducer, barrier_atom::value, checkpoint, source, watermark);
    sched.run();
  }

  // Runs until `end` says the job ended: every message, then the clock forward by one source
  // poll, again and again. Returns false if the job still runs after `limit` of simulated time.
  // advance_time, not trigger_timeouts: the latter fires every pending timeout whatever its
  // due time, request timeouts included, and run() fires none.
  bool run_until_ended(const job_end& end, caf::timespan step = std::chrono::milliseconds(20),
                       caf::timespan limit = std::chrono::seconds(60)) {
    for (caf::timespan t{0}; t < limit; t += step) {
      sched.run();
      if (end.ended) return true;
      sched.advance_time(step);
    }
    sched.run();
    return end.ended;
  }
};

// ---------------------------------------------------------------------------------------------
// 1. Barrier alignment under every interleaving

// Per source: a partial before its Barrier(1) and one after it.
struct source_script {
  std::vector<char> before;
  std::vector<char> after;
};

struct alignment_scenario {
  order_store data{per_user_script};
  std::vector<char> base;  // merged before any barrier
  std::vector<source_script> sources;
  table_rows at_checkpoint_1;  // recomputed: base + every `before`
  table_rows at_checkpoint_2;  // recomputed: everything

  explicit alignment_scenario(uint32_t n) {
    REQUIRE(n >= 2);
    REQUIRE(n <= 3);
    // Writes in logical order: base, every `before`, every `after`. Updates and deletes make
    // retractions, some of rows another source's partial added.
    uint64_t at = 0;
    auto next = [&](const std::vector<order>& puts,
                    const std::vector<std::pair<std::string, std::string>>& deletes = {}) {
      uint64_t from = at;
      at = data.write(puts, deletes)[0];
      return data.partial(from, at);
    };
    base = next({{"u1", "o1", 10.0}, {"u2", "o1", 20.0}, {"u3", "o1", 5.0}});
    sources.resize(n);
    sources[0].before = next({{"u1", "o2", 1.5}, {"u4", "o1", 7.0}});
    sources[1].before = next({{"u2", "o1", 22.5}, {"u3", "o2", 2.0}});  // u2/o1 updated
    if (n > 2) sources[2].before = next({{"u6", "o1", 4.25}}, {{"u1", "o1"}});
    at_checkpoint_1 = data.expected_per_user();
    sources[0].after = next({{"u1", "o3", 100.0}}, {{"u3", "o1"}});
    sources[1].after = next({{"u5", "o1", 3.25}, {"u4", "o1", 8.0}}, {{"u2", "o1"}});  // u2 gone
    if (n > 2) sources[2].after = next({{"u6", "o1", 0.75}, {"u2", "o9", 1.0}});
    at_checkpoint_2 = data.expected_per_user();
    REQUIRE(at_checkpoint_1 != at_checkpoint_2);
  }
};

// One interleaving: a sequence of source numbers; the k-th occurrence of source s is its k-th
// event: its partial before the barrier, Barrier(1), its partial after the barrier.
void check_interleaving(uint32_t n, const std::vector<uint32_t>& order) {
  std::string name;
  for (uint32_t s : order) name += std::to_string(s);
  CAPTURE(name);
  alignment_scenario scenario(n);
  auto& data = scenario.data;
  test_system actors;
  auto reducer = actors.reducer(data, 0, n);
  actors.send_partial(reducer, 0, scenario.base, "base");
  REQUIRE(actors.log.replies == std::vector<std::string>{"base"});
  actors.log.replies.clear();

  // The step at which the last Barrier(1) arrives: the reducer is aligned then.
  std::vector<int> seen(n, 0);
  size_t aligned_step = 0;
  for (size_t i = 0; i < order.size(); ++i)
    if (++seen[order[i]] == 2) aligned_step = i;
  std::fill(seen.begin(), seen.end(), 0);

  std::vector<std::string> held;  // `after` partials sent before the alignment
  for (size_t i = 0; i < order.size(); ++i) {
    uint32_t s = order[i];
    int event = seen[s]++;
    auto replies_before = actors.log.replies.size();
    std::string partial = fmt::format("{} of source {}", event == 0 ? "before" : "after", s);
    if (event == 0) actors.send_partial(reducer, s, scenario.sources[s].before, partial);
    else if (event == 1) actors.send_barrier(reducer, 1, s);
    else actors.send_partial(reducer, s, scenario.sources[s].after, partial);
    std::vector<std::string> replies(actors.log.replies.begin() + replies_before,
                                     actors.log.replies.end());
    CAPTURE(i);
    if (event == 0) {
      CHECK(replies == std::vector<std::string>{partial});  // never held
    } else if (event == 2 && i < aligned_step) {
      CHECK(replies.empty());  // held back: its source has delivered Barrier(1)
      held.push_back(partial);
    } else if (event == 2) {
      CHECK(replies == std::vector<std::string>{partial});  // after the alignment: merged now
    } else if (i < aligned_step) {
      CHECK(replies.empty());
    } else {
      // The last barrier: the held-back partials are merged and acknowledged now, not before.
      std::sort(replies.begin(), replies.end());
      std::sort(held.begin(), held.end());
      CHECK(replies == held);
    }
    // Exactly one ack, from the step that completes the alignment on.
    if (i < aligned_step) CHECK(actors.log.acks.empty());
    else CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}});
    if (i == aligned_step) {
      INFO("sink at the alignment: " << describe(data.sink()));
      CHECK(data.sink() == scenario.at_checkpoint_1);
    }
  }
  CHECK(actors.log.failures.empty());
  CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}});
  // The sink is written only at alignments: the partials after the barrier are merged but not
  // yet visible; the snapshot of checkpoint 1 holds every partial before it and none after.
  CHECK(data.sink() == scenario.at_checkpoint_1);
  auto snapshot = data.snapshot(1, every_group);
  INFO("snapshot 1: " << describe(snapshot));
  CHECK(snapshot == scenario.at_checkpoint_1);

  // Checkpoint 2 brings the partials after Barrier(1) into the sink and the snapshot.
  for (uint32_t s = 0; s < n; ++s) actors.send_barrier(reducer, 2, s);
  CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}, {2, 0}});
  CHECK(data.sink() == scenario.at_checkpoint_2);
  CHECK(data.snapshot(2, every_group) == scenario.at_checkpoint_2);
  CHECK(actors.log.failures.empty());
}

TEST_CASE("a reducer's checkpoint holds exactly the partials before the barrier in every "
          "interleaving of two sources") {
  std::vector<uint32_t> order = {0, 0, 0, 1, 1, 1};
  size_t interleavings = 0;
  do {
    check_interleaving(2, order);
    ++interleavings;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(interleavings == 20);
}

TEST_CASE("a reducer's checkpoint holds exactly the partials before the barrier in sampled "
          "interleavings of three sources") {
  std::vector<uint32_t> order = {0, 0, 0, 1, 1, 1, 2, 2, 2};
  std::mt19937 random(20261122);
  std::set<std::vector<uint32_t>> tried;
  while (tried.size() < 24) {
    std::shuffle(order.begin(), order.end(), random);
    if (tried.insert(order).second) check_interleaving(3, order);
  }
}

TEST_CASE("a barrier repeated by a source is counted once") {
  alignment_scenario scenario(2);
  auto& data = scenario.data;
  test_system actors;
  auto reducer = actors.reducer(data, 0, 2);
  actors.send_partial(reducer, 0, scenario.base, "base");
  actors.send_barrier(reducer, 1, 0);
  actors.send_barrier(reducer, 1, 0);
  CHECK(actors.log.acks.empty());
  actors.send_partial(reducer, 1, scenario.sources[1].before, "before of source 1");
  actors.send_barrier(reducer, 1, 1);
  CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}});
  CHECK(data.snapshot(1, every_group) == data.decode({scenario.base, scenario.sources[1].before}));
}


TEST_CASE("a source whose reducer is gone reports a failure at once, not at its partials' "
          "timeout") {
  // Found by `sluice chaos --seed 8 --faults stop-worker,join-worker`: a worker stopped for a
  // second is taken for dead by its peers, and a source's partials to its reducer were neither
  // answered nor failed until their 30 s timeout, holding the job for as long.
  order_store data(per_user_script);
  test_system actors;
  auto reducer = actors.reducer(data, 0, 1);
  worker::source_config config;
  config.plan = data.plan;
  config.db = data.db.get();
  config.epoch = 3;
  config.reducers = {reducer};
  config.owner.assign(ops::key_groups, 0);
  config.coordinator = actors.coordinator;
  auto source = actors.sys.spawn(worker::source_actor, std::move(config));
  actors.spawned.push_back(source);
  actors.sched.run();
  auto gone = [&] {
    return std::count_if(actors.log.failures.begin(), actors.log.failures.end(),
                         [](const std::string& failure) {
                           return failure.starts_with("source of channel 0: a reducer is gone");
                         });
  };
  CHECK(gone() == 0);
  caf::anon_send_exit(reducer, caf::exit_reason::kill);
  actors.sched.run();
  CHECK(gone() == 1);
}

TEST_CASE("a source's next barrier during an alignment waits its turn with the batches after it") {
  alignment_scenario scenario(2);
  auto& data = scenario.data;
  test_system actors;
  auto reducer = actors.reducer(data, 0, 2);
  actors.send_barrier(reducer, 1, 0);
  actors.send_partial(reducer, 0, scenario.sources[0].after, "after of source 0");
  actors.send_barrier(reducer, 2, 0);
  actors.send_partial(reducer, 1, scenario.sources[1].before, "before of source 1");
  CHECK(actors.log.replies == std::vector<std::string>{"before of source 1"});
  actors.send_barrier(reducer, 1, 1);
  // Checkpoint 1 aligns; source 0's batch goes in; its Barrier(2) now waits for source 1's.
  CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}});
  CHECK(actors.log.replies ==
        std::vector<std::string>{"before of source 1", "after of source 0"});
  CHECK(data.snapshot(1, every_group) == data.decode(std::span<const char>(scenario.sources[1].before)));
  actors.send_barrier(reducer, 2, 1);
  CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}, {2, 0}});
  CHECK(data.snapshot(2, every_group) ==
        data.decode(std::vector<std::span<const char>>{scenario.sources[1].before,
                                                       scenario.sources[0].after}));
  CHECK(actors.log.failures.empty());
}

// ---------------------------------------------------------------------------------------------
// 2. Recovery of a reducer from a recorded checkpoint

TEST_CASE("a reducer restored from a checkpoint holds the groups of its key groups and goes on "
          "from them") {
  order_store data{per_user_script};
  std::vector<order> first;
  for (int u = 0; u < 24; ++u) {
    first.push_back({fmt::format("user{}", u), "o1", 1.0 + u});
    first.push_back({fmt::format("user{}", u), "o2", 0.25 * u});
  }
  const uint64_t at1 = data.write(first)[0];
  const auto owner = owners(2);
  const auto parts = data.partials(0, at1, owner, 2);
  const auto users0 = data.users_in(parts[0]);
  const auto users1 = data.users_in(parts[1]);
  REQUIRE(!users0.empty());
  REQUIRE(!users1.empty());
  REQUIRE(users0.size() + users1.size() == 24);
  const auto at_checkpoint_1 = data.expected_per_user();

  // Checkpoint 1 by two reducers, each fed its key groups by one source.
  {
    test_system actors;
    auto r0 = actors.reducer(data, 0, 1, owned_by(owner, 0));
    auto r1 = actors.reducer(data, 1, 1, owned_by(owner, 1));
    actors.send_partial(r0, 0, parts[0], "part 0");
    actors.send_partial(r1, 0, parts[1], "part 1");
    actors.send_barrier(r0, 1, 0);
    actors.send_barrier(r1, 1, 0);
    CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{1, 0}, {1, 1}});
    CHECK(actors.log.failures.empty());
    CHECK(data.sink() == at_checkpoint_1);
  }
  store::checkpoint cp;
  cp.id = 1;
  cp.offsets = {at1};
  cp.parts = 2;
  const std::vector<store::source_tunnel> sources = {{data.source.get(), data.plan->source.tunnel_id}};
  auto recorded = data.db->complete_checkpoint(data.job(), cp, sources);
  REQUIRE_MESSAGE(recorded.ok(), recorded.ToString());

  // Rows after the checkpoint: an update, a new order, and a user whose orders are all deleted,
  // among each reducer's users.
  std::vector<order> puts;
  std::vector<std::pair<std::string, std::string>> deletes;
  for (const auto* users : {&users0, &users1}) {
    auto it = users->begin();
    deletes.push_back({*it, "o1"});
    deletes.push_back({*it, "o2"});
    ++it;
    puts.push_back({*it, "o1", 1000.0});
    ++it;
    puts.push_back({*it, "o3", 0.5});
  }
  const uint64_t at2 = data.write(puts, deletes)[0];
  const auto later = data.partials(at1, at2, owner, 2);
  const auto at_end = data.expected_per_user();

  SUBCASE("the same key groups") {
    test_system actors;
    const auto changes = data.sink_changes();
    auto r0 = actors.reducer(data, 0, 1, owned_by(owner, 0), 1, 2);
    // Aligning at once: the snapshot is the restored state, and nothing is pending for the sink.
    actors.send_barrier(r0, 2, 0);
    CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{2, 0}});
    std::set<uint32_t> key_groups;
    CHECK(data.snapshot(2, owned_by(owner, 0), &key_groups) == only_users(at_checkpoint_1, users0));
    for (uint32_t g : key_groups) CHECK(owner[g] == 0);  // part 1's groups were not restored
    CHECK(data.sink_changes() == changes);
    // Going on: the sink rows are those of a reducer that never stopped.
    actors.send_partial(r0, 0, later[0], "later 0");
    actors.send_barrier(r0, 3, 0);
    auto expected = only_users(at_end, users0);
    for (const auto& [key, values] : only_users(at_checkpoint_1, users1)) expected[key] = values;
    INFO("sink: " << describe(data.sink()));
    CHECK(data.sink() == expected);
    CHECK(data.snapshot(3, owned_by(owner, 0)) == only_users(at_end, users0));
    CHECK(actors.log.failures.empty());
  }

  SUBCASE("one reducer taking over every key group") {
    test_system actors;
    auto r = actors.reducer(data, 0, 2, std::vector<bool>(ops::key_groups, true), 1, 2);
    actors.send_barrier(r, 2, 0);
    actors.send_barrier(r, 2, 1);
    CHECK(data.snapshot(2, every_group) == at_checkpoint_1);
    actors.send_partial(r, 0, later[0], "later 0");
    actors.send_partial(r, 1, later[1], "later 1");
    actors.send_barrier(r, 3, 1);
    actors.send_barrier(r, 3, 0);
    CHECK(actors.log.acks == std::vector<std::pair<uint64_t, uint32_t>>{{2, 0}, {3, 0}});
    CHECK(data.sink() == at_end);
    CHECK(data.snapshot(3, every_group) == at_end);
    CHECK(actors.log.failures.empty());
  }

  SUBCASE("an older Sluice's checkpoint, a part per reducer: read whole, then imaged anew") {
    // As an older Sluice stored checkpoint 1: reducer r's part in slot r.
    std::vector<store::snapshot_chunk> parts;
    for (uint32_t part = 0; part < 2; ++part) {
      auto chunks = data.db->get_snapshot(data.job(), 1, protocol::owned_slots(owned_by(owner, part), 0));
      REQUIRE(chunks.ok());
      for (const auto& chunk : *chunks) parts.push_back({part, std::vector<char>(chunk.begin(), chunk.end())});
    }
    REQUIRE(data.db->put_snapshot(data.job(), 1, {0, ops::key_groups}, parts).ok());
    test_system actors;
    auto r0 = actors.reducer(data, 0, 1, owned_by(owner, 0), 1, 2, /*by_key_group=*/false);
    actors.send_barrier(r0, 2, 0);
    CHECK(actors.log.failures.empty());
    auto second = data.db->get_snapshot(data.job(), 2, protocol::owned_slots(owned_by(owner, 0), 0));
    REQUIRE(second.ok());
    std::vector<std::span<const char>> messages;
    std::set<uint32_t> imaged, owned;
    for (const auto& chunk : *second) {
      messages.emplace_back(chunk.data(), chunk.size());
      kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(chunk.data()),
                                            chunk.size() / sizeof(capnp::word));
      capnp::FlatArrayMessageReader reader(words);
      for (uint32_t g : reader.getRoot<wire::PartialBatch>().getImaged()) imaged.insert(g);
    }
    for (uint32_t g = 0; g < ops::key_groups; ++g)
      if (owner[g] == 0) owned.insert(g);
    CHECK(imaged == owned);
    CHECK(data.decode(messages, nullptr, /*as_snapshot=*/true) == only_users(at_checkpoint_1, users0));
  }

  SUBCASE("a checkpoint without the snapshot asked for fails the reducer") {
    test_system actors;
    auto r = actors.reducer(data, 0, 1, owned_by(owner, 0), 2, 2);  // checkpoint 2 never was
    REQUIRE(actors.log.failures.size() == 1);
    CHECK(actors.log.failures[0].find("reducer 0") != std::string::npos);
    CHECK(actors.log.failures[0].find("of checkpoint 2") != std::string::npos);
    actors.send_barrier(r, 2, 0);  // it is gone: nothing answers
    CHECK(actors.log.acks.empty());
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Whole jobs: the job actor with its sources and reducers

std::vector<order> orders(int first, int count, int64_t start_ms) {
  std::vector<order> out;
  for (int i = first; i < first + count; ++i)
    out.push_back({fmt::format("user{}", i % 7), fmt::format("order{}", i), 0.25 * (i % 41 + 1),
                   start_ms + int64_t{i} * 733});  // about 14 orders per 10 s window
  return out;
}

uint64_t total(const std::vector<uint64_t>& offsets) {
  uint64_t n = 0;
  for (uint64_t o : offsets) n += o;
  return n;
}

TEST_CASE("a job run until drained writes the recomputed sink and a second run resumes from "
          "its checkpoint") {
  // Three channels, five records per read: many batches, several per checkpoint interval.
  order_store data{window_script, 3, 5};
  const int64_t start = 1700000000000;  // 2023-11-14 22:13:20 UTC
  data.write(orders(0, 60, start));
  data.write(orders(60, 40, start));
  std::vector<order> updates;
  for (int i = 0; i < 100; i += 9) updates.push_back({fmt::format("user{}", i % 7), fmt::format("order{}", i), 99.5, start + i * 733 + 20000});
  data.write(updates, {{"user1", "order1"}, {"user2", "order2"}, {"user3", "order10"}});
  const auto ends = data.end_offsets();
  REQUIRE(ends.size() == 3);
  for (uint64_t end : ends) REQUIRE(end > 10);

  {
    test_system actors;
    job_end end;
    actors.job(data, 2, true, &end);
    REQUIRE(actors.run_until_ended(end));
    CHECK_MESSAGE(!end.reason, actors.sys.render(end.reason));
    CHECK(actors.log.failures.empty());
    INFO("sink: " << describe(data.sink()));
    CHECK(data.sink() == data.expected_windows());
    REQUIRE(actors.log.summaries.size() == 1);
    CHECK(actors.log.summaries[0].rows == total(ends));
  }
  auto first = data.db->last_checkpoint(data.job());
  REQUIRE(first.ok());
  CHECK(first->offsets == ends);
  CHECK(first->parts == 2);
  CHECK(data.db->find_tunnel(*data.source, "default")->committed_offsets == ends);
  const auto sink = data.sink();
  const auto changes = data.sink_changes();

  // Nothing new: the second run reads nothing, changes nothing, and records one more checkpoint
  // at the same offsets.
  {
    test_system actors;
    job_end end;
    actors.job(data, 2, true, &end);
    REQUIRE(actors.run_until_ended(end));
    CHECK_MESSAGE(!end.reason, actors.sys.render(end.reason));
    REQUIRE(actors.log.summaries.size() == 1);
    CHECK(actors.log.summaries[0].rows == 0);
  }
  auto second = data.db->last_checkpoint(data.job());
  REQUIRE(second.ok());
  CHECK(second->id == first->id + 1);
  CHECK(second->offsets == ends);
  CHECK(data.sink() == sink);
  CHECK(data.sink_changes() == changes);

  // New rows, some changing old windows; three reducers now, restoring from two parts.
  data.write(orders(100, 30, start + 5000));
  data.write({{"user0", "order0", 12.25, start}}, {{"user4", "order4"}});
  const auto new_ends = data.end_offsets();
  {
    test_system actors;
    job_end end;
    actors.job(data, 3, true, &end);
    REQUIRE(actors.run_until_ended(end));
    CHECK_MESSAGE(!end.reason, actors.sys.render(end.reason));
    REQUIRE(actors.log.summaries.size() == 1);
    CHECK(actors.log.summaries[0].rows == total(new_ends) - total(ends));
  }
  INFO("sink: " << describe(data.sink()));
  CHECK(data.sink() == data.expected_windows());
  auto third = data.db->last_checkpoint(data.job());
  REQUIRE(third.ok());
  CHECK(third->offsets == new_ends);
  CHECK(third->parts == 3);
}

TEST_CASE("a job stopped while rows arrive ends with a final checkpoint of everything read") {
  order_store data{window_script, 2, 4};
  const int64_t start = 1700000000000;
  data.write(orders(0, 30, start));
  test_system actors;
  job_end end;
  auto job = actors.job(data, 2, false, &end);
  // Rows arrive while the job runs, in waves between checkpoints.
  for (int wave = 1; wave <= 4; ++wave) {
    for (int step = 0; step < 8; ++step) {
      actors.sched.run();
      actors.sched.advance_time(std::chrono::milliseconds(20));
    }
    data.write(orders(30 * wave, 30, start + wave * 3000),
               {{fmt::format("user{}", wave), fmt::format("order{}", wave)}});
  }
  for (int step = 0; step < 20; ++step) {  // the last wave is read
    actors.sched.run();
    actors.sched.advance_time(std::chrono::milliseconds(20));
  }
  auto before_stop = data.db->last_checkpoint(data.job());
  REQUIRE(before_stop.ok());
  CHECK(before_stop->id >= 3);  // checkpoints were taken while it ran
  caf::anon_send(job, stop_atom::value);
  REQUIRE(actors.run_until_ended(end));
  CHECK_MESSAGE(!end.reason, actors.sys.render(end.reason));
  CHECK(actors.log.failures.empty());
  auto last = data.db->last_checkpoint(data.job());
  REQUIRE(last.ok());
  CHECK(last->offsets == data.end_offsets());
  INFO("sink: " << describe(data.sink()));
  CHECK(data.sink() == data.expected_windows());
}

TEST_CASE("a cluster job is reassigned when a worker is lost or joins, fenced by epoch, and its "
          "sink stays exact") {
  order_store data{window_script, 4, 5};
  const int64_t start = 1700000000000;
  data.write(orders(0, 40, start));
  test_system actors;
  auto worker = [&] {
    auto w = actors.sys.spawn(worker::worker_actor, static_cast<store::api*>(data.db.get()),
                                    std::string());
    actors.spawned.push_back(w);
    return w;
  };
  std::vector<caf::actor> workers = {worker(), worker()};
  coordinator::job_config config;
  config.plan = data.plan;
  config.script = data.text;
  config.db = data.db.get();
  config.workers = workers;
  config.record = store::job_record{data.plan->name, data.text, false, 0, 0};
  REQUIRE(data.db->put_job(*config.record).ok());
  auto job = actors.sys.spawn(coordinator::job_actor, std::move(config));
  job_end end;
  actors.spawned.push_back(actors.sys.spawn(job_watcher, job, &end));
  actors.spawned.push_back(job);
  auto run_for = [&](caf::timespan span) {
    for (caf::timespan t{0}; t < span; t += std::chrono::milliseconds(20)) {
      actors.sched.run();
      actors.sched.advance_time(std::chrono::milliseconds(20));
    }
    actors.sched.run();
  };
  auto epoch = [&] { return data.db->jobs().value().at(0).epoch; };
  run_for(std::chrono::milliseconds(300));
  CHECK(epoch() == 1);

  // Worker 1 is lost: the job goes on on worker 0 alone, from the last checkpoint.
  caf::anon_send_exit(workers[1], caf::exit_reason::kill);
  caf::anon_send(job, workers_atom::value, std::vector<caf::actor>{workers[0]});
  data.write(orders(40, 40, start + 20000), {{"user1", "order1"}});
  run_for(std::chrono::milliseconds(300));
  CHECK(epoch() == 2);
  // A write of the first assignment (a worker that was hung) is refused now.
  row_batch stale(data.plan->sink);
  size_t row = stale.add_row(change_op::put);
  stale.set(row, 0, std::string("2023-11-14 22:13:20"));
  stale.set(row, 1, std::string("2023-11-14 22:13:30"));
  stale.set(row, 2, int64_t{999});
  stale.set(row, 3, 1.0);
  CHECK(absl::IsFailedPrecondition(data.db->write(stale, {data.plan->name, 1}).status()));

  // A worker joins: a checkpoint at once, then the job is spread over both.
  auto joined = worker();
  caf::anon_send(job, workers_atom::value, std::vector<caf::actor>{workers[0], joined});
  data.write(orders(80, 40, start + 40000), {{"user2", "order2"}});
  run_for(std::chrono::milliseconds(300));
  CHECK(epoch() == 3);

  caf::anon_send(job, stop_atom::value);
  REQUIRE(actors.run_until_ended(end));
  CHECK_MESSAGE(!end.reason, actors.sys.render(end.reason));
  CHECK(data.db->jobs().value().at(0).stopped);
  auto last = data.db->last_checkpoint(data.job());
  REQUIRE(last.ok());
  CHECK(last->offsets == data.end_offsets());
  CHECK(last->parts == 2);
  INFO("sink: " << describe(data.sink()));
  CHECK(data.sink() == data.expected_windows());
}

}  // namespace
}  // namespace sluice

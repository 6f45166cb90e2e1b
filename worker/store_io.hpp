// Store calls as messages. Every actor that uses the store (sources, the job actor, the worker,
// the coordinator) owns a store I/O actor and sends it calls; each call runs on the I/O actor's
// own thread (it may block there: RocksDB, or a remote store across an outage) and its result
// comes back as the answer to the request, handled by the caller with its own state. The caller
// never waits: its handler returns at once, and the continuation runs when the answer comes.
// The same for a store open in the process and for `sluice store` across the network
// (store::api either way).
//
// Calls of one I/O actor run one at a time, in the order they were sent: a caller that sends
// a write and then a read sees the write.
#pragma once

#include <absl/status/statusor.h>
#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/settings.hpp>

#include <functional>
#include <memory>
#include <type_traits>
#include <variant>

#include "messaging/atoms.hpp"
#include "runtime/store/api.hpp"

namespace sluice::worker {

// One call on the store, run on an I/O actor's thread.
class store_call {
 public:
  virtual ~store_call() = default;
  virtual void run(store::api& db) = 0;
};

template <typename T>
class store_call_of final : public store_call {
 public:
  explicit store_call_of(std::function<absl::StatusOr<T>(store::api&)> fn) : fn_(std::move(fn)) {}
  void run(store::api& db) override { result = fn_(db); }
  absl::StatusOr<T> result = absl::UnknownError("the store call did not run");

 private:
  std::function<absl::StatusOr<T>(store::api&)> fn_;
};

}  // namespace sluice::worker

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<sluice::worker::store_call>)

namespace sluice::worker {

// Serves calls until `owner` ends.
caf::behavior store_io(caf::event_based_actor* self, store::api* db, caf::actor owner);

// Spawns an actor that may block (`fn` with `args`) on a thread of its own. Under CAF's
// deterministic test scheduler (scheduler.policy = testing) every actor runs on the test's
// thread, this one too.
template <caf::spawn_options Options = caf::no_spawn_options, typename Owner, typename Fn,
          typename... Args>
caf::actor spawn_blocking(Owner* owner, Fn fn, Args&&... args) {
  auto policy = caf::get_or(owner->system().config(), "scheduler.policy", caf::atom("stealing"));
  if (policy == caf::atom("testing"))
    return owner->template spawn<Options>(fn, std::forward<Args>(args)...);
  return owner->template spawn<Options + caf::detached>(fn, std::forward<Args>(args)...);
}

// The store I/O actor of `owner`, on a thread of its own; it ends after its owner, once the
// call it runs (if any) returns. `db` outlives the actor system.
template <typename Owner>
caf::actor spawn_store_io(Owner* owner, store::api* db) {
  return spawn_blocking(owner, store_io, db, caf::actor_cast<caf::actor>(owner));
}

// How the caller goes on while a call runs: with its other messages (multiplexed), or with
// them left in its mailbox until the answer has been handled (awaited: a reducer restoring its
// state merges nothing before the state is there).
enum class while_asking { multiplexed, awaited };

// Runs fn(store::api&) on `io` and then `then(result)` as a handler of `self`: fn returns
// absl::StatusOr<T> or absl::Status, and `then` takes absl::StatusOr<T> (std::monostate for a
// Status). No timeout: a remote store answers or retries for as long as it is away, and a call
// that cannot end (the I/O actor gone) comes back as Unavailable.
template <while_asking Mode = while_asking::multiplexed, typename Self, typename Fn,
          typename Then>
void ask_store(Self* self, const caf::actor& io, Fn fn, Then then) {
  using returned = std::invoke_result_t<Fn&, store::api&>;
  using value_type = typename std::conditional_t<std::is_same_v<returned, absl::Status>,
                                                 absl::StatusOr<std::monostate>, returned>::value_type;
  auto call = std::make_shared<store_call_of<value_type>>(
      [fn = std::move(fn)](store::api& db) mutable -> absl::StatusOr<value_type> {
        if constexpr (std::is_same_v<returned, absl::Status>) {
          if (auto status = fn(db); !status.ok()) return status;
          return std::monostate{};
        } else {
          return fn(db);
        }
      });
  auto answered = [call, then](msg::ok_atom) mutable { then(std::move(call->result)); };
  auto failed = [self, then](const caf::error& error) mutable {
    then(absl::StatusOr<value_type>(
        absl::UnavailableError("the store is out of reach: " + self->system().render(error))));
  };
  auto pending = self->request(io, caf::infinite, msg::io_atom::value,
                               std::shared_ptr<store_call>(call));
  if constexpr (Mode == while_asking::awaited) std::move(pending).await(answered, failed);
  else std::move(pending).then(answered, failed);
}

}  // namespace sluice::worker

#include "worker/store_io.hpp"

namespace sluice::worker {

caf::behavior store_io(caf::event_based_actor* self, store::api* db, caf::actor owner) {
  self->monitor(owner);
  self->set_down_handler([self](const caf::down_msg&) { self->quit(); });
  return {
      [db](msg::io_atom, const std::shared_ptr<store_call>& call) {
        call->run(*db);
        return msg::ok_atom::value;
      },
  };
}

}  // namespace sluice::worker

#include "remote/configure.hpp"

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>

namespace sluice::remote {

void configure(caf::actor_system_config& config) {
  using namespace std::chrono_literals;
  config.load<caf::io::middleman>();
  // A peer that sends nothing for a second (a heartbeat every 250 ms) is taken for dead: its
  // connection closes and every actor monitoring its actors gets a down message.
  config.set("middleman.heartbeat-interval", caf::timespan{250ms});
  config.set("middleman.connection-timeout", caf::timespan{1s});
  // Messages from the network are decoded on the middleman's own thread. CAF's default hands
  // them to a decoding worker that runs on the scheduler's threads, so while actors block those
  // threads in store calls, the answers to the calls would wait behind them for good.
  config.set("middleman.workers", size_t{0});
  config.set("logger.verbosity", caf::atom("quiet"));
}

}  // namespace sluice::remote

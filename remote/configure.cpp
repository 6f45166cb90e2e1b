#include "remote/configure.hpp"

#include "remote/protocol.hpp"

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/settings.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

namespace sluice::remote {

namespace {
constexpr char secret_key[] = "sluice.secret";
}  // namespace

void configure(caf::actor_system_config& config, const credentials& given) {
  using namespace std::chrono_literals;
  config.load<caf::io::middleman>();
  config.add_message_type<store::frame_bytes>("sluice.frame");
  // Offsets and channel lists of jobs, and the table ids of a checkpoint's sources.
  config.add_message_type<std::vector<uint64_t>>("sluice.u64s");
  // A peer that sends nothing for a second (a heartbeat every 250 ms) is taken for dead: its
  // connection closes and every actor monitoring its actors gets a down message.
  config.set("middleman.heartbeat-interval", caf::timespan{250ms});
  config.set("middleman.connection-timeout", caf::timespan{1s});
  config.set("logger.verbosity", caf::atom("quiet"));
  if (!given.secret.empty()) caf::put(config.content, secret_key, given.secret);
  configure_tls(config, given.tls);
}

std::string secret_of(const caf::actor_system& system) {
  return caf::get_or(system.config(), secret_key, "");
}

}  // namespace sluice::remote

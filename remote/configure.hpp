// The CAF settings every Sluice process uses to talk to others: the io middleman (BASP over
// TCP), heartbeats so that a hung peer is seen within 2 s, a quiet logger, and the message types
// of the protocols (all of them CAF built-ins: strings, integers, std::vector<char> for Cap'n
// Proto bytes, std::vector<std::string>, so nothing needs announcing).
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <string>

#include "remote/tls.hpp"

namespace sluice::remote {

// What a process proves itself with: the cluster's key (read_secret_file; empty for none) and
// TLS certificates (none when empty). remote/gate.hpp's listeners and connections use both.
struct credentials {
  std::string secret;
  tls_files tls;
};

// Call before constructing the caf::actor_system.
void configure(caf::actor_system_config& config, const credentials& given = {});

// The key given to configure; empty for none.
std::string secret_of(const caf::actor_system& system);

}  // namespace sluice::remote

// Hosts made of network namespaces on this machine, joined by a bridge: `sluice chaos --hosts H`
// spreads its roles over them, cuts a host off the others and joins it again (a partition and
// its healing), and slows a host's link (`tc`'s token bucket: it is in every kernel, where
// netem's delays often are not). Needs root and the `ip` and `tc` commands.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sluice::chaos {

class network {
 public:
  // Hosts 1..`hosts`, each a namespace with an address on one bridge, which this machine's own
  // namespace reaches too. Commands and their output are logged to `log`. FailedPrecondition
  // with the command that failed when the machine does not allow it; nothing is left behind.
  static absl::StatusOr<std::unique_ptr<network>> create(uint32_t hosts,
                                                         std::filesystem::path log);
  // Deletes the namespaces and the bridge.
  ~network();
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  uint32_t hosts() const { return static_cast<uint32_t>(names_.size()); }
  // What runs a command on `host`: `ip netns exec NAME`, which execs it (same process id).
  std::vector<std::string> prefix(uint32_t host) const;
  // The host's address on the bridge.
  std::string address(uint32_t host) const;

  // Takes the host's link down: it reaches no other host, and none reaches it.
  absl::Status cut(uint32_t host);
  absl::Status mend(uint32_t host);
  // Throttles the host's link both ways to 4 Mbit/s, queueing up to 100 ms.
  absl::Status slow(uint32_t host);
  absl::Status speed_up(uint32_t host);

 private:
  network(std::string tag, uint32_t subnet, std::filesystem::path log);
  absl::Status sh(const std::string& command) const;
  std::string outside(uint32_t host) const { return names_[host - 1] + "b"; }
  std::string inside(uint32_t host) const { return names_[host - 1] + "v"; }

  std::string tag_;
  uint32_t subnet_;
  std::filesystem::path log_;
  std::string bridge_;
  std::vector<std::string> names_;
};

}  // namespace sluice::chaos

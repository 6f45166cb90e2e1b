#include "chaos/network.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "chaos/process.hpp"

namespace sluice::chaos {

network::network(std::string tag, uint32_t subnet, std::filesystem::path log)
    : tag_(std::move(tag)), subnet_(subnet), log_(std::move(log)), bridge_(tag_ + "br") {}

absl::StatusOr<std::unique_ptr<network>> network::create(uint32_t hosts,
                                                         std::filesystem::path log) {
  // Names and a subnet of this process's own, so that runs side by side do not meet.
  const auto pid = static_cast<uint32_t>(::getpid());
  auto made = std::unique_ptr<network>(
      new network(fmt::format("sc{}", pid % 100000), 1 + pid % 250, std::move(log)));
  auto failed = [](const absl::Status& status) {
    return absl::FailedPreconditionError(fmt::format(
        "network namespaces are not available here: {}", std::string(status.message())));
  };
  if (auto status = made->sh(fmt::format("ip link add {0} type bridge && ip addr add "
                                         "10.78.{1}.254/24 dev {0} && ip link set {0} up",
                                         made->bridge_, made->subnet_));
      !status.ok()) {
    made->sh("ip link delete " + made->bridge_).IgnoreError();
    made->bridge_.clear();
    return failed(status);
  }
  for (uint32_t host = 1; host <= hosts; ++host) {
    std::string name = fmt::format("{}h{}", made->tag_, host);
    if (auto status = made->sh("ip netns add " + name); !status.ok()) return failed(status);
    made->names_.push_back(name);
    if (auto status = made->sh(fmt::format(
            "ip link add {0} type veth peer name {1} && ip link set {0} netns {2} && "
            "ip link set {1} master {3} up && ip netns exec {2} ip addr add {4}/24 dev {0} && "
            "ip netns exec {2} ip link set {0} up && ip netns exec {2} ip link set lo up",
            made->inside(host), made->outside(host), name, made->bridge_, made->address(host)));
        !status.ok())
      return failed(status);
  }
  return made;
}

network::~network() {
  for (const auto& name : names_) sh("ip netns delete " + name).IgnoreError();
  if (!bridge_.empty()) sh("ip link delete " + bridge_).IgnoreError();
}

std::vector<std::string> network::prefix(uint32_t host) const {
  return {"/usr/bin/env", "ip", "netns", "exec", names_[host - 1]};
}

std::string network::address(uint32_t host) const {
  return fmt::format("10.78.{}.{}", subnet_, host);
}

absl::Status network::cut(uint32_t host) { return sh(fmt::format("ip link set {} down", outside(host))); }

absl::Status network::mend(uint32_t host) { return sh(fmt::format("ip link set {} up", outside(host))); }

absl::Status network::slow(uint32_t host) {
  constexpr const char* throttle = "tbf rate 4mbit burst 16kb latency 100ms";
  return sh(fmt::format("tc qdisc add dev {0} root {3} && "
                        "ip netns exec {1} tc qdisc add dev {2} root {3}",
                        outside(host), names_[host - 1], inside(host), throttle));
}

absl::Status network::speed_up(uint32_t host) {
  return sh(fmt::format("tc qdisc del dev {0} root; ip netns exec {1} tc qdisc del dev {2} root",
                        outside(host), names_[host - 1], inside(host)));
}

absl::Status network::sh(const std::string& command) const {
  std::string output;
  auto code = run_command({"/bin/sh", "-c", command}, std::chrono::seconds(20), log_, &output);
  if (!code.ok()) return code.status();
  if (*code != 0) return absl::InternalError(fmt::format("{}: {}", command, output));
  return absl::OkStatus();
}

}  // namespace sluice::chaos

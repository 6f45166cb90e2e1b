#include "runtime/store/follower.hpp"

#include <absl/time/clock.h>
#include <fmt/format.h>

namespace sluice::store {

absl::Status follower::retry_outages(
    const std::atomic<bool>& stop, const log_fn& log,
    const std::function<absl::Status(bool& progressed)>& pass) const {
  auto backoff = absl::Milliseconds(100);
  while (true) {
    bool progressed = false;
    auto status = pass(progressed);
    if (status.ok() || !absl::IsUnavailable(status)) return status;
    if (stop) return absl::OkStatus();
    if (progressed) backoff = absl::Milliseconds(100);
    log(fmt::format("{}: {}; retrying in {}", name(), std::string(status.message()),
                    absl::FormatDuration(backoff)));
    for (auto until = absl::Now() + backoff; !stop && absl::Now() < until;)
      absl::SleepFor(absl::Milliseconds(20));
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace sluice::store

// Tumbling event-time windows aligned to the Unix epoch, [start, start + size), as Spark's
// window(time, "10 seconds"). Times are microseconds since the epoch.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string_view>

namespace sluice::ops {

// Parses a duration as the seeds write it: "10 seconds", "30 second", "1 minute", "500 ms",
// "2 hours", "1 day", into microseconds (zero allowed). InvalidArgument says what is accepted.
absl::StatusOr<int64_t> parse_duration(std::string_view duration);

class tumbling_window {
 public:
  // A window of a positive duration (see parse_duration).
  static absl::StatusOr<tumbling_window> parse(std::string_view duration);
  explicit tumbling_window(int64_t size_micros) : size_(size_micros) {}

  int64_t size() const { return size_; }
  // The start of the window holding `t`: the largest multiple of the size not above t.
  int64_t start(int64_t t) const {
    int64_t q = t / size_;
    if (t % size_ < 0) --q;
    return q * size_;
  }

 private:
  int64_t size_;
};

}  // namespace sluice::ops

// Event-time windows aligned to the Unix epoch, [start, start + size), as Spark's window(time,
// "10 seconds") (tumbling) and window(time, "10 seconds", "5 seconds") (sliding: a window starts
// at every multiple of the slide, and a row belongs to every window that covers it). Times are
// microseconds since the epoch.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string_view>

namespace sluice::ops {

// Parses a duration as the seeds write it: "10 seconds", "30 second", "1 minute", "500 ms",
// "2 hours", "1 day", into microseconds (zero allowed). InvalidArgument says what is accepted.
absl::StatusOr<int64_t> parse_duration(std::string_view duration);

class time_window {
 public:
  // Windows of a positive duration (see parse_duration), sliding by `slide` (empty: by their
  // size, tumbling), which must not exceed the size.
  static absl::StatusOr<time_window> parse(std::string_view size, std::string_view slide = {});
  time_window(int64_t size_micros, int64_t slide_micros) : size_(size_micros), slide_(slide_micros) {}

  int64_t size() const { return size_; }
  int64_t slide() const { return slide_; }
  // The start of the latest window holding `t`: the largest multiple of the slide not above t.
  int64_t start(int64_t t) const {
    int64_t q = t / slide_;
    if (t % slide_ < 0) --q;
    return q * slide_;
  }
  // fn(start) for every window holding `t`, the latest first.
  template <typename F>
  void for_each_start(int64_t t, F&& fn) const {
    for (int64_t s = start(t); s > t - size_; s -= slide_) fn(s);
  }

 private:
  int64_t size_;
  int64_t slide_;
};

}  // namespace sluice::ops

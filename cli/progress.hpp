// A progress line on stderr for long work: rows done and rows/s, at most once a second, shown
// only when the work takes longer than a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sluice::cli {

class progress {
 public:
  explicit progress(std::string what);
  void update(uint64_t rows);
  // Ends the progress line if one was shown.
  void finish();
  double seconds() const;

 private:
  using clock = std::chrono::steady_clock;
  std::string what_;
  clock::time_point start_ = clock::now();
  clock::time_point last_ = start_;
  bool shown_ = false;
};

}  // namespace sluice::cli

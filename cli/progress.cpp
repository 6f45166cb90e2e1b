#include "cli/progress.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>

namespace sluice::cli {

progress::progress(std::string what) : what_(std::move(what)) {}

void progress::update(uint64_t rows) {
  auto now = clock::now();
  if (now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  shown_ = true;
  double elapsed = seconds();
  // On a terminal the line is redrawn in place; in a log every update is a line of its own.
  bool terminal = isatty(STDERR_FILENO);
  fmt::print(stderr, "{}{}: {} rows, {:.0f} rows/s{}", terminal ? "\r" : "", what_, rows,
             rows / elapsed, terminal ? "" : "\n");
  std::fflush(stderr);
}

void progress::finish() {
  if (shown_ && isatty(STDERR_FILENO)) fmt::print(stderr, "\n");
}

double progress::seconds() const {
  return std::chrono::duration<double>(clock::now() - start_).count();
}

}  // namespace sluice::cli

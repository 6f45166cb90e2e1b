// A child process of `sluice chaos`: one role of its cluster (`sluice store`, `coordinator`,
// `worker`) or one command (`sluice sql`, `gen`, `put`). Its output goes to a log file. The
// destructor kills it and reaps it, so no role outlives the run that started it.
#pragma once

#include <absl/status/statusor.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::chaos {

class process {
 public:
  // Starts argv[0] with argv, stdout and stderr appended to `log`, stdin from `input` when given.
  static absl::StatusOr<std::unique_ptr<process>> start(const std::vector<std::string>& argv,
                                                        const std::filesystem::path& log,
                                                        const std::filesystem::path& input = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  void signal(int number) const;
  bool running();
  // Waits up to `patience` for it to end, then kills it; its exit code (128 + signal when
  // killed by one).
  int wait(std::chrono::milliseconds patience);
  // SIGKILL, then its exit code.
  int kill();

 private:
  explicit process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_code_;
};

// Runs a command to its end within `timeout`; its exit code, and what it printed in *output.
absl::StatusOr<int> run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                                const std::filesystem::path& log, std::string* output = nullptr,
                                const std::filesystem::path& input = {});

}  // namespace sluice::chaos

// Runs another program for a test, without a shell: its standard input comes from a string, its
// standard output and error are captured whole, and it is killed if it runs past a time limit.
// The three streams go through files in a temp dir rather than pipes, so neither side can block
// on a full pipe. `background_process` is the same for a program that runs beside the test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace sluice::testing {

struct run_result {
  // The exit status, or 128 + the signal number when a signal ended the program.
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
};

inline constexpr std::chrono::seconds default_run_timeout{60};

namespace detail {

inline std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Starts argv[0] (a path, not searched in PATH) with its three standard streams on the files.
// Faults (the program cannot be started) throw, which fails the test that asked.
inline pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& in,
                   const std::filesystem::path& out, const std::filesystem::path& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0)
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
  return pid;
}

// Waits for `pid` until `deadline`: its wait status, or nothing if it still runs then.
inline std::optional<int> wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0) throw std::runtime_error("waitpid failed: " + std::string(std::strerror(errno)));
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

// Kills `pid` and reaps it; its wait status.
inline int kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

}  // namespace detail

// Runs `argv` with `input` on its standard input and waits for it, at most `timeout`.
inline run_result run(const std::vector<std::string>& argv, std::string_view input = {},
                      std::chrono::seconds timeout = default_run_timeout) {
  temp_dir io;
  const auto in = io.path / "stdin", out = io.path / "stdout", err = io.path / "stderr";
  std::ofstream(in, std::ios::binary) << input;
  pid_t pid = detail::spawn(argv, in, out, err);
  run_result result;
  auto status = detail::wait_until(pid, std::chrono::steady_clock::now() + timeout);
  if (!status) {
    result.timed_out = true;
    status = detail::kill_and_reap(pid);
  }
  result.exit_code = detail::exit_code_of(*status);
  result.out = detail::read_whole_file(out);
  result.err = detail::read_whole_file(err);
  return result;
}

// A program running beside the test, with empty standard input and its output going to files.
// It is killed when the object goes, so a failing test leaves no process behind.
class background_process {
 public:
  explicit background_process(const std::vector<std::string>& argv)
      : out_(io_.path / "stdout"), err_(io_.path / "stderr") {
    const auto in = io_.path / "stdin";
    std::ofstream(in, std::ios::binary).flush();
    pid_ = detail::spawn(argv, in, out_, err_);
  }
  ~background_process() {
    if (running_) detail::kill_and_reap(pid_);
  }
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  // Whether it has not ended yet (an ended process is reaped here).
  bool running() {
    if (!running_) return false;
    if (auto status = detail::wait_until(pid_, std::chrono::steady_clock::now())) {
      running_ = false;
      exit_code_ = detail::exit_code_of(*status);
    }
    return running_;
  }

  // Sends it `signal` (SIGSTOP, SIGCONT, ...) if it still runs.
  void signal(int signal) {
    if (running()) ::kill(pid_, signal);
  }

  // Sends it SIGTERM and waits up to `patience` for it to end (then kills it); returns what it
  // did, exit_code 128 + SIGKILL when it had to be killed.
  run_result terminate(std::chrono::seconds patience) {
    if (running()) {
      ::kill(pid_, SIGTERM);
      if (auto status = detail::wait_until(pid_, std::chrono::steady_clock::now() + patience)) {
        running_ = false;
        exit_code_ = detail::exit_code_of(*status);
      }
    }
    return stop();
  }

  // Kills it if it still runs and returns what it did; exit_code is 128 + SIGKILL if it was
  // killed.
  run_result stop() {
    run_result result;
    if (running_) {
      int status = detail::kill_and_reap(pid_);
      running_ = false;
      result.exit_code = detail::exit_code_of(status);
    } else {
      result.exit_code = exit_code_;
    }
    result.out = detail::read_whole_file(out_);
    result.err = detail::read_whole_file(err_);
    return result;
  }

 private:
  temp_dir io_;
  std::filesystem::path out_, err_;
  pid_t pid_ = 0;
  bool running_ = true;
  int exit_code_ = -1;
};

}  // namespace sluice::testing

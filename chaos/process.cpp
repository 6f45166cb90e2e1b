#include "chaos/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace sluice::chaos {
namespace {

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<process>> process::start(const std::vector<std::string>& argv,
                                                        const std::filesystem::path& log,
                                                        const std::filesystem::path& input) {
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0)
    return absl::InternalError(fmt::format("cannot open {}: {}", log.string(), std::strerror(errno)));
  const int in = ::open(input.empty() ? "/dev/null" : input.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    ::close(out);
    return absl::InternalError(fmt::format("cannot open {}: {}", input.string(), std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(in);
    return absl::ResourceExhaustedError(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(in);
  return std::unique_ptr<process>(new process(pid));
}

process::~process() {
  if (!exit_code_) kill();
}

void process::signal(int number) const {
  if (!exit_code_) ::kill(pid_, number);
}

bool process::running() {
  if (exit_code_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = exit_code_of(status);
  return !exit_code_;
}

int process::wait(std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return running() ? kill() : *exit_code_;
}

int process::kill() {
  if (exit_code_) return *exit_code_;
  ::kill(pid_, SIGCONT);  // a stopped process takes SIGKILL too, but is reaped sooner running
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = exit_code_of(status);
  return *exit_code_;
}

absl::StatusOr<int> run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                                const std::filesystem::path& log, std::string* output,
                                const std::filesystem::path& input) {
  const auto capture = log.string() + ".last";
  std::filesystem::remove(capture);
  auto child = process::start(argv, capture, input);
  if (!child.ok()) return child.status();
  const int code = (*child)->wait(timeout);
  std::ifstream in(capture, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::ofstream(log, std::ios::app | std::ios::binary) << text.str();
  if (output) *output = text.str();
  return code;
}

}  // namespace sluice::chaos

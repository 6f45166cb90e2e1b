// The `sluice` binary under test run as a process against one data directory. Needs
// SLUICE_BINARY, which the CLI test binary defines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/support/run.hpp"

namespace sluice::testing {

// `sluice COMMAND --data DATA ARGS...` with `input` on standard input, at most `timeout`.
inline run_result run_sluice(const std::string& data, const std::string& command,
                             const std::vector<std::string>& args, std::string_view input,
                             std::chrono::seconds timeout = default_run_timeout) {
  std::vector<std::string> argv = {SLUICE_BINARY, command, "--data", data};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input, timeout);
}

}  // namespace sluice::testing

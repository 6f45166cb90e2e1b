// A fresh directory under $TMPDIR (or /tmp) for one test, removed with everything in it after.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sluice::testing {

struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/sluice-test-XXXXXX";
    path = mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace sluice::testing

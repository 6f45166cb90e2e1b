#include "cli/command.hpp"

#include <fmt/format.h>

#include <iostream>
#include <thread>

namespace sluice::cli {

void add_data_option(CLI::App& command, std::string& dir) {
  dir = default_data_dir;
  command.add_option("--data", dir, "data directory of the store")
      ->capture_default_str()
      ->type_name("DIR");
}

int report(std::string_view command, const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << fmt::format("sluice {}: {}\n", command, std::string(status.message()));
  return 1;
}

absl::StatusOr<std::unique_ptr<store::store>> open_store(const std::string& dir, bool read_only,
                                                         bool sync) {
  store::options options{dir, sync, read_only};
  auto opened = store::store::open(options);
  // A read-only open can race with the writer switching log files; a second try sees the new ones.
  for (int attempt = 0; read_only && attempt < 3 && absl::IsUnavailable(opened.status()); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    opened = store::store::open(options);
  }
  return opened;
}

}  // namespace sluice::cli

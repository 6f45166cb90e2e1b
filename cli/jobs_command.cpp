// `sluice jobs`: the jobs of a cluster, as the coordinator sees them; `sluice jobs wait JOB
// --caught-up` and `sluice jobs stop JOB` for scripts and operators.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

#include "cli/cluster.hpp"
#include "cli/command.hpp"
#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"

namespace sluice::cli {
namespace {

struct jobs_options {
  std::string coordinator = default_coordinator_address;
  credential_files credentials;
  bool json = false;
  std::string job;
  bool caught_up = false;
  double timeout_seconds = 600;
};

std::string print_time(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

// The listing as a table: one block per job.
void print(const nlohmann::json& listing) {
  std::vector<std::string> workers = listing["workers"];
  std::cout << fmt::format("{} workers: {}\n", workers.size(), fmt::join(workers, ", "));
  if (listing["jobs"].empty()) std::cout << "no jobs\n";
  for (const auto& job : listing["jobs"]) {
    std::cout << fmt::format("job {}: {}", job["name"].get<std::string>(),
                             job["state"].get<std::string>());
    if (!job.contains("rows")) {
      std::cout << "\n";
      continue;
    }
    uint64_t lag = 0;
    for (uint64_t l : job["lag"]) lag += l;
    std::cout << fmt::format(
        ", assignment {}, {} rows read, {:.0f} rows/s, lag {}, checkpoint {} at {} UTC ({:.0f} "
        "ms), "
        "{} reassignments{}\n",
        job["epoch"].get<uint64_t>(), job["rows"].get<uint64_t>(),
        job["rows_per_second"].get<double>(), lag, job["last_checkpoint"].get<uint64_t>(),
        print_time(job["last_checkpoint_unix_ms"].get<int64_t>()),
        job["last_checkpoint_ms"].get<double>(), job["reassignments"].get<uint64_t>(),
        job["late"].get<uint64_t>() ? fmt::format(", {} late rows", job["late"].get<uint64_t>())
                                    : "");
    for (const auto& share : job["shares"]) {
      std::vector<uint32_t> channels = share["channels"];
      std::cout << fmt::format(
          "  worker {}: channels {}, key groups {}-{}\n", share["worker"].get<std::string>(),
          channels.empty() ? "none" : fmt::format("{}", fmt::join(channels, ",")),
          share["key_groups"][0].get<uint32_t>(), share["key_groups"][1].get<uint32_t>() - 1);
    }
    std::vector<uint64_t> lags = job["lag"];
    std::cout << fmt::format("  lag per channel: {}\n", fmt::join(lags, " "));
    // A job chain: the running jobs that read this one's sink.
    const std::string sink = job["sink"];
    std::vector<std::string> inputs = job["inputs"], feeds;
    for (const auto& other : listing["jobs"]) {
      if (!other.contains("inputs")) continue;
      std::vector<std::string> reads = other["inputs"];
      if (std::find(reads.begin(), reads.end(), sink) != reads.end())
        feeds.push_back(other["name"]);
    }
    std::cout << fmt::format("  reads {}, writes {}{}\n", fmt::join(inputs, " and "), sink,
                             feeds.empty() ? "" : fmt::format(", which feeds {}", fmt::join(feeds, ", ")));
  }
}

caf::timespan timeout_of(const jobs_options& options) {
  return std::chrono::duration_cast<caf::timespan>(
      std::chrono::duration<double>(options.timeout_seconds));
}

absl::Status list(const jobs_options& options) {
  SLUICE_ASSIGN_OR_RETURN(
      auto text, ask_coordinator<std::string>(options.coordinator, options.credentials,
                                              std::chrono::seconds(30),
                                              msg::jobs_atom::value));
  if (options.json) {
    std::cout << text << "\n";
    return absl::OkStatus();
  }
  print(nlohmann::json::parse(text));
  return absl::OkStatus();
}

absl::Status wait(const jobs_options& options) {
  if (!options.caught_up) return absl::InvalidArgumentError("say what to wait for: --caught-up");
  auto done = ask_coordinator<msg::ok_atom>(options.coordinator, options.credentials,
                                            timeout_of(options), msg::wait_atom::value,
                                            options.job);
  if (absl::IsDeadlineExceeded(done.status()))
    return absl::DeadlineExceededError(
        fmt::format("job {} was not caught up after {} s", options.job, options.timeout_seconds));
  SLUICE_RETURN_IF_ERROR(done.status());
  std::cout << fmt::format("job {} is caught up\n", options.job);
  return absl::OkStatus();
}

absl::Status stop(const jobs_options& options) {
  auto done = ask_coordinator<msg::ok_atom>(options.coordinator, options.credentials,
                                            timeout_of(options), msg::stop_atom::value,
                                            options.job);
  SLUICE_RETURN_IF_ERROR(done.status());
  std::cout << fmt::format("job {} stopped after a final checkpoint\n", options.job);
  return absl::OkStatus();
}

}  // namespace

void add_jobs_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<jobs_options>();
  auto* command = app.add_subcommand(
      "jobs",
      "Show the jobs of a cluster: each job's state, which worker holds which channels and key "
      "groups, rows/s, lag per channel and the last complete checkpoint.\n"
      "Example: sluice jobs --coordinator 10.0.0.1:7401");
  command->require_subcommand(0, 1);
  command->add_option("--coordinator", options->coordinator, "the coordinator's address")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  command->add_flag("--json", options->json, "print the listing as JSON");
  add_credential_options(*command, options->credentials);

  auto* wait_command = command->add_subcommand(
      "wait",
      "Wait until JOB has read every channel to the end it had when this command started and a "
      "checkpoint after that is complete (for scripts and tests).");
  wait_command->fallthrough();
  wait_command->add_option("job", options->job, "the job's name")->required();
  wait_command->add_flag("--caught-up", options->caught_up, "wait for the job to catch up");
  wait_command->add_option("--timeout", options->timeout_seconds, "give up after this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  auto* stop_command = command->add_subcommand(
      "stop", "Stop JOB after a final checkpoint; it is not resumed until submitted again.");
  stop_command->fallthrough();
  stop_command->add_option("job", options->job, "the job's name")->required();
  stop_command->add_option("--timeout", options->timeout_seconds, "give up after this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  command->callback([options, &exit_code, wait_command, stop_command] {
    if (wait_command->parsed())
      exit_code = report("jobs wait", wait(*options));
    else if (stop_command->parsed())
      exit_code = report("jobs stop", stop(*options));
    else
      exit_code = report("jobs", list(*options));
  });
}

}  // namespace sluice::cli

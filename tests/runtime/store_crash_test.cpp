// Durability: a writer process killed with SIGKILL at random moments loses no acknowledged batch
// and leaves no batch torn, in the rows or in the channels.
#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "runtime/store/store.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace sluice::store {
namespace {

constexpr long rows_per_batch = 2000;

// Starts the writer from batch `first`; kills it after `acks` acknowledgements plus a moment;
// returns the last batch it acknowledged (first - 1 if none).
long run_writer_until_killed(const std::string& dir, long first, int acks, int extra_us) {
  int out[2];
  REQUIRE(pipe(out) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string first_text = std::to_string(first), rows_text = std::to_string(rows_per_batch);
  char* argv[] = {const_cast<char*>(STORE_WRITER), const_cast<char*>(dir.c_str()),
                  first_text.data(), rows_text.data(), nullptr};
  pid_t pid;
  REQUIRE(posix_spawn(&pid, STORE_WRITER, &actions, nullptr, argv, environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  FILE* lines = fdopen(out[0], "r");
  long last = first - 1, acked;
  for (int seen = 0; seen < acks && std::fscanf(lines, "%ld", &acked) == 1; ++seen) last = acked;
  std::this_thread::sleep_for(std::chrono::microseconds(extra_us));
  kill(pid, SIGKILL);
  // Acknowledgements printed before the kill still count.
  while (std::fscanf(lines, "%ld", &acked) == 1) last = acked;
  std::fclose(lines);
  int status;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  return last;
}

TEST_CASE("a writer killed with SIGKILL loses no acknowledged batch and tears none") {
  testing::temp_dir dir;
  std::string data = (dir.path / "data").string();
  std::mt19937 random(12345);
  long next = 0;
  for (int round = 0; round < 5; ++round) {
    long acked = run_writer_until_killed(data, next, 1 + random() % 15, random() % 20000);
    auto db = store::open({data});
    REQUIRE(db.ok());
    auto table = (*db)->find_table("T");
    REQUIRE(table.ok());
    std::map<int64_t, long> rows_of_batch;
    REQUIRE((*db)->scan(**table, [&](std::span<const value> row) {
                   ++rows_of_batch[std::get<int64_t>(row[1])];
                   return absl::OkStatus();
                 }).ok());
    // The batches present are 0..present-1, each whole; every acknowledged one is among them.
    long present = static_cast<long>(rows_of_batch.size());
    CHECK(present >= acked + 1);
    for (const auto& [batch, rows] : rows_of_batch) {
      CHECK(batch < present);
      CHECK(rows == rows_per_batch);
    }
    // The channels hold exactly one record per row, at dense offsets.
    auto ends = (*db)->end_offsets(**table).value();
    uint64_t records = 0;
    for (uint32_t c = 0; c < ends.size(); ++c) {
      auto batch = (*db)->read_channel(**table, c, 0, ends[c]);
      REQUIRE(batch.ok());
      uint64_t expected = 0;
      bool dense = true;
      batch->for_each([&](uint64_t offset, wire::ChangeRecord::Reader) {
        dense = dense && offset == expected++;
      });
      CHECK(dense);
      CHECK(expected == ends[c]);
      records += ends[c];
    }
    CHECK(records == static_cast<uint64_t>(present * rows_per_batch));
    next = present;
  }
  CHECK(next > 5);
}

}  // namespace
}  // namespace sluice::store

// `sluice tunnel`: where a table's change stream stands: per channel its end offset, and per
// tunnel its committed offsets and lag.
#include <absl/time/time.h>
#include <fmt/format.h>

#include <iostream>
#include <numeric>

#include "cli/command.hpp"
#include "runtime/core/status.hpp"

namespace sluice::cli {
namespace {

struct tunnel_options {
  store_location where;
  std::string table;
};

absl::Status run_tunnel(const tunnel_options& options) {
  SLUICE_ASSIGN_OR_RETURN(auto db, connect_store(options.where, /*read_only=*/true));
  SLUICE_ASSIGN_OR_RETURN(auto table, db->find_table(options.table));
  SLUICE_ASSIGN_OR_RETURN(auto ends, db->end_offsets(*table));
  SLUICE_ASSIGN_OR_RETURN(auto tunnels, db->tunnels(*table));
  uint64_t records = std::accumulate(ends.begin(), ends.end(), uint64_t{0});
  std::string out = fmt::format("table {}: {} channels, {} change records\n\n", table->name(),
                                table->channels(), records);
  fmt::format_to(std::back_inserter(out), "{:>7}  {:>12}\n", "channel", "end offset");
  for (size_t c = 0; c < ends.size(); ++c)
    fmt::format_to(std::back_inserter(out), "{:>7}  {:>12}\n", c, ends[c]);
  for (const auto& tunnel : tunnels) {
    uint64_t lag = 0;
    for (size_t c = 0; c < ends.size(); ++c) lag += ends[c] - std::min(ends[c], tunnel.committed_offsets[c]);
    fmt::format_to(std::back_inserter(out), "\ntunnel {} ({}), id {}, created {}, lag {}\n",
                   tunnel.name, store::tunnel_type_name(tunnel.type), tunnel.id,
                   absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(tunnel.created_ms),
                                    absl::UTCTimeZone()),
                   lag);
    fmt::format_to(std::back_inserter(out), "{:>7}  {:>12}  {:>12}  {:>12}\n", "channel", "start",
                   "committed", "lag");
    for (size_t c = 0; c < ends.size(); ++c)
      fmt::format_to(std::back_inserter(out), "{:>7}  {:>12}  {:>12}  {:>12}\n", c,
                     tunnel.start_offsets[c], tunnel.committed_offsets[c],
                     ends[c] - std::min(ends[c], tunnel.committed_offsets[c]));
  }
  std::cout << out;
  return absl::OkStatus();
}

}  // namespace

void add_tunnel_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<tunnel_options>();
  auto* command = app.add_subcommand(
      "tunnel",
      "Show a table's change stream: each channel's end offset (records in it), and for each "
      "tunnel (the default one and those made with CREATE TUNNEL) its id, type, committed "
      "offsets and lag.\nExample: sluice tunnel OrderSource");
  add_store_options(*command, options->where);
  command->add_option("table", options->table, "the source table")->required()->type_name("TABLE");
  command->callback([options, &exit_code] { exit_code = report("tunnel", run_tunnel(*options)); });
}

}  // namespace sluice::cli

#include "worker/checkpoint_writer.hpp"

#include <fmt/format.h>

#include <chrono>

#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;

// Sink rows go in batches of a few thousand: the sink is written at least once and converges,
// so a large change set need not be one huge atomic write.
constexpr size_t sink_batch_rows = 4096;

absl::Status write_rows(const checkpoint_writer_config& config, const row_batch& rows) {
  for (size_t first = 0; first < rows.size(); first += sink_batch_rows)
    SLUICE_RETURN_IF_ERROR(
        config.db
            ->write(rows.slice(first, std::min(sink_batch_rows, rows.size() - first)), config.fence)
            .status());
  return absl::OkStatus();
}

// The sink intent, the sink rows, the late rows (upserts of their change records: a replay
// writes them again), then the snapshot.
absl::Status write(const checkpoint_writer_config& config, const checkpoint_output& output) {
  if (!output.intent.empty())
    SLUICE_RETURN_IF_ERROR(config.db->put_sink_intent(config.job, output.checkpoint, config.part,
                                                      output.intent, config.fence));
  SLUICE_RETURN_IF_ERROR(write_rows(config, output.changes));
  if (output.late) SLUICE_RETURN_IF_ERROR(write_rows(config, *output.late));
  return config.db->put_snapshot(config.job, output.checkpoint, config.slots, output.snapshot,
                                 config.fence);
}

}  // namespace

caf::behavior checkpoint_writer(caf::stateful_actor<checkpoint_writer_state>* self,
                                checkpoint_writer_config config) {
  self->state.config = std::move(config);
  return {
      [self](const std::shared_ptr<checkpoint_output>& output) {
        const auto& config = self->state.config;
        const auto began = std::chrono::steady_clock::now();
        if (auto status = write(config, *output); !status.ok()) {
          self->send(config.coordinator, fail_atom::value, config.fence.epoch,
                     fmt::format("reducer {}: {}", config.part, std::string(status.message())));
          return self->quit();
        }
        uint64_t snapshot_bytes = 0;
        for (const auto& chunk : output->snapshot) snapshot_bytes += chunk.bytes.size();
        const double write_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        self->send(config.coordinator, ack_atom::value, config.fence.epoch, output->checkpoint,
                   config.part, output->late_rows, output->watermark,
                   static_cast<uint64_t>(output->changes.size()), snapshot_bytes, write_seconds);
      },
  };
}

}  // namespace sluice::worker

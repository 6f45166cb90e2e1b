#include "worker/checkpoint_writer.hpp"

#include <fmt/format.h>

#include "runtime/core/status.hpp"
#include "messaging/atoms.hpp"

namespace sluice::worker {
namespace {

using namespace sluice::msg;

// Sink rows go in batches of a few thousand: the sink is written at least once and converges,
// so a large change set need not be one huge atomic write.
constexpr size_t sink_batch_rows = 4096;

absl::Status write(const checkpoint_writer_config& config, const checkpoint_output& output) {
  const auto& changes = output.changes;
  for (size_t first = 0; first < changes.size(); first += sink_batch_rows)
    SLUICE_RETURN_IF_ERROR(
        config.db
            ->write(changes.slice(first, std::min(sink_batch_rows, changes.size() - first)),
                    config.fence)
            .status());
  return config.db->put_snapshot(config.job, output.checkpoint, config.part, output.snapshot,
                                 config.fence);
}

}  // namespace

caf::behavior checkpoint_writer(caf::stateful_actor<checkpoint_writer_state>* self,
                                checkpoint_writer_config config) {
  self->state.config = std::move(config);
  return {
      [self](const std::shared_ptr<checkpoint_output>& output) {
        const auto& config = self->state.config;
        if (auto status = write(config, *output); !status.ok()) {
          self->send(config.coordinator, fail_atom::value, config.fence.epoch,
                     fmt::format("reducer {}: {}", config.part, std::string(status.message())));
          return self->quit();
        }
        self->send(config.coordinator, ack_atom::value, config.fence.epoch, output->checkpoint,
                   config.part, output->late_rows);
      },
  };
}

}  // namespace sluice::worker

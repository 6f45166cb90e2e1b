// Durable checkpoints of streaming jobs, kept in the store. A job (named by its checkpoint
// location) stores the snapshots of its reducers and joiners for checkpoint n slot by slot (one
// slot per key group of each kind, so whoever owns a key group later finds it, however many
// workers took the checkpoint); recording checkpoint n then
// makes it complete in one atomic write together with the source offsets, the tunnel's committed
// offsets, and the removal of the snapshots it no longer needs. Until that write, checkpoint n
// does not exist. Reducers write sink rows before it, each after storing a sink intent naming
// their groups; an intent lives until a checkpoint at or after its own completes, so a restore
// finds the groups whose rows a checkpoint that never completed may have left in the sink.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sluice::store {

struct checkpoint {
  uint64_t id = 0;
  std::vector<uint64_t> offsets;  // per channel of the source: where to resume reading
  uint32_t parts = 0;             // snapshots stored for it: one per reducer and per joiner
  int64_t created_ms = 0;
  // What the job computes (source, tunnel, sink, the shape of its query): a job resumes only a
  // checkpoint of the same computation.
  std::string fingerprint;
  // The snapshots of checkpoints first_snapshot..id, applied in order, restore its state (each
  // checkpoint stores `parts` of them); older ones are deleted when it is recorded.
  uint64_t first_snapshot = 0;
  // The reducers' watermark as of this checkpoint (lowest: none): a source restarted from it
  // knows the windows final before its first barrier.
  int64_t watermark = std::numeric_limits<int64_t>::min();
  // Its snapshots are stored by key group (snapshot_chunk); a checkpoint of an older Sluice
  // stored one part per reducer and joiner, in slots 0..parts-1 (the reducers' first).
  bool by_key_group = true;
};

// The slots of a checkpoint's snapshots: a reducer's key group g is slot g, a joiner's
// joiner_slots + g (ops::key_groups of each).
inline constexpr uint32_t joiner_slots = 128;

struct slot_range {
  uint32_t first = 0, end = 0;
};

// One message of a snapshot, and the slot it is stored in.
struct snapshot_chunk {
  uint32_t slot = 0;
  std::vector<char> bytes;
};

}  // namespace sluice::store

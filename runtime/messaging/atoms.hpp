// The CAF message tags of a streaming job. Data-path payloads (partial batches, snapshots) are
// Cap'n Proto bytes in a std::vector<char>; control messages carry plain integers.
//
//   coordinator -> source      (barrier_atom, checkpoint n)
//   anyone -> coordinator      (stop_atom)                         end after a final checkpoint
//   anyone -> coordinator      request (status_atom) -> job_status  progress
//   source -> source           (pull_atom)                         read the next batch
//   source -> reducer          request (partial_atom, channel, bytes) -> ok_atom   (credit)
//   source -> reducer          (barrier_atom, checkpoint n, channel, watermark)
//   source -> coordinator      (offset_atom, checkpoint n, channel, offset, rows read)
//   source -> coordinator      (drained_atom, channel)             read up to its end offset
//   coordinator -> listener    (done_atom, job_summary)            the job has ended
//   reducer -> coordinator     (ack_atom, checkpoint n, reducer, late rows so far)
//   anyone -> coordinator      (fail_atom, what went wrong)
//   coordinator -> itself      (tick_atom)                         start the next checkpoint
//
// Atom names are at most 10 characters and must not collide ('-' and '.' become spaces).
#pragma once

#include <caf/atom.hpp>

namespace sluice::msg {

using ack_atom = caf::atom_constant<caf::atom("ack")>;
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using drained_atom = caf::atom_constant<caf::atom("drained")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using offset_atom = caf::atom_constant<caf::atom("offset")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using partial_atom = caf::atom_constant<caf::atom("partial")>;
using pull_atom = caf::atom_constant<caf::atom("pull")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using status_atom = caf::atom_constant<caf::atom("status")>;

}  // namespace sluice::msg

// The CAF message tags of Sluice's actors. Data-path payloads (partial batches, snapshots) are
// Cap'n Proto bytes in a std::vector<char>; control messages carry plain integers and strings.
// Messages of a job's actors carry the epoch of the assignment they belong to: the job actor
// ignores what an older assignment says.
//
// A job (coordinator/job_actor) and its actors:
//   job -> worker          request (reducer_atom, job, epoch, script, index, reducers, sources,
//                                   restore checkpoint, its first snapshot, restore parts) -> actor
//   job -> worker          request (joiner_atom, job, epoch, index, sources, reducers, restore
//                                   checkpoint, its first snapshot, restore parts) -> actor
//                                   (jobs with a join: after the reducers, before the sources)
//   job -> worker          request (sources_atom, job, epoch, reducers or joiners, channels, offsets,
//                                   end offsets, int64_t watermark of the checkpoint)
//                                   -> std::vector<actor>  (one source per channel)
//   job -> worker          (undeploy_atom, job, epoch)          stop the job's actors up to epoch
//   actor -> its store I/O (io_atom, shared_ptr<store_call>) -> ok_atom  run a store call there
//   job -> source          (barrier_atom, checkpoint n)
//   source -> source       (pull_atom, from, max)               read, after an idle wait
//   source -> reducer      request (partial_atom, channel, bytes) -> ok_atom   (credit)
//   source -> reducer      (barrier_atom, checkpoint n, channel, watermark)
//   (with a join, source -> joiner as above with join batches, then joiner -> reducer as a
//    source would, its index for the channel; a joiner acks like a reducer, its part after theirs)
//   source -> job          (offset_atom, epoch, checkpoint n, channel, offset)
//   source -> job          (drained_atom, epoch, channel)       read up to its end offset
//   source -> job          (idle_atom, epoch, channel, offset)  found its channel empty after
//                                                               processing everything below offset
//   reducer -> job         (ack_atom, epoch, checkpoint n, reducer, late rows so far,
//                           int64_t watermark as of n, sink rows written, snapshot bytes,
//                           double seconds its store writes took)
//   source/reducer -> job  (fail_atom, epoch, what went wrong)
//   job -> itself          (tick_atom)                          start the next checkpoint
//   job -> itself          (deploy_atom, epoch)                 reassign after a failure
//   job -> listener        (done_atom, job_summary)             the job has ended
//   anyone -> job          request (status_atom) -> job_status  progress
//   anyone -> job          (stop_atom)                          end after a final checkpoint
//   coordinator -> job     (shutdown_atom)                      end after a final checkpoint,
//                                                               to be resumed (its process stops)
//   coordinator -> job     (workers_atom, std::vector<actor>)   the workers now registered
//
// A cluster (coordinator/coordinator_actor, cli):
//   worker -> coordinator  request (register_atom) -> std::string (the store's HOST:PORT)
//   worker -> coordinator  request (register_atom, worker actor, name, HOST:PORT, uint64_t
//                          session) -> ok_atom; the session counts the worker's registrations
//                          after losing the coordinator, so a request sent again is told apart
//   coordinator -> worker  (workers_atom, std::vector<std::string>)  every worker's HOST:PORT
//   client -> coordinator  request (sql_atom, script, source name, output format) -> std::string
//                          (what it did: lines, and query results in that format)
//   client -> coordinator  request (jobs_atom) -> std::string (JSON: jobs, workers, progress)
//   client -> coordinator  request (wait_atom, job) -> ok_atom  once the job is caught up
//   client -> coordinator  request (stop_atom, job) -> ok_atom  after its final checkpoint
//   cli -> coordinator     (shutdown_atom)                      every job leaves (shutdown_atom
//                                                               to each), then it ends
//
// Atom names are at most 10 characters and must not collide ('-' and '.' become spaces).
#pragma once

#include <caf/atom.hpp>

namespace sluice::msg {

using ack_atom = caf::atom_constant<caf::atom("ack")>;
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using drained_atom = caf::atom_constant<caf::atom("drained")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using io_atom = caf::atom_constant<caf::atom("io")>;
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;
using joiner_atom = caf::atom_constant<caf::atom("joiner")>;
using offset_atom = caf::atom_constant<caf::atom("offset")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using partial_atom = caf::atom_constant<caf::atom("partial")>;
using pull_atom = caf::atom_constant<caf::atom("pull")>;
using reducer_atom = caf::atom_constant<caf::atom("reducer")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using sources_atom = caf::atom_constant<caf::atom("sources")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using sql_atom = caf::atom_constant<caf::atom("sql")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using undeploy_atom = caf::atom_constant<caf::atom("undeploy")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using workers_atom = caf::atom_constant<caf::atom("workers")>;

}  // namespace sluice::msg

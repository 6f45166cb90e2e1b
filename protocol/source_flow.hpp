// The pull loop of a source, without CAF: what to read next and when. A source reads its channel
// a batch at a time and sends each batch's partials to the reducers, each of which may have at
// most `max_in_flight` of them unacknowledged (a slow reducer stops the reading instead of
// growing a mailbox). The next read is asked for before a batch is processed, so that the store
// reads while the source aggregates; a batch that comes back while some reducer is out of credit
// waits, and no further read is asked for until it is processed. A read that finds the channel
// empty is tried again after 10 ms, then after twice as long each time, up to 500 ms (the sink
// changes at checkpoints, a second apart by default, so a first row after a quiet spell is
// hardly later in it, and an idle job costs next to nothing).
//
// The first read that finds the channel empty after records (or at the start) is reported as
// idle: whoever waits for the job to catch up need not wait for the next checkpoint tick.
//
// The offset a barrier reports is the end of the last batch processed: every partial before it
// was sent before the barrier, and the waiting batch (if any) belongs to the next checkpoint.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace sluice::protocol {

class source_flow {
 public:
  struct command {
    enum kind {
      read,     // read from `from` at most `max` records, after `after` (0: at once)
      process,  // send the partials of the batch that came back (call sent() for each)
      drained,  // every record up to the end offset is processed: report it (once)
      idle,     // the channel has no more records for now, all before processed() are processed
    } what;
    uint64_t from = 0;
    uint64_t max = 0;
    std::chrono::milliseconds after{0};
  };

  // Reads from `offset` up to `end_offset` (UINT64_MAX: never ends), `max_records` at a time.
  source_flow(uint64_t offset, uint64_t end_offset, uint64_t max_records, uint32_t reducers,
              uint32_t max_in_flight);

  // The first read (or drained at once).
  void start(std::vector<command>& out);
  // The read asked for came back with `records` records ending before offset `end`.
  void on_read(uint64_t records, uint64_t end, std::vector<command>& out);
  // A partial was sent to reducer `r` / reducer `r` acknowledged one.
  void sent(uint32_t r) { ++in_flight_[r]; }
  void on_ack(uint32_t r, std::vector<command>& out);

  // The offset a barrier reports now.
  uint64_t processed() const { return processed_; }
  // Whether a read found the channel empty, or every record up to the end offset is processed.
  bool caught_up() const { return caught_up_; }

 private:
  bool has_credit() const;
  // Processes the waiting batch if credit allows, asking for the next one first.
  void advance(std::vector<command>& out);
  command read_from(uint64_t from, std::chrono::milliseconds after) const;

  const uint64_t end_offset_;
  const uint64_t max_records_;
  const uint32_t max_in_flight_;
  std::vector<uint32_t> in_flight_;  // per reducer
  uint64_t processed_;               // end of the last batch processed
  uint64_t waiting_end_ = 0;         // end of the batch that came back, not yet processed
  bool waiting_ = false;
  bool reported_drained_ = false;
  bool idle_ = false;  // the last read found nothing
  bool caught_up_ = false;
  std::chrono::milliseconds idle_wait_{0};
};

// The watermark a source's barrier carries (microseconds; the lowest value: unknown, which the
// reducers' alignment ignores). With an allowed lateness it is the largest event time the source
// has seen, less the lateness. Before it has seen one, a source that has not yet caught up holds
// the watermark at `floor` (the one of the checkpoint it started from; never unknown): a
// checkpoint taken before it read (its channel slow to answer) must not let the other channels'
// watermarks make final the windows its records fall in. Caught up without a record, it says
// nothing.
inline int64_t source_watermark(std::optional<int64_t> lateness, int64_t max_event_time,
                                bool caught_up, int64_t floor) {
  constexpr int64_t unknown = std::numeric_limits<int64_t>::min();
  if (!lateness) return unknown;
  if (max_event_time != unknown) return max_event_time - *lateness;
  return caught_up ? unknown : std::max(floor, unknown + 1);
}

}  // namespace sluice::protocol

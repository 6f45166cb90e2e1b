#include "protocol/source_flow.hpp"

#include <algorithm>

namespace sluice::protocol {
namespace {

constexpr auto first_idle_wait = std::chrono::milliseconds(10);
constexpr auto max_idle_wait = std::chrono::milliseconds(500);

}  // namespace

source_flow::source_flow(uint64_t offset, uint64_t end_offset, uint64_t max_records,
                         uint32_t reducers, uint32_t max_in_flight)
    : end_offset_(end_offset),
      max_records_(std::max<uint64_t>(max_records, 1)),
      max_in_flight_(std::max<uint32_t>(max_in_flight, 1)),
      in_flight_(reducers, 0),
      processed_(offset) {}

source_flow::command source_flow::read_from(uint64_t from, std::chrono::milliseconds after) const {
  return {command::read, from, std::min(max_records_, end_offset_ - from), after};
}

void source_flow::start(std::vector<command>& out) {
  if (processed_ >= end_offset_) {
    caught_up_ = reported_drained_ = true;
    out.push_back({command::drained});
    return;
  }
  out.push_back(read_from(processed_, std::chrono::milliseconds(0)));
}

void source_flow::on_read(uint64_t records, uint64_t end, std::vector<command>& out) {
  if (records == 0) {
    if (!idle_) out.push_back({command::idle});
    idle_ = caught_up_ = true;
    idle_wait_ = std::clamp(idle_wait_ * 2, first_idle_wait, max_idle_wait);
    out.push_back(read_from(processed_, idle_wait_));
    return;
  }
  idle_ = false;
  idle_wait_ = std::chrono::milliseconds(0);
  waiting_ = true;
  waiting_end_ = end;
  advance(out);
}

void source_flow::on_ack(uint32_t r, std::vector<command>& out) {
  if (in_flight_[r] > 0) --in_flight_[r];
  advance(out);
}

bool source_flow::has_credit() const {
  return std::all_of(in_flight_.begin(), in_flight_.end(),
                     [&](uint32_t n) { return n < max_in_flight_; });
}

void source_flow::advance(std::vector<command>& out) {
  if (!waiting_ || !has_credit()) return;
  waiting_ = false;
  if (waiting_end_ < end_offset_) out.push_back(read_from(waiting_end_, std::chrono::milliseconds(0)));
  out.push_back({command::process});
  processed_ = waiting_end_;
  if (processed_ >= end_offset_ && !reported_drained_) {
    caught_up_ = reported_drained_ = true;
    out.push_back({command::drained});
  }
}

}  // namespace sluice::protocol

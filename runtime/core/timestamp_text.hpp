// TIMESTAMPs as text, 'yyyy-MM-dd HH:mm:ss[.ffffff]', as Spark reads and prints them: shared by the
// input and output formats (in UTC, how the store keeps them) and by expressions (in the job's
// time zone).
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

constexpr int64_t micros_per_second = 1'000'000;

// `text` without the spaces, tabs and line ends around it, which Spark ignores in a value it
// reads from text.
std::string_view trim_value_text(std::string_view text);

// The whole seconds since the epoch of a time, rounded down (also before 1970).
int64_t timestamp_seconds(int64_t micros);

// 'yyyy-MM-dd HH:mm:ss[.f...]' (or with 'T' for the space) in `zone`, as microseconds since the
// epoch; at most 9 fraction digits, those past microseconds are dropped. Surrounding whitespace is
// ignored, as Spark does. nullopt if `text` is not such a time.
std::optional<int64_t> parse_timestamp(std::string_view text, const absl::TimeZone& zone);

// 'yyyy-MM-dd HH:mm:ss' in `zone`, with '.ffffff' (trailing zeros trimmed) if the fraction is not
// zero, as Spark prints timestamps. Writes into `buffer`.
std::string_view format_timestamp(int64_t micros, const absl::TimeZone& zone,
                                  std::span<char, 64> buffer);

std::string timestamp_text(int64_t micros, const absl::TimeZone& zone);

}  // namespace sluice

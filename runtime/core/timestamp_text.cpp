#include "runtime/core/timestamp_text.hpp"

#include <absl/time/civil_time.h>
#include <fmt/format.h>

namespace sluice {

std::string_view trim_value_text(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

int64_t timestamp_seconds(int64_t micros) {
  const int64_t q = micros / micros_per_second;
  return q * micros_per_second > micros ? q - 1 : q;
}

std::optional<int64_t> parse_timestamp(std::string_view s, const absl::TimeZone& zone) {
  s = trim_value_text(s);
  if (s.size() < 19 || s.size() == 20 || s.size() > 29) return std::nullopt;
  bool ok = true;
  auto number = [&](size_t at, size_t count) {
    int value = 0;
    for (size_t i = at; i < at + count; ++i) {
      ok = ok && s[i] >= '0' && s[i] <= '9';
      value = value * 10 + (s[i] - '0');
    }
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  ok = ok && s[4] == '-' && s[7] == '-' && (s[10] == ' ' || s[10] == 'T') && s[13] == ':' &&
       s[16] == ':';
  int64_t fraction = 0;
  if (s.size() > 19) {
    ok = ok && s[19] == '.';
    int64_t scale = micros_per_second / 10;
    for (size_t i = 20; i < s.size(); ++i, scale /= 10) {
      ok = ok && s[i] >= '0' && s[i] <= '9';
      fraction += (s[i] - '0') * scale;
    }
  }
  if (!ok || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  if (absl::CivilDay(year, month, day).day() != day) return std::nullopt;  // 2023-02-30
  const absl::Time time =
      absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second), zone);
  return absl::ToUnixSeconds(time) * micros_per_second + fraction;
}

std::string_view format_timestamp(int64_t micros, const absl::TimeZone& zone,
                                  std::span<char, 64> buffer) {
  const int64_t seconds = timestamp_seconds(micros);
  int64_t fraction = micros % micros_per_second;  // not micros - seconds * 10^6: it overflows
  if (fraction < 0) fraction += micros_per_second;  // near the lowest int64
  const absl::CivilSecond cs = zone.At(absl::FromUnixSeconds(seconds)).cs;
  char* out = buffer.data();
  auto digits = [&out](int64_t value, int count) {  // 0 <= value < 10^count
    for (int i = count - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
    out += count;
  };
  if (cs.year() >= 0 && cs.year() <= 9999) {
    digits(cs.year(), 4);
  } else {  // beyond what Spark prints; at most 7 characters for int64 microseconds
    out = fmt::format_to_n(out, 16, "{}", cs.year()).out;
  }
  *out++ = '-';
  digits(cs.month(), 2);
  *out++ = '-';
  digits(cs.day(), 2);
  *out++ = ' ';
  digits(cs.hour(), 2);
  *out++ = ':';
  digits(cs.minute(), 2);
  *out++ = ':';
  digits(cs.second(), 2);
  if (fraction != 0) {
    int count = 6;
    for (; fraction % 10 == 0; fraction /= 10) --count;
    *out++ = '.';
    digits(fraction, count);
  }
  return {buffer.data(), static_cast<size_t>(out - buffer.data())};
}

std::string timestamp_text(int64_t micros, const absl::TimeZone& zone) {
  char buffer[64];
  return std::string(format_timestamp(micros, zone, buffer));
}

}  // namespace sluice

#include "operators/window.hpp"

#include <absl/strings/ascii.h>
#include <fmt/format.h>

#include <charconv>
#include <string>

namespace sluice::ops {

absl::StatusOr<int64_t> parse_duration(std::string_view duration) {
  auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "duration '{}' is not understood; write a whole number and a unit, as in "
        "\"10 seconds\" (units: milliseconds, seconds, minutes, hours, days)",
        duration));
  };
  std::string text(duration);
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  int64_t amount = 0;
  auto [end, error] = std::from_chars(text.data() + i, text.data() + text.size(), amount);
  if (error != std::errc() || amount < 0) return bad();
  std::string unit(end, static_cast<const char*>(text.data() + text.size()));
  absl::StripAsciiWhitespace(&unit);
  absl::AsciiStrToLower(&unit);
  if (unit == "ms") unit = "millisecond";
  if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
  int64_t micros;
  if (unit == "millisecond") micros = 1000;
  else if (unit == "second" || unit == "sec") micros = 1'000'000;
  else if (unit == "minute" || unit == "min") micros = 60'000'000;
  else if (unit == "hour") micros = 3'600'000'000;
  else if (unit == "day") micros = 86'400'000'000;
  else return bad();
  if (amount > INT64_MAX / micros) return bad();
  return amount * micros;
}

absl::StatusOr<time_window> time_window::parse(std::string_view size, std::string_view slide) {
  auto positive = [](std::string_view duration) -> absl::StatusOr<int64_t> {
    auto micros = parse_duration(duration);
    if (!micros.ok()) return micros.status();
    if (*micros == 0)
      return absl::InvalidArgumentError(
          fmt::format("a window duration of '{}' is empty; give it a positive one", duration));
    return *micros;
  };
  auto size_micros = positive(size);
  if (!size_micros.ok()) return size_micros.status();
  if (slide.empty()) return time_window(*size_micros, *size_micros);
  auto slide_micros = positive(slide);
  if (!slide_micros.ok()) return slide_micros.status();
  if (*slide_micros > *size_micros)
    return absl::InvalidArgumentError(fmt::format(
        "the slide '{}' is longer than the window '{}'; a slide must not exceed the window", slide,
        size));
  return time_window(*size_micros, *slide_micros);
}

}  // namespace sluice::ops

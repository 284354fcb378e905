// Range checks for numeric flags, applied to the text before CLI11 converts it. CLI11's own Range lets
// "nan" through (every comparison with NaN is false) and accepts "inf", and a value such as 1e300 seconds
// overflows the integer conversions further down (clock durations, rlimits). Each flag therefore names the
// closed or half-open interval it accepts; the message is CLI11's usual "--flag: ..." one line.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace dc::cli {

// A finite number in (lo, hi] (lo_open) or [lo, hi].
inline CLI::Validator finite_range(double lo, double hi, bool lo_open = false) {
  const std::string interval = fmt::format("{}{}, {}]", lo_open ? "(" : "[", lo, hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool parsed = !text.empty() && end == text.c_str() + text.size() && errno != ERANGE;
        if (!parsed || !std::isfinite(v) || v > hi || (lo_open ? v <= lo : v < lo))
          return fmt::format("must be a finite number in {}, got '{}'", interval, text);
        return {};
      },
      "NUMBER in " + interval);
}

// An integer in [lo, hi] (checked on the text, so that out-of-range values never reach a conversion).
inline CLI::Validator int_range(long long lo, long long hi) {
  const std::string interval = fmt::format("[{}, {}]", lo, hi);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < lo || v > hi)
          return fmt::format("must be an integer in {}, got '{}'", interval, text);
        return {};
      },
      "INT in " + interval);
}

}  // namespace dc::cli

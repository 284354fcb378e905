#include "sandbox/limits_check.h"

#include <cmath>

#include "core/error.h"

namespace dc::sandbox::detail {
namespace {

bool in_range(double s, bool zero_ok) {
  return std::isfinite(s) && (zero_ok ? s >= 0 : s > 0) && s <= kMaxSeconds;
}

}  // namespace

void check_limits(const Limits& l) {
  if (!in_range(l.wall_seconds, false))
    throw_error("sandbox: wall-clock limit {} s is not in (0, {}]", l.wall_seconds, kMaxSeconds);
  if (!in_range(l.cpu_seconds, true))
    throw_error("sandbox: CPU limit {} s is not in [0, {}]", l.cpu_seconds, kMaxSeconds);
}

void check_request(const TestRunRequest& req) {
  check_limits(req.limits);
  for (size_t i = 0; i < req.per_test_seconds.size(); ++i) {
    if (!in_range(req.per_test_seconds[i], true))
      throw_error("sandbox: limit {} s of test {} is not in [0, {}]", req.per_test_seconds[i], i,
                  kMaxSeconds);
  }
  for (const TimeCap& c : req.time_caps) {
    if (!in_range(c.seconds, false))
      throw_error("sandbox: time cap {} s is not in (0, {}]", c.seconds, kMaxSeconds);
    if (c.begin >= c.end || c.end > req.inputs.size())
      throw_error("sandbox: time cap over tests [{}, {}) is not within the {} inputs", c.begin, c.end,
                  req.inputs.size());
  }
}

}  // namespace dc::sandbox::detail

// Validation of the time limits of a sandbox run before any of them is converted to clock ticks or an
// rlimit: NaN, infinities, negatives and values like 1e300 would otherwise overflow those conversions and
// turn a correct program into a timeout (or an unlimited run).
#pragma once

#include "sandbox/sandbox.h"

namespace dc::sandbox::detail {

// Throws dc::Error unless limits.wall_seconds is in (0, kMaxSeconds] and limits.cpu_seconds in
// [0, kMaxSeconds] (0: derived).
void check_limits(const Limits& limits);

// check_limits(req.limits), and every per-test limit in [0, kMaxSeconds] (0: limits.wall_seconds), every
// time cap in (0, kMaxSeconds] over a non-empty range within the inputs.
void check_request(const TestRunRequest& req);

}  // namespace dc::sandbox::detail

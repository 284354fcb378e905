// Timing helpers shared by the GEMM benchmarks.
#pragma once

#include <algorithm>
#include <chrono>
#include <ctime>

namespace dc::bench {

inline double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Seconds per call: the best of the timed calls after one warm-up, repeating until min_seconds pass (at least
// 3 calls). *cpu_best receives the least process CPU time of a call: on a machine shared with other work,
// cpu / threads estimates the undisturbed time (the pool's workers block rather than spin).
template <typename Fn>
double time_best(const Fn& fn, double min_seconds, double* cpu_best = nullptr) {
  using clock = std::chrono::steady_clock;
  fn();
  double best = 1e30, total = 0.0, cbest = 1e30;
  int reps = 0;
  while (reps < 3 || total < min_seconds) {
    const double c0 = process_cpu_seconds();
    const auto t0 = clock::now();
    fn();
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    cbest = std::min(cbest, process_cpu_seconds() - c0);
    best = std::min(best, s);
    total += s;
    ++reps;
    if (reps >= 200) break;
  }
  if (cpu_best) *cpu_best = cbest;
  return best;
}

}  // namespace dc::bench

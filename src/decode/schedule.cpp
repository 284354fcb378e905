#include "decode/schedule.h"

#include <cmath>

#include "core/error.h"

namespace dc {

std::vector<float> torch_linspace_f32(float start, float end, int64_t n) {
  DC_ASSERT(n >= 1);
  std::vector<float> out(static_cast<size_t>(n));
  if (n == 1) {
    out[0] = start;
    return out;
  }
  const float step = (end - start) / float(n - 1);
  const int64_t halfway = n / 2;
  // The scalar formula PyTorch evaluates at index i (its compiler contracts a + b*c into one fma).
  auto point = [&](int64_t i) -> float {
    if (i < halfway) return std::fma(step, float(i), start);
    return std::fma(-step, float(n - i - 1), end);
  };
  constexpr int64_t kLanes = 8;         // Vectorized<float>::size() on AVX2
  constexpr int64_t kRun = 2 * kLanes;  // the vectorised loop consumes two vectors per iteration
  int64_t i = 0;
  for (; i + kRun <= n; i += kLanes) {
    const float base = point(i);
    for (int64_t j = 0; j < kLanes; ++j) {
      const float offset = float(j) * step;  // rounded separately: Vectorized::arange is not contracted
      out[size_t(i + j)] = base + offset;
    }
    i += kLanes;
    const float base2 = point(i);
    for (int64_t j = 0; j < kLanes; ++j) {
      const float offset = float(j) * step;
      out[size_t(i + j)] = base2 + offset;
    }
  }
  for (; i < n; ++i) out[size_t(i)] = point(i);
  return out;
}

std::vector<float> time_grid(int steps, float eps) {
  DC_ASSERT(steps >= 1);
  return torch_linspace_f32(1.0f, eps, int64_t(steps) + 1);
}

int64_t dream_transfer_count(int64_t mask_total, int64_t batch, const std::vector<float>& grid, int step) {
  DC_ASSERT(batch >= 1 && step >= 0 && size_t(step) + 1 < grid.size());
  const int steps = int(grid.size()) - 1;
  // (B,) mask counts summed then true-divided: PyTorch casts both to float32 and divides once.
  const float n = float(mask_total) / float(batch);
  if (step == steps - 1) return int64_t(n);
  const float t = grid[size_t(step)];
  const float s = grid[size_t(step) + 1];
  const float ratio = s / t;
  const float frac = 1.0f - ratio;
  const float k = n * frac;
  return int64_t(k);  // Python int(): truncation toward zero
}

std::vector<int64_t> dream_schedule(int64_t length, int steps, float eps) {
  const std::vector<float> grid = time_grid(steps, eps);
  std::vector<int64_t> counts(static_cast<size_t>(steps));
  int64_t left = length;
  for (int i = 0; i < steps; ++i) {
    const int64_t k = dream_transfer_count(left, 1, grid, i);
    counts[size_t(i)] = k;
    left -= k;
  }
  return counts;
}

std::vector<int64_t> block_schedule(int64_t masks, int steps) {
  DC_ASSERT(steps >= 1 && masks >= 0);
  std::vector<int64_t> counts(static_cast<size_t>(steps), masks / steps);
  const int64_t rem = masks % steps;
  for (int64_t i = 0; i < rem; ++i) counts[size_t(i)] += 1;
  return counts;
}

float origin_reveal_probability(const std::vector<float>& grid, int step) {
  DC_ASSERT(step >= 0 && size_t(step) + 1 < grid.size());
  if (size_t(step) + 2 == grid.size()) return 1.0f;
  const float ratio = grid[size_t(step) + 1] / grid[size_t(step)];
  return 1.0f - ratio;
}

}  // namespace dc

// How many masked positions each denoising step commits (SPEC §3, step 4, and the semi-AR block rule).
// Everything here is float32 arithmetic that reproduces PyTorch bit for bit, because a one-ulp difference
// in the time grid can move floor(n * (1 - s/t)) by one token and change every later step.
#pragma once

#include <cstdint>
#include <vector>

namespace dc {

// torch.linspace(start, end, n) in float32 as PyTorch 1.13's CPU kernel computes it (default AVX2 build):
// step = (end - start) / (n - 1) in float; index i < n/2 gives fma(step, i, start), the upper half
// fma(-step, n-1-i, end); on runs of 16 elements (two 8-lane vectors per loop iteration) only the first
// lane of each vector uses that formula and the next lanes add j*step to it in float. The CUDA kernel
// (no vector runs) differs in the last ulp for some entries; the fixtures come from the CPU kernel.
std::vector<float> torch_linspace_f32(float start, float end, int64_t n);

// Dream's time grid: linspace(1, eps, steps + 1); step i runs from t = grid[i] to s = grid[i + 1].
std::vector<float> time_grid(int steps, float eps);

// Dream's transfer count for step i of `steps`: with n = mask_total / batch computed in float32 (the mean
// mask count of the batch), k = int(n * (1 - s / t)) in float32 for i < steps - 1, int(n) at the last
// step. Quirk kept on purpose: with steps == L, step 0 commits 0 tokens and the last step commits 2.
int64_t dream_transfer_count(int64_t mask_total, int64_t batch, const std::vector<float>& grid, int step);

// The per-step counts for a single row that starts with `length` masks and commits exactly the counts
// above (n decreases by k each step): the schedule of a batch whose rows hold equal mask counts.
std::vector<int64_t> dream_schedule(int64_t length, int steps, float eps);

// LLaDA's in-block schedule: `masks` spread over `steps`, masks / steps each, the remainder given one
// apiece to the first steps.
std::vector<int64_t> block_schedule(int64_t masks, int steps);

// The probability that `origin` reveals a masked position at step i: 1 - s/t in float32, 1 at the last.
float origin_reveal_probability(const std::vector<float>& grid, int step);

}  // namespace dc

#include "decode/select.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace dc {

std::vector<int32_t> select_top_k(std::span<const float> confidence, int64_t k) {
  const int64_t n = int64_t(confidence.size());
  k = std::clamp<int64_t>(k, 0, n);
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
    const float ca = confidence[size_t(a)], cb = confidence[size_t(b)];
    return ca > cb || (ca == cb && a < b);
  });
  idx.resize(size_t(k));
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::vector<int32_t> select_sampled(std::span<const float> confidence, int64_t k, float alg_temp, Rng& rng) {
  DC_ASSERT(alg_temp > 0);
  const int64_t n = int64_t(confidence.size());
  k = std::clamp<int64_t>(k, 0, n);
  if (k == 0) return {};
  // (n,) weights = softmax(confidence / alg_temp), unnormalised (max-subtracted) in double.
  double mx = -INFINITY;
  for (float c : confidence) mx = std::max(mx, double(c) / double(alg_temp));
  std::vector<double> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) w[size_t(i)] = std::exp(double(confidence[size_t(i)]) / alg_temp - mx);
  std::vector<uint8_t> taken(static_cast<size_t>(n), 0);
  std::vector<int32_t> out;
  out.reserve(size_t(k));
  for (int64_t d = 0; d < k; ++d) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (!taken[size_t(i)]) total += w[size_t(i)];
    }
    if (!(total > 0)) break;
    const double target = rng.uniform_double() * total;
    double cumulative = 0;
    int64_t pick = -1, last = -1;
    for (int64_t i = 0; i < n; ++i) {
      if (taken[size_t(i)] || w[size_t(i)] <= 0) continue;
      last = i;
      cumulative += w[size_t(i)];
      if (cumulative > target) {
        pick = i;
        break;
      }
    }
    if (pick < 0) pick = last;
    if (pick < 0) break;
    taken[size_t(pick)] = 1;
    out.push_back(int32_t(pick));
  }
  if (int64_t(out.size()) < k) {
    // Fill by confidence among the indices not drawn.
    std::vector<float> rest(confidence.begin(), confidence.end());
    for (int32_t i : out) rest[size_t(i)] = -INFINITY;
    std::vector<int32_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int32_t a, int32_t b) { return rest[size_t(a)] > rest[size_t(b)]; });
    for (int32_t i : idx) {
      if (int64_t(out.size()) == k) break;
      if (!taken[size_t(i)]) {
        taken[size_t(i)] = 1;
        out.push_back(i);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int32_t> select_confident(std::span<const float> certainty, float threshold, float factor) {
  DC_ASSERT((threshold > 0) != (factor > 0));
  const int64_t n = int64_t(certainty.size());
  if (n == 0) return {};
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
    const float ca = certainty[size_t(a)], cb = certainty[size_t(b)];
    return ca > cb || (ca == cb && a < b);
  });
  int64_t take = 1;
  if (threshold > 0) {
    while (take < n && certainty[size_t(idx[size_t(take)])] >= threshold) ++take;
  } else {
    // j is 1-based in the rule: c_j >= 1 - f / (j + 1).
    while (take < n &&
           double(certainty[size_t(idx[size_t(take)])]) >= 1.0 - double(factor) / double(take + 2))
      ++take;
  }
  idx.resize(size_t(take));
  std::sort(idx.begin(), idx.end());
  return idx;
}

float certainty(Alg alg, float confidence) {
  return alg == Alg::Entropy ? std::exp(confidence) : confidence;
}

}  // namespace dc

#include "decode/token_choice_ref.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace dc::ref {
namespace {

std::vector<int32_t> sorted_order(std::span<const float> logits) {
  std::vector<int32_t> order(logits.size());
  for (size_t v = 0; v < order.size(); ++v) order[v] = int32_t(v);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
  });
  return order;
}

}  // namespace

void filter_logits(std::span<float> logits, const LogitFilter& filter) {
  const size_t V = logits.size();
  DC_ASSERT(V >= 1);
  if (filter.temperature > 0) {
    for (float& x : logits) x = x / filter.temperature;
  }
  if (filter.top_p < 1) {
    std::vector<float> probs(V);
    softmax_f32(logits, probs);
    const std::vector<int32_t> order = sorted_order(logits);
    double cumulative = 0;
    size_t keep = V;
    for (size_t j = 0; j < V; ++j) {
      cumulative += probs[size_t(order[j])];
      if (cumulative > double(filter.top_p)) {
        keep = j + 1;
        break;
      }
    }
    for (size_t j = keep; j < V; ++j) logits[size_t(order[j])] = kRemovedLogit;
  }
  if (filter.top_k > 0) {
    const size_t k = std::min(size_t(filter.top_k), V);
    std::vector<float> sorted(logits.begin(), logits.end());
    std::nth_element(sorted.begin(), sorted.begin() + ptrdiff_t(k - 1), sorted.end(), std::greater<float>());
    const float kth = sorted[k - 1];
    for (float& x : logits) {
      if (x < kth) x = kRemovedLogit;
    }
  }
}

TokenChoice choose_token(std::span<float> logits, Alg alg, const LogitFilter& filter, double u_token,
                         float u_random) {
  const size_t V = logits.size();
  const std::vector<float> raw(logits.begin(), logits.end());
  filter_logits(logits, filter);
  std::vector<float> probs(V);
  softmax_f32(logits, probs);

  TokenChoice c;
  if (filter.temperature > 0) {
    // Inverse CDF over the probabilities in index order (torch.distributions.Categorical semantics).
    double total = 0;
    for (float p : probs) total += p;
    const double target = u_token * total;
    double cumulative = 0;
    size_t chosen = V, last_positive = 0;
    for (size_t v = 0; v < V && chosen == V; ++v) {
      if (probs[v] <= 0) continue;
      last_positive = v;
      cumulative += probs[v];
      if (cumulative > target) chosen = v;
    }
    c.token = int32_t(chosen < V ? chosen : last_positive);
  } else {
    c.token = int32_t(std::max_element(probs.begin(), probs.end()) - probs.begin());
  }
  switch (alg) {
    case Alg::Origin:
    case Alg::MaskgitPlus:
      c.confidence = probs[size_t(c.token)];
      break;
    case Alg::TopkMargin: {
      std::vector<float> sorted = probs;
      std::partial_sort(sorted.begin(), sorted.begin() + std::min<ptrdiff_t>(2, ptrdiff_t(V)), sorted.end(),
                        std::greater<float>());
      c.confidence = sorted[0] - (V > 1 ? sorted[1] : 0.0f);
      break;
    }
    case Alg::Entropy: {
      double sum = 0;
      for (float p : probs) sum += double(p) * std::log(double(p) + 1e-10);
      c.confidence = float(sum);
      break;
    }
    case Alg::LowConfidence: {
      double mx = raw[0], sum = 0;
      for (float x : raw) mx = std::max(mx, double(x));
      for (float x : raw) sum += std::exp(double(x) - mx);
      c.confidence = float(std::exp(double(raw[size_t(c.token)]) - mx) / sum);
      break;
    }
    case Alg::Random:
      c.confidence = u_random;
      break;
  }
  return c;
}

}  // namespace dc::ref

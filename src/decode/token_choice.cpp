#include "decode/token_choice.h"

#include "kernels/ops.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dc {
namespace {

// Largest-first order with the lower index first among equal logits (deterministic tie-breaking).
struct ByLogitDesc {
  const float* x;
  bool operator()(int32_t a, int32_t b) const { return x[a] > x[b] || (x[a] == x[b] && a < b); }
};

void apply_top_p(std::span<float> logits, float top_p, ChoiceScratch& scratch) {
  const int64_t V = int64_t(logits.size());
  scratch.probs.resize(size_t(V));
  softmax_f32(logits, scratch.probs);
  scratch.order.resize(size_t(V));
  for (int64_t v = 0; v < V; ++v) scratch.order[size_t(v)] = int32_t(v);
  // Sort only as much as the nucleus needs: each round moves the next-largest chunk of the unsorted tail
  // to its front (nth_element, linear), sorts that chunk and extends the cumulative sum. Chunks grow 4x, so
  // the cost is O(V + K log K) for a nucleus of K tokens out of V (~150k).
  const ByLogitDesc cmp{logits.data()};
  int64_t keep = V;  // number of sorted tokens kept
  int64_t begin = 0, chunk = 64;
  double cumulative = 0;
  while (keep == V && begin < V) {
    const int64_t end = std::min<int64_t>(V, begin + chunk);
    if (end < V)
      std::nth_element(scratch.order.begin() + begin, scratch.order.begin() + end, scratch.order.end(), cmp);
    std::sort(scratch.order.begin() + begin, scratch.order.begin() + end, cmp);
    for (int64_t j = begin; j < end; ++j) {
      cumulative += scratch.probs[size_t(scratch.order[size_t(j)])];
      if (cumulative > double(top_p)) {  // token j is the last one kept
        keep = j + 1;
        break;
      }
    }
    begin = end;
    chunk *= 4;
  }
  for (int64_t j = keep; j < V; ++j) logits[size_t(scratch.order[size_t(j)])] = kRemovedLogit;
}

void apply_top_k(std::span<float> logits, int top_k, ChoiceScratch& scratch) {
  const int64_t V = int64_t(logits.size());
  const int64_t k = std::min<int64_t>(top_k, V);
  scratch.order.resize(size_t(V));
  for (int64_t v = 0; v < V; ++v) scratch.order[size_t(v)] = int32_t(v);
  std::nth_element(scratch.order.begin(), scratch.order.begin() + (k - 1), scratch.order.end(),
                   ByLogitDesc{logits.data()});
  const float kth = logits[size_t(scratch.order[size_t(k - 1)])];
  for (float& x : logits) {
    if (x < kth) x = kRemovedLogit;
  }
}

}  // namespace

void softmax_f32(std::span<const float> logits, std::span<float> probs) {
  DC_ASSERT(logits.size() == probs.size() && !logits.empty());
  std::copy(logits.begin(), logits.end(), probs.begin());
  kernels::softmax_row_serial(probs.data(), int64_t(probs.size()));
}

void filter_logits(std::span<float> logits, const LogitFilter& filter, ChoiceScratch& scratch) {
  if (filter.temperature > 0) {
    for (float& x : logits) x /= filter.temperature;
  }
  if (filter.top_p < 1) apply_top_p(logits, filter.top_p, scratch);
  if (filter.top_k > 0) apply_top_k(logits, filter.top_k, scratch);
}

TokenChoice choose_token(std::span<float> logits, Alg alg, const LogitFilter& filter, double u_token,
                         float u_random, ChoiceScratch& scratch) {
  const size_t V = logits.size();
  DC_ASSERT(V >= 1);
  // low_confidence scores the chosen token under the raw distribution: keep the raw logits first.
  if (alg == Alg::LowConfidence) scratch.raw.assign(logits.begin(), logits.end());

  filter_logits(logits, filter, scratch);
  scratch.probs.resize(V);
  std::span<float> probs(scratch.probs.data(), V);
  softmax_f32(logits, probs);

  TokenChoice c;
  if (filter.temperature > 0) {
    // Inverse CDF over the probabilities in index order (torch.distributions.Categorical semantics).
    double total = 0;
    for (float p : probs) total += p;
    const double target = u_token * total;
    double cumulative = 0;
    size_t chosen = V;
    size_t last_positive = 0;
    for (size_t v = 0; v < V; ++v) {
      if (probs[v] <= 0) continue;
      last_positive = v;
      cumulative += probs[v];
      if (cumulative > target) {
        chosen = v;
        break;
      }
    }
    c.token = int32_t(chosen < V ? chosen : last_positive);
  } else {
    size_t best = 0;
    for (size_t v = 1; v < V; ++v) {
      if (probs[v] > probs[best]) best = v;
    }
    c.token = int32_t(best);
  }

  switch (alg) {
    case Alg::Origin:
    case Alg::MaskgitPlus:
      c.confidence = probs[size_t(c.token)];
      break;
    case Alg::TopkMargin: {
      float top1 = -1, top2 = 0;
      for (float p : probs) {
        if (p > top1) {
          top2 = top1;
          top1 = p;
        } else if (p > top2) {
          top2 = p;
        }
      }
      if (V == 1) top2 = 0;
      c.confidence = top1 - std::max(top2, 0.0f);
      break;
    }
    case Alg::Entropy: {
      double sum = 0;
      for (float p : probs) sum += double(p) * std::log(double(p) + 1e-10);
      c.confidence = float(sum);
      break;
    }
    case Alg::LowConfidence: {
      // softmax(raw)[token] in double (LLaDA computes it in float64).
      double mx = scratch.raw[0], sum = 0;
      for (float x : scratch.raw) mx = std::max(mx, double(x));
      for (float x : scratch.raw) sum += std::exp(double(x) - mx);
      c.confidence = float(std::exp(double(scratch.raw[size_t(c.token)]) - mx) / sum);
      break;
    }
    case Alg::Random:
      c.confidence = u_random;
      break;
  }
  return c;
}

}  // namespace dc

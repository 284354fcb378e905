#include "decode/token_choice.h"

#include "kernels/ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace dc {
namespace {

// Largest-first order with the lower index first among equal logits (deterministic tie-breaking).
struct ByLogitDesc {
  const float* x;
  bool operator()(int32_t a, int32_t b) const { return x[a] > x[b] || (x[a] == x[b] && a < b); }
};

// A key whose unsigned order is the float order of the logit (larger logit, larger key; -0 and +0 are one
// logit, as for the reference's comparison).
inline uint32_t order_key(float x) {
  if (x == 0.0f) x = 0.0f;
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

// Top-p by radix selection, linear in V whatever the distribution's shape. The reference (Dream's
// sample_tokens) sorts the vocabulary by logit, descending (equal logits: lower index first), accumulates
// the probabilities and keeps the tokens up to and including the first whose cumulative probability
// exceeds top_p. Here the keys are bucketed on 11, 11 and 10 bits in turn: a pass over the candidates
// sums each bucket's probability, the buckets are walked from the largest key, whole buckets before the
// crossing are kept without being ordered, and only the bucket holding the crossing goes to the next
// level. After the last level its tokens share one logit, so their order is the index order in which they
// were collected, and the crossing is found by adding them one at a time. Sums are in double, bucket by
// bucket instead of token by token: the kept set can differ from the sorted reference only when the
// cumulative probability lands within rounding (~1e-16) of top_p.
void apply_top_p(std::span<float> logits, float top_p, ChoiceScratch& scratch) {
  const int64_t V = int64_t(logits.size());
  scratch.probs.resize(size_t(V));
  softmax_f32(logits, scratch.probs);
  const float* probs = scratch.probs.data();
  std::vector<int32_t>& cand = scratch.order;  // the tokens still undecided, in index order
  cand.resize(size_t(V));
  for (int64_t v = 0; v < V; ++v) cand[size_t(v)] = int32_t(v);
  int64_t n = V;

  constexpr int kShifts[3] = {21, 10, 0};
  constexpr uint32_t kMasks[3] = {0x7ffu, 0x7ffu, 0x3ffu};
  std::array<double, 2048> mass{};
  std::array<int64_t, 2048> count{};
  double before = 0;    // probability of the tokens kept so far (all with keys above the candidates')
  uint32_t prefix = 0;  // the candidates' common key bits above the current level
  for (int level = 0; level < 3; ++level) {
    const int shift = kShifts[level];
    const uint32_t mask = kMasks[level];
    std::fill(mass.begin(), mass.begin() + mask + 1, 0.0);
    std::fill(count.begin(), count.begin() + mask + 1, int64_t(0));
    for (int64_t i = 0; i < n; ++i) {
      const int32_t v = cand[size_t(i)];
      const uint32_t b = (order_key(logits[size_t(v)]) >> shift) & mask;
      mass[b] += probs[v];
      ++count[b];
    }
    int64_t boundary = -1;
    for (int64_t b = mask; b >= 0; --b) {
      if (count[size_t(b)] == 0) continue;
      if (before + mass[size_t(b)] > double(top_p)) {
        boundary = b;
        break;
      }
      before += mass[size_t(b)];
    }
    if (boundary < 0) return;  // the whole distribution stays under top_p (rounding): keep everything
    prefix |= uint32_t(boundary) << shift;
    int64_t m = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t v = cand[size_t(i)];
      if (((order_key(logits[size_t(v)]) >> shift) & mask) == uint32_t(boundary)) cand[size_t(m++)] = v;
    }
    n = m;
  }
  // The candidates hold one logit; in index order, the first whose cumulative probability exceeds top_p is
  // the last token kept.
  int64_t last = n - 1;
  for (int64_t i = 0; i < n; ++i) {
    before += probs[cand[size_t(i)]];
    if (before > double(top_p)) {
      last = i;
      break;
    }
  }
  const uint32_t boundary_key = prefix;
  const int32_t last_kept = cand[size_t(last)];
  for (int64_t v = 0; v < V; ++v) {
    const uint32_t k = order_key(logits[size_t(v)]);
    if (k < boundary_key || (k == boundary_key && v > last_kept)) logits[size_t(v)] = kRemovedLogit;
  }
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
      c.confidence = float(kernels::sum_p_log_p(probs.data(), int64_t(V), 1e-10f));
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

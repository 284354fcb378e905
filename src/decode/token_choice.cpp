#include "decode/token_choice.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "kernels/ops.h"

namespace dc {
namespace {

// Largest-first order with the lower index first among equal logits: the reference's sorted order.
struct ByLogitDesc {
  const float* x;
  bool operator()(int32_t a, int32_t b) const { return x[a] > x[b] || (x[a] == x[b] && a < b); }
};

// A filtered row's kept set: token i stays when x[i] > t, or x[i] == t and i <= last_tied. Because the
// reference keeps a prefix of its sorted order, every filter result has this shape.
struct KeepRule {
  float t;
  int64_t last_tied;
};
constexpr KeepRule kKeepAll{-std::numeric_limits<float>::infinity(), std::numeric_limits<int64_t>::max()};

// The reference's probability of token i: its exponential scaled exactly as kernels::scale_and_stats
// scales it (one fp32 product), widened for the cumulative sum.
inline double prob(const float* e, float inv_sum, int64_t i) {
  return double(e[i] * inv_sum);
}

// Adds the probabilities of `ordered` (tokens in the reference's order) to `before`; the first token whose
// cumulative probability exceeds top_p is the last one kept. No crossing (rounding): everything stays.
KeepRule walk(std::span<const int32_t> ordered, const float* x, const float* e, float inv_sum, double before,
              float top_p) {
  for (const int32_t i : ordered) {
    before += prob(e, inv_sum, i);
    if (before > double(top_p)) return {x[i], i};
  }
  return kKeepAll;
}

// Top-p by selection, linear in V whatever the distribution's shape. The reference (Dream's sample_tokens)
// sorts the vocabulary by logit, descending, accumulates the probabilities and keeps the tokens up to and
// including the first whose cumulative probability exceeds top_p. Here the candidates' logits are bucketed
// linearly between their smallest and largest value; the buckets are walked from the top, whole buckets
// before the crossing are kept unordered, and only the bucket holding the crossing stays a candidate, with
// its own, narrower range, for the next level. A level always separates the smallest candidate from the
// largest, and a range narrows about 500-fold per level, so a few levels leave either a handful of
// candidates (then sorted) or one logit (then in index order, the reference's order among equals). Sums are
// in double, bucket by bucket: the kept set differs from the sorted reference only when the cumulative
// probability lands within rounding (~1e-16) of top_p.
KeepRule nucleus_rule(const float* x, const float* e, int64_t n, float inv_sum, float top_p,
                      kernels::RowRange range, ChoiceScratch& scratch) {
  constexpr int kBuckets = 512;
  constexpr int64_t kSortAtMost = 48;
  constexpr int kCopies = 2;  // interleaved histograms (8 KB, in L1): repeated buckets chain less
  std::vector<int32_t>& cand = scratch.order;
  bool implicit = true;  // level 0: every token, without an index list
  int64_t count = n;
  float hi = range.max;
  // Probabilities underflow below max - 104: such tokens share the bottom bucket instead of stretching the
  // range.
  float lo = std::max(range.min, range.max - 104.0f);
  double before = 0;  // probability of the tokens above every candidate
  auto& mass = scratch.bucket_mass;
  mass.resize(size_t(kCopies * kBuckets));
  for (;;) {
    const bool one_logit = range.min == range.max || (!implicit && lo == hi);
    const float scale = float(kBuckets) / (hi - lo);
    if (one_logit || count <= kSortAtMost || !std::isfinite(scale)) {
      // Few candidates left: order them as the reference does (one logit: index order, as collected).
      if (implicit) {
        cand.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i) cand[size_t(i)] = int32_t(i);
      }
      if (!one_logit) std::sort(cand.begin(), cand.begin() + count, ByLogitDesc{x});
      return walk({cand.data(), size_t(count)}, x, e, inv_sum, before, top_p);
    }
    // Monotone in the logit (each step rounds monotonically), so bucket order never contradicts logit
    // order; NaN goes to bucket 0. The same rule as kernels::bucket_histogram (level 0).
    auto bucket = [lo, scale](float v) {
      float f = (v - lo) * scale;
      f = f > 0.0f ? f : 0.0f;
      f = f < float(kBuckets - 1) ? f : float(kBuckets - 1);
      return int(f);
    };
    std::fill(mass.begin(), mass.end(), 0.0);
    if (implicit) {
      scratch.bucket_ids.resize(size_t(n));
      kernels::bucket_histogram(x, e, n, lo, scale, kBuckets, inv_sum, mass.data(),
                                scratch.bucket_ids.data());
    } else {
      for (int64_t j = 0; j < count; ++j) {
        const int32_t i = cand[size_t(j)];
        mass[size_t((j % kCopies) * kBuckets + bucket(x[i]))] += prob(e, inv_sum, i);
      }
    }
    int boundary = -1;
    for (int b = kBuckets - 1; b >= 0; --b) {
      double m = 0;
      for (int c = 0; c < kCopies; ++c) m += mass[size_t(c * kBuckets + b)];
      if (before + m > double(top_p)) {
        boundary = b;
        break;
      }
      before += m;
    }
    if (boundary < 0) return kKeepAll;  // the whole row stays under top_p (rounding)
    // The boundary bucket's tokens, in index order, become the candidates.
    if (implicit) {
      cand.resize(size_t(n));
      count = kernels::indices_equal(scratch.bucket_ids.data(), n, uint16_t(boundary), cand.data());
      implicit = false;
    } else {
      int64_t kept = 0;
      for (int64_t j = 0; j < count; ++j) {  // branch-free: write every token, advance past the kept ones
        const int32_t i = cand[size_t(j)];
        cand[size_t(kept)] = i;
        kept += bucket(x[i]) == boundary;
      }
      count = kept;
    }
    lo = std::numeric_limits<float>::infinity();
    hi = -lo;
    for (int64_t j = 0; j < count; ++j) {
      lo = std::min(lo, x[cand[size_t(j)]]);
      hi = std::max(hi, x[cand[size_t(j)]]);
    }
  }
}

// Top-p followed by top-k, as the reference applies them. Top-p keeps a prefix of the sorted order and
// top-k then keeps the tokens not below the k-th largest left, so the result is decided by the k largest
// logits (with the ties of the k-th) and the row's total mass: only those are ever sorted. They are found
// with a running threshold (no value below the k-th largest of a subset can be among the k largest).
KeepRule top_k_rule(const float* x, const float* e, int64_t n, float inv_sum, float top_p, int64_t k,
                    ChoiceScratch& scratch) {
  std::vector<int32_t>& sel = scratch.order;
  sel.clear();
  size_t cap = size_t(std::max<int64_t>(4 * k, 1024));
  float threshold = -std::numeric_limits<float>::infinity();
  auto prune = [&] {
    std::nth_element(sel.begin(), sel.begin() + (k - 1), sel.end(), ByLogitDesc{x});
    threshold = x[sel[size_t(k - 1)]];
    std::erase_if(sel, [&](int32_t i) { return x[i] < threshold; });
    if (2 * sel.size() > cap) cap *= 2;  // many ties with the k-th: grow instead of pruning again at once
  };
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] < threshold) continue;
    sel.push_back(int32_t(i));
    if (sel.size() >= cap) prune();
  }
  prune();
  std::sort(sel.begin(), sel.end(), ByLogitDesc{x});
  if (top_p < 1) {
    const KeepRule nucleus = walk(sel, x, e, inv_sum, 0.0, top_p);
    if (nucleus.last_tied != kKeepAll.last_tied) return nucleus;
  }
  return {threshold, kKeepAll.last_tied};
}

// Temperature, then the kept set of top-p and top-k on logits (V), as Dream's sample_tokens: divides the
// logits in place and leaves exp(logit - max) in scratch.probs. Returns the rule and the sum of the
// exponentials.
struct FilteredRow {
  kernels::RowRange range{};  // of the tempered logits
  KeepRule rule = kKeepAll;
  float exp_sum = 0;
  bool filtered = false;
};

FilteredRow filter_row(std::span<float> logits, const LogitFilter& filter, ChoiceScratch& scratch) {
  float* x = logits.data();
  const int64_t V = int64_t(logits.size());
  FilteredRow row;
  const kernels::RowRange range = row.range = kernels::divide_and_range(x, V, filter.temperature);
  scratch.probs.assign(logits.begin(), logits.end());
  const float* e = scratch.probs.data();
  row.exp_sum = kernels::exp_shifted_row(scratch.probs.data(), V);
  const bool top_p = filter.top_p<1, top_k = filter.top_k> 0 && filter.top_k < V;
  if (!top_p && !top_k) return row;
  const float inv_sum = 1.0f / row.exp_sum;
  row.filtered = true;
  row.rule = top_k ? top_k_rule(x, e, V, inv_sum, filter.top_p, filter.top_k, scratch)
                   : nucleus_rule(x, e, V, inv_sum, filter.top_p, range, scratch);
  return row;
}

// Inverse CDF over p (V) in index order (torch.distributions.Categorical): the first token whose cumulative
// probability exceeds u * total. The block sums skip to the block holding it. If rounding leaves the target
// beyond the end, the last token with a positive probability.
int32_t draw(const float* p, int64_t V, const kernels::ProbStats& stats, std::span<const double> blocks,
             double u) {
  const double target = u * stats.total;
  double cumulative = 0;
  size_t b = 0;
  while (b + 1 < blocks.size() && cumulative + blocks[b] <= target) cumulative += blocks[b++];
  int64_t last_positive = -1;
  for (int64_t v = int64_t(b) * kernels::kProbBlock; v < V; ++v) {
    if (p[v] <= 0) continue;
    last_positive = v;
    cumulative += p[v];
    if (cumulative > target) return int32_t(v);
  }
  for (int64_t v = int64_t(b) * kernels::kProbBlock - 1; last_positive < 0 && v >= 0; --v) {
    if (p[v] > 0) last_positive = v;
  }
  return int32_t(std::max<int64_t>(last_positive, 0));
}

}  // namespace

void softmax_f32(std::span<const float> logits, std::span<float> probs) {
  DC_ASSERT(logits.size() == probs.size() && !logits.empty());
  std::copy(logits.begin(), logits.end(), probs.begin());
  const int64_t n = int64_t(probs.size());
  const float sum = kernels::exp_shifted_row(probs.data(), n);
  kernels::scale_and_stats(probs.data(), n, 1.0f / sum, nullptr);
}

void filter_logits(std::span<float> logits, const LogitFilter& filter, ChoiceScratch& scratch) {
  DC_ASSERT(!logits.empty());
  const FilteredRow row = filter_row(logits, filter, scratch);
  if (!row.filtered) return;
  for (size_t v = 0; v < logits.size(); ++v) {
    const float x = logits[v];
    if (!(x > row.rule.t || (x == row.rule.t && int64_t(v) <= row.rule.last_tied))) logits[v] = kRemovedLogit;
  }
}

TokenChoice choose_token(std::span<float> logits, Alg alg, const LogitFilter& filter, double u_token,
                         float u_random, ChoiceScratch& scratch) {
  const int64_t V = int64_t(logits.size());
  DC_ASSERT(V >= 1);
  float* x = logits.data();
  // low_confidence scores the chosen token under the raw (unfiltered, untempered) distribution, in double
  // as LLaDA does: its max and sum of exponentials now, its logit once the token is known.
  const bool raw_confidence = alg == Alg::LowConfidence;
  const bool keep_raw = raw_confidence && filter.temperature > 0;
  double raw_max = 0, raw_exp_sum = 0;
  if (keep_raw) {
    scratch.raw.assign(logits.begin(), logits.end());
    raw_max = kernels::divide_and_range(scratch.raw.data(), V, 0).max;
    raw_exp_sum = kernels::exp_sum_f64(scratch.raw.data(), V, float(raw_max));
  }

  const FilteredRow row = filter_row(logits, filter, scratch);
  float* p = scratch.probs.data();
  if (raw_confidence && !keep_raw) {
    raw_max = row.range.max;  // temperature 0: the row is still the raw logits
    raw_exp_sum = kernels::exp_sum_f64(x, V, float(raw_max));
  }
  const float kept_sum =
      row.filtered ? kernels::keep_and_sum(p, x, V, row.rule.t, row.rule.last_tied) : row.exp_sum;
  scratch.block_sums.resize(size_t((V + kernels::kProbBlock - 1) / kernels::kProbBlock));
  const kernels::ProbStats stats = kernels::scale_and_stats(p, V, 1.0f / kept_sum, scratch.block_sums.data());

  TokenChoice c;
  c.token = filter.temperature > 0 ? draw(p, V, stats, scratch.block_sums, u_token) : int32_t(stats.argmax);
  switch (alg) {
    case Alg::Origin:
    case Alg::MaskgitPlus:
      c.confidence = p[c.token];
      break;
    case Alg::TopkMargin:
      c.confidence = stats.top1 - stats.top2;
      break;
    case Alg::Entropy:
      c.confidence = float(kernels::sum_p_log_p(p, V, 1e-10f));
      break;
    case Alg::LowConfidence: {
      const float raw_logit = keep_raw ? scratch.raw[size_t(c.token)] : x[c.token];
      c.confidence = float(std::exp(double(raw_logit) - raw_max) / raw_exp_sum);
      break;
    }
    case Alg::Random:
      c.confidence = u_random;
      break;
  }
  return c;
}

}  // namespace dc

// Statistical tests of the random parts of the sampler, with fixed seeds: token draws at temperature > 0
// after top-p / top-k, alg_temp position draws without replacement, origin's independent reveals and the
// random rule. Each test uses one generate() call over many identical batch rows (row b draws from its own
// stream), compares the counts with the distribution derived here in double precision from the definition,
// and accepts when the chi-square p-value exceeds 1e-6 (or |z| < 5, two-sided 5.7e-7): a correct sampler
// fails a given check with probability at most 1e-6, about 1e-5 over the whole file. Each test also runs a
// negative control: the same counts against a plausible wrong distribution must be rejected at that level.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "decode/sampler.h"
#include "decode/schedule.h"
#include "fake_denoisers.h"

namespace dc {
namespace {

using testing::FixedDenoiser;

// Regularised upper incomplete gamma Q(a, x): series below a + 1, Lentz's continued fraction above.
double gamma_q(double a, double x) {
  if (x <= 0) return 1.0;
  const double log_pre = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 1000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-16) break;
    }
    return 1.0 - sum * std::exp(log_pre);
  }
  double b = x + 1 - a, c = 1e300, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (std::fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return std::exp(log_pre) * h;
}

// P(chi-square with `dof` degrees of freedom >= stat).
double chi2_pvalue(double stat, int dof) {
  return gamma_q(dof / 2.0, stat / 2.0);
}

// Pearson's statistic over the categories with expected probability > 0; a count in a category of
// probability 0 makes the statistic infinite.
double chi2_pvalue(const std::vector<int64_t>& counts, const std::vector<double>& expected_p) {
  const double n = double(std::accumulate(counts.begin(), counts.end(), int64_t(0)));
  double stat = 0;
  int categories = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (expected_p[i] <= 0) {
      if (counts[i] > 0) return 0.0;
      continue;
    }
    const double e = n * expected_p[i];
    stat += (double(counts[i]) - e) * (double(counts[i]) - e) / e;
    ++categories;
  }
  return chi2_pvalue(stat, categories - 1);
}

constexpr double kAlpha = 1e-6;

std::vector<double> softmax(const std::vector<double>& x) {
  const double mx = *std::max_element(x.begin(), x.end());
  std::vector<double> p(x.size());
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += (p[i] = std::exp(x[i] - mx));
  for (double& q : p) q /= s;
  return p;
}

// The filtered sampling distribution from its definition: logits / T, then drop every token whose
// strictly-larger tokens already hold more than top_p of the mass, then keep the top_k largest.
std::vector<double> filtered_distribution(const std::vector<double>& logits, double T, double top_p,
                                          int top_k) {
  std::vector<double> z(logits.size());
  for (size_t i = 0; i < z.size(); ++i) z[i] = logits[i] / T;
  std::vector<bool> keep(z.size(), true);
  if (top_p < 1) {
    const auto p = softmax(z);
    for (size_t i = 0; i < z.size(); ++i) {
      double before = 0;
      for (size_t j = 0; j < z.size(); ++j) before += z[j] > z[i] ? p[j] : 0;
      keep[i] = before <= top_p;
    }
  }
  if (top_k > 0) {
    for (size_t i = 0; i < z.size(); ++i) {
      int larger = 0;
      for (size_t j = 0; j < z.size(); ++j) larger += keep[j] && z[j] > z[i];
      if (larger >= top_k) keep[i] = false;
    }
  }
  std::vector<double> w(z.size(), 0.0);
  double s = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    if (keep[i]) s += (w[i] = std::exp(z[i]));
  }
  for (double& q : w) q /= s;
  return w;
}

constexpr int32_t kMask = 6;
const std::vector<double> kLogits = {2.0, 1.5, 1.0, 0.2, -0.5, -1.0, -30.0};  // token 6 is the mask

std::vector<float> as_float(const std::vector<double>& x) {
  return std::vector<float>(x.begin(), x.end());
}

GenerationResult run_rows(Denoiser& model, int rows, const GenerationParams& p) {
  return generate(model, std::vector<std::vector<int32_t>>(size_t(rows), std::vector<int32_t>{0}), p);
}

TEST(SamplingStats, ChiSquareHelperMatchesTables) {
  EXPECT_NEAR(chi2_pvalue(3.841459, 1), 0.05, 1e-6);
  EXPECT_NEAR(chi2_pvalue(11.070498, 5), 0.05, 1e-6);
  EXPECT_NEAR(chi2_pvalue(23.209251, 10), 0.01, 1e-6);
  EXPECT_NEAR(chi2_pvalue(2.0, 2), std::exp(-1.0), 1e-12);  // dof 2: exp(-x/2)
  EXPECT_NEAR(chi2_pvalue(40.0, 2), std::exp(-20.0), 1e-18);
}

TEST(SamplingStats, TokenDrawsFollowTheFilteredSoftmax) {
  struct Config {
    float T, top_p;
    int top_k;
  };
  const int kRows = 20000;
  for (const Config c :
       {Config{0.7f, 1, 0}, Config{1.3f, 0.8f, 0}, Config{1.0f, 1, 3}, Config{2.0f, 0.9f, 4}}) {
    FixedDenoiser model({as_float(kLogits)}, kMask, 1);
    GenerationParams p;
    p.max_new_tokens = 1;
    p.steps = 1;
    p.alg = Alg::MaskgitPlus;
    p.temperature = c.T;
    p.top_p = c.top_p;
    p.top_k = c.top_k;
    p.seed = 20261127;
    const GenerationResult r = run_rows(model, kRows, p);
    std::vector<int64_t> counts(kLogits.size(), 0);
    for (const auto& t : r.tokens) counts[size_t(t[0])]++;
    const auto expect = filtered_distribution(kLogits, c.T, c.top_p, c.top_k);
    const std::string label = "T " + std::to_string(c.T) + " top_p " + std::to_string(c.top_p) + " top_k " +
                              std::to_string(c.top_k);
    for (size_t v = 0; v < expect.size(); ++v) {
      if (expect[v] == 0) {
        EXPECT_EQ(counts[v], 0) << label << ": filtered token " << v << " was drawn";
      }
    }
    EXPECT_GT(chi2_pvalue(counts, expect), kAlpha) << label;
    // Negative controls: a wrong temperature, and no filtering, are both rejected.
    EXPECT_LT(chi2_pvalue(counts, filtered_distribution(kLogits, 1.0 + (c.T == 1.0f), c.top_p, c.top_k)),
              kAlpha)
        << label;
    if (c.top_p < 1 || c.top_k > 0) {
      EXPECT_LT(chi2_pvalue(counts, softmax(std::vector<double>(kLogits.begin(), kLogits.end()))), kAlpha);
    }
  }
}

// Per-slot logits whose maskgit_plus confidence rises with the slot: c_q = e^{a_q} / (e^{a_q} + 5 + e^-30).
std::vector<std::vector<float>> slot_logits(int L, std::vector<double>* confidence) {
  std::vector<std::vector<float>> out;
  for (int q = 0; q < L; ++q) {
    const double a = 0.5 + 0.35 * q;
    std::vector<double> l = {a, 0, 0, 0, 0, 0, -30};
    out.push_back(as_float(l));
    confidence->push_back(softmax(l)[0]);
  }
  return out;
}

TEST(SamplingStats, AlgTempDrawsOnePositionFromSoftmaxOfConfidence) {
  // L = 4, steps = 2: step 0 commits int(4 * 0.4995) = 1 position per row.
  std::vector<double> conf;
  FixedDenoiser model(slot_logits(4, &conf), kMask, 1);
  GenerationParams p;
  p.max_new_tokens = 4;
  p.steps = 2;
  p.alg = Alg::MaskgitPlus;
  p.alg_temp = 0.1f;
  p.seed = 77;
  const GenerationResult r = run_rows(model, 20000, p);
  std::vector<int64_t> counts(4, 0);
  for (const auto& order : r.order) {
    ASSERT_EQ(order[0].step, 0);
    ASSERT_EQ(order[1].step, 1);  // exactly one commit at step 0
    counts[size_t(order[0].position)]++;
  }
  std::vector<double> scaled(4);
  for (int q = 0; q < 4; ++q) scaled[size_t(q)] = conf[size_t(q)] / 0.1;
  EXPECT_GT(chi2_pvalue(counts, softmax(scaled)), kAlpha);
  EXPECT_LT(chi2_pvalue(counts, std::vector<double>(4, 0.25)), kAlpha);  // control: uniform
  for (int q = 0; q < 4; ++q) scaled[size_t(q)] = conf[size_t(q)] / 0.2;
  EXPECT_LT(chi2_pvalue(counts, softmax(scaled)), kAlpha);  // control: the wrong alg_temp
}

TEST(SamplingStats, AlgTempDrawsPairsWithoutReplacement) {
  // L = 6, steps = 2: step 0 commits int(6 * 0.4995) = 2 distinct positions per row.
  std::vector<double> conf;
  FixedDenoiser model(slot_logits(6, &conf), kMask, 1);
  GenerationParams p;
  p.max_new_tokens = 6;
  p.steps = 2;
  p.alg = Alg::MaskgitPlus;
  p.alg_temp = 0.08f;
  p.seed = 78;
  const GenerationResult r = run_rows(model, 30000, p);
  std::vector<double> scaled(6);
  for (int q = 0; q < 6; ++q) scaled[size_t(q)] = conf[size_t(q)] / 0.08;
  const auto w = softmax(scaled);
  std::map<std::pair<int, int>, int64_t> seen;
  for (const auto& order : r.order) {
    ASSERT_EQ(order[0].step, 0);
    ASSERT_EQ(order[1].step, 0);
    ASSERT_EQ(order[2].step, 1);
    seen[{order[0].position, order[1].position}]++;  // commits are listed by position
  }
  std::vector<int64_t> counts;
  std::vector<double> sequential, product;
  double product_sum = 0;
  for (int i = 0; i < 6; ++i) {
    for (int j = i + 1; j < 6; ++j) {
      counts.push_back(seen[{i, j}]);
      // First i then j, or first j then i, each renormalised after the first draw.
      sequential.push_back(w[size_t(i)] * w[size_t(j)] / (1 - w[size_t(i)]) +
                           w[size_t(j)] * w[size_t(i)] / (1 - w[size_t(j)]));
      product.push_back(w[size_t(i)] * w[size_t(j)]);
      product_sum += product.back();
    }
  }
  for (double& x : product) x /= product_sum;
  EXPECT_NEAR(std::accumulate(sequential.begin(), sequential.end(), 0.0), 1.0, 1e-12);
  EXPECT_GT(chi2_pvalue(counts, sequential), kAlpha);
  EXPECT_LT(chi2_pvalue(counts, product), kAlpha);  // control: pairs proportional to w_i w_j
}

TEST(SamplingStats, OriginRevealsEachMaskIndependently) {
  std::vector<double> conf;
  FixedDenoiser model(slot_logits(8, &conf), kMask, 1);
  GenerationParams p;
  p.max_new_tokens = 8;
  p.steps = 4;
  p.alg = Alg::Origin;
  p.seed = 79;
  const int kRows = 5000;
  const GenerationResult r = run_rows(model, kRows, p);
  const auto grid = time_grid(4, 1e-3f);
  int64_t left = int64_t(kRows) * 8;
  for (int step = 0; step < 3; ++step) {
    int64_t revealed = 0;
    std::vector<int64_t> by_slot(8, 0);
    for (const auto& order : r.order) {
      for (const Commit& c : order) {
        if (c.step == step) {
          ++revealed;
          by_slot[size_t(c.position)]++;
          EXPECT_EQ(c.token, 0);  // greedy: the argmax of every slot is token 0
        }
      }
    }
    const double prob = double(origin_reveal_probability(grid, step));
    const double mean = double(left) * prob, sd = std::sqrt(double(left) * prob * (1 - prob));
    EXPECT_LT(std::fabs(double(revealed) - mean) / sd, 5.0) << "step " << step;
    const double wrong = prob + 0.03;  // control
    EXPECT_GT(
        std::fabs(double(revealed) - double(left) * wrong) / std::sqrt(double(left) * wrong * (1 - wrong)),
        5.0);
    if (step == 0) {
      EXPECT_GT(chi2_pvalue(by_slot, std::vector<double>(8, 1.0 / 8)), kAlpha);  // no slot favoured
    }
    left -= revealed;
  }
  for (const auto& t : r.tokens)
    EXPECT_EQ(std::count(t.begin(), t.end(), kMask), 0);  // last step reveals all
}

TEST(SamplingStats, RandomRuleChoosesPositionsUniformly) {
  std::vector<double> conf;
  FixedDenoiser model(slot_logits(4, &conf), kMask, 1);
  GenerationParams p;
  p.max_new_tokens = 4;
  p.steps = 2;
  p.alg = Alg::Random;
  p.seed = 80;
  const GenerationResult r = run_rows(model, 20000, p);
  std::vector<int64_t> counts(4, 0);
  for (const auto& order : r.order) counts[size_t(order[0].position)]++;
  EXPECT_GT(chi2_pvalue(counts, std::vector<double>(4, 0.25)), kAlpha);
  std::vector<double> scaled(4);
  for (int q = 0; q < 4; ++q) scaled[size_t(q)] = conf[size_t(q)] / 0.1;
  EXPECT_LT(chi2_pvalue(counts, softmax(scaled)), kAlpha);  // control: confidence-weighted
}

}  // namespace
}  // namespace dc

// Mask plans and estimators: the coupled pair's masks are complementary and cover every completion token
// exactly once per pair; the prompt is never masked (except d1's share); the estimate's formula against
// hand-computed values; the head rows point at the rows that predict each token (logit shift).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "rl/logp_estimator.h"

namespace dc::rl {
namespace {

constexpr int32_t kMask = 99;
const std::vector<int32_t> kPrompt = {1, 2, 3};
const std::vector<int32_t> kCompletion = {10, 11, 12, 13, 14, 15, 16, 17};

TEST(MaskPlan, CoupledPairsAreComplementaryAndCoverEachTokenOnce) {
  for (int K : {1, 3}) {
    EstimatorOptions o;
    o.mask_pairs = K;
    Rng rng(5);
    const double t = draw_mask_ratio(o, rng);
    ASSERT_GE(t, 0.2);
    ASSERT_LT(t, 0.8);
    MaskPlan p = make_mask_plan(o, kPrompt, kCompletion, 6, kMask, t, rng);
    ASSERT_EQ(p.passes(), 1 + 2 * K);
    for (int pass = 0; pass < p.passes(); ++pass) {
      for (size_t i = 0; i < kPrompt.size(); ++i) EXPECT_EQ(p.inputs[size_t(pass)][i], kPrompt[i]);
    }
    for (size_t k = 0; k < kCompletion.size(); ++k) {
      EXPECT_EQ(p.inputs[0][3 + k], kMask);  // pass 0 masks everything
      for (int j = 0; j < K; ++j) {
        const bool a = p.inputs[size_t(1 + 2 * j)][3 + k] == kMask,
                   b = p.inputs[size_t(2 + 2 * j)][3 + k] == kMask;
        EXPECT_NE(a, b) << "token " << k << " pair " << j;  // exactly one of the pair
        if (!a) {
          EXPECT_EQ(p.inputs[size_t(1 + 2 * j)][3 + k], kCompletion[k]);
        }
        if (!b) {
          EXPECT_EQ(p.inputs[size_t(2 + 2 * j)][3 + k], kCompletion[k]);
        }
      }
    }
    ASSERT_EQ(p.terms.size(), 6u);
    for (const auto& terms : p.terms) {
      ASSERT_EQ(terms.size(), size_t(1 + K));  // pass 0 plus one pass of each pair
      EXPECT_EQ(terms[0].pass, 0);
      EXPECT_FLOAT_EQ(terms[0].coef, 0.5f);
      for (int j = 0; j < K; ++j) {
        const LogpTerm& tm = terms[size_t(1 + j)];
        const bool first = tm.pass == 1 + 2 * j;
        EXPECT_TRUE(first || tm.pass == 2 + 2 * j);
        EXPECT_FLOAT_EQ(tm.coef, float(0.5 / (K * (first ? t : 1 - t))));
      }
    }
  }
}

TEST(MaskPlan, MaskedShareFollowsT) {
  // Over many tokens, pass 1 masks about t of them (the oracle: the Bernoulli mean, 5 sigma).
  EstimatorOptions o;
  std::vector<int32_t> completion(20000, 7);
  Rng rng(11);
  MaskPlan p = make_mask_plan(o, kPrompt, completion, 0, kMask, 0.3, rng);
  double masked = 0;
  for (size_t k = 0; k < completion.size(); ++k) masked += p.inputs[1][3 + k] == kMask;
  EXPECT_NEAR(masked / 20000, 0.3, 5 * std::sqrt(0.3 * 0.7 / 20000));
}

TEST(MaskPlan, DecoupledMasksAreIndependent) {
  EstimatorOptions o;
  o.kind = Estimator::Decoupled;
  std::vector<int32_t> completion(20000, 7);
  Rng rng(3);
  MaskPlan p = make_mask_plan(o, kPrompt, completion, 20000, kMask, 0.5, rng);
  double both = 0, none = 0;
  for (size_t k = 0; k < completion.size(); ++k) {
    const bool a = p.inputs[1][3 + k] == kMask, b = p.inputs[2][3 + k] == kMask;
    both += a && b;
    none += !a && !b;
    EXPECT_EQ(p.terms[k].size(), size_t(1 + a + b));
  }
  EXPECT_NEAR(both / 20000, 0.25, 0.02);
  EXPECT_NEAR(none / 20000, 0.25, 0.02);
}

TEST(MaskPlan, FullMaskAndD1) {
  EstimatorOptions o;
  o.kind = Estimator::FullMask;
  Rng rng(1);
  MaskPlan f = make_mask_plan(o, kPrompt, kCompletion, 8, kMask, 0.5, rng);
  ASSERT_EQ(f.passes(), 1);
  for (const auto& terms : f.terms) {
    ASSERT_EQ(terms.size(), 1u);
    EXPECT_FLOAT_EQ(terms[0].coef, 1.0f);
  }
  o.kind = Estimator::D1;
  o.prompt_mask_ratio = 0.5;
  std::vector<int32_t> prompt(4000, 5);
  MaskPlan d = make_mask_plan(o, prompt, kCompletion, 8, kMask, 0.5, rng);
  double masked = 0;
  for (size_t i = 0; i < prompt.size(); ++i) masked += d.inputs[0][i] == kMask;
  EXPECT_NEAR(masked / 4000, 0.5, 0.04);
  for (size_t k = 0; k < kCompletion.size(); ++k) EXPECT_EQ(d.inputs[0][4000 + k], kMask);
}

TEST(LogpBatch, RowsTargetsAndTheCoupledFormulaByHand) {
  // Two sequences, K = 1, t = 0.25. Row losses chosen by hand: the loss of a row is -logp.
  EstimatorOptions o;
  Rng rng(9);
  const double t = 0.25;
  std::vector<std::vector<int32_t>> comps = {{10, 11, 12}, {20, 21, 22}};
  std::vector<MaskPlan> plans = {make_mask_plan(o, kPrompt, comps[0], 2, kMask, t, rng),
                                 make_mask_plan(o, kPrompt, comps[1], 3, kMask, t, rng)};
  LogpBatch b = make_logp_batch(plans, comps, 1);
  EXPECT_EQ(b.B, 6);
  EXPECT_EQ(b.N, 6);
  ASSERT_EQ(b.head.rows.size(), 2u * 2 + 3u * 2);  // two terms per scored token
  std::vector<double> loss(b.head.rows.size());
  for (size_t r = 0; r < loss.size(); ++r) {
    const int64_t batch_row = b.head.rows[r] / b.N, pos = b.head.rows[r] % b.N;
    const int32_t g = b.seq[r], k = b.token[r];
    EXPECT_EQ(batch_row / 3, g);
    EXPECT_EQ(pos, 3 + k - 1);  // the row before the token predicts it
    EXPECT_EQ(b.head.targets[r], comps[size_t(g)][size_t(k)]);
    const int pass = int(batch_row % 3);
    loss[r] = 1.0 + pass + 0.1 * k;  // -logp of (pass, k)
  }
  auto logp = combine_logp(b, loss);
  ASSERT_EQ(logp[0].size(), 2u);
  ASSERT_EQ(logp[1].size(), 3u);
  for (int g = 0; g < 2; ++g) {
    for (size_t k = 0; k < logp[size_t(g)].size(); ++k) {
      const bool in_first = plans[size_t(g)].inputs[1][3 + k] == kMask;
      const double l0 = -(1.0 + 0.1 * double(k));
      const double lj = in_first ? -(2.0 + 0.1 * double(k)) / t : -(3.0 + 0.1 * double(k)) / (1 - t);
      EXPECT_NEAR(logp[size_t(g)][k], 0.5 * (l0 + lj), 1e-6);
    }
  }
  // head_weights: -coef * dlogp
  std::vector<std::vector<double>> d = {{1.0, 2.0}, {3.0, 4.0, 5.0}};
  auto w = head_weights(b, d);
  for (size_t r = 0; r < w.size(); ++r)
    EXPECT_FLOAT_EQ(w[r], float(-b.coef[r] * d[size_t(b.seq[r])][size_t(b.token[r])]));
}

TEST(Estimator, NamesAndBadOptions) {
  for (Estimator e : {Estimator::Coupled, Estimator::Decoupled, Estimator::FullMask, Estimator::D1})
    EXPECT_EQ(parse_estimator(estimator_name(e)), e);
  EXPECT_THROW(parse_estimator("copuled"), Error);
  EstimatorOptions o;
  o.mask_pairs = 0;
  EXPECT_THROW(validate(o), Error);
  o = {};
  o.t_min = 0.9;
  EXPECT_THROW(validate(o), Error);
  Rng rng(0);
  EXPECT_THROW(make_mask_plan({}, {}, kCompletion, 1, kMask, 0.5, rng), Error);
}

}  // namespace
}  // namespace dc::rl

// The per-position rule of Dream's sample_tokens against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "decode/token_choice.h"

namespace dc {
namespace {

constexpr float kLowest = std::numeric_limits<float>::lowest();

std::vector<float> filtered(std::vector<float> logits, LogitFilter f) {
  ChoiceScratch s;
  filter_logits(logits, f, s);
  return logits;
}

// softmax([2, 1, 0, -1]) = [0.643914, 0.236883, 0.087144, 0.032059]; cumulative 0.6439, 0.8808, 0.9679, 1.
TEST(TokenChoice, TopPKeepsTokensWhoseEarlierMassIsBelowThreshold) {
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 0.7f, 0}), (std::vector<float>{kLowest, 2, kLowest, 1}));
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 0.5f, 0}), (std::vector<float>{kLowest, 2, kLowest, kLowest}));
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 0.9f, 0}), (std::vector<float>{0, 2, kLowest, 1}));
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 0.999f, 0}), (std::vector<float>{0, 2, -1, 1}));
  // top_p >= 1 is off.
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 1.0f, 0}), (std::vector<float>{0, 2, -1, 1}));
  // The removed value is float32 lowest, not -inf (Dream's masked_fill with finfo.min).
  EXPECT_TRUE(std::isfinite(filtered({0, 2, -1, 1}, {0, 0.5f, 0})[0]));
}

TEST(TokenChoice, TopPActsAfterTemperature) {
  // [2, 1, 0, -1] / 0.5 = [4, 2, 0, -2]: softmax 0.8668, 0.1173, 0.0159, 0.0021 -> with top_p 0.85 only
  // the first token stays (its own mass already exceeds 0.85); at temperature 0 the second would stay too.
  EXPECT_EQ(filtered({2, 1, 0, -1}, {0.5f, 0.85f, 0}), (std::vector<float>{4, kLowest, kLowest, kLowest}));
  EXPECT_EQ(filtered({2, 1, 0, -1}, {0, 0.85f, 0}), (std::vector<float>{2, 1, kLowest, kLowest}));
}

TEST(TokenChoice, TopPOnLargeVocabularyGrowsThePrefix) {
  // 1000 logits decreasing slowly: the nucleus needs more than the first 64 sorted tokens.
  std::vector<float> logits(1000);
  for (int v = 0; v < 1000; ++v) logits[size_t(v)] = -0.001f * float((v * 37) % 1000);
  // Expected from the definition, in double.
  std::vector<double> p(1000);
  double sum = 0;
  for (int v = 0; v < 1000; ++v) sum += (p[size_t(v)] = std::exp(double(logits[size_t(v)])));
  std::vector<int> order(1000);
  for (int v = 0; v < 1000; ++v) order[size_t(v)] = v;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return logits[size_t(a)] > logits[size_t(b)]; });
  std::vector<float> expect = logits;
  double before = 0;
  for (int j = 0; j < 1000; ++j) {
    if (before > 0.5) expect[size_t(order[size_t(j)])] = kLowest;
    before += p[size_t(order[size_t(j)])] / sum;
  }
  const auto got = filtered(logits, {0, 0.5f, 0});
  int kept = 0;
  for (float x : got) kept += x != kLowest;
  EXPECT_GT(kept, 300);
  EXPECT_EQ(got, expect);
}

TEST(TokenChoice, TopKKeepsTiesWithTheKth) {
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 1, 2}), (std::vector<float>{kLowest, 2, kLowest, 1}));
  EXPECT_EQ(filtered({1, 3, 3, 0}, {0, 1, 1}), (std::vector<float>{kLowest, 3, 3, kLowest}));
  EXPECT_EQ(filtered({1, 3, 3, 0}, {0, 1, 9}), (std::vector<float>{1, 3, 3, 0}));  // k > V: nothing removed
  // top-p first, then top-k on what is left.
  EXPECT_EQ(filtered({0, 2, -1, 1}, {0, 0.9f, 1}), (std::vector<float>{kLowest, 2, kLowest, kLowest}));
}

TEST(TokenChoice, GreedyConfidencePerAlgorithm) {
  const double z = std::exp(2.0) + std::exp(1.0) + 1.0 + std::exp(-1.0);
  const double p[4] = {std::exp(2.0) / z, std::exp(1.0) / z, 1.0 / z, std::exp(-1.0) / z};
  ChoiceScratch s;
  auto run = [&](Alg alg, LogitFilter f = {}, float u_random = 0) {
    std::vector<float> logits = {-1, 2, 0, 1};  // token 1 is the best
    return choose_token(logits, alg, f, 0.0, u_random, s);
  };
  EXPECT_EQ(run(Alg::MaskgitPlus).token, 1);
  EXPECT_NEAR(run(Alg::MaskgitPlus).confidence, p[0], 1e-6);
  EXPECT_NEAR(run(Alg::TopkMargin).confidence, p[0] - p[1], 1e-6);
  double negent = 0;
  for (double q : p) negent += q * std::log(q + 1e-10);
  EXPECT_NEAR(run(Alg::Entropy).confidence, negent, 1e-6);
  EXPECT_LT(run(Alg::Entropy).confidence, 0);
  EXPECT_NEAR(run(Alg::LowConfidence).confidence, p[0], 1e-6);
  EXPECT_EQ(run(Alg::Random, {}, 0.375f).confidence, 0.375f);
  EXPECT_EQ(run(Alg::Random, {}, 0.375f).token, 1);
  // Filters change maskgit_plus (computed on the filtered distribution) but not low_confidence (raw).
  EXPECT_NEAR(run(Alg::MaskgitPlus, {0, 1, 2}).confidence, p[0] / (p[0] + p[1]), 1e-6);
  EXPECT_NEAR(run(Alg::LowConfidence, {0, 1, 2}).confidence, p[0], 1e-6);
  EXPECT_NEAR(run(Alg::MaskgitPlus, {0, 1, 1}).confidence, 1.0, 1e-7);
  // Entropy of a one-hot distribution is 0 (up to the 1e-10 guard).
  EXPECT_NEAR(run(Alg::Entropy, {0, 1, 1}).confidence, 0.0, 1e-6);
}

TEST(TokenChoice, ArgmaxTakesTheFirstMaximum) {
  ChoiceScratch s;
  std::vector<float> logits = {0, 3, 1, 3};
  EXPECT_EQ(choose_token(logits, Alg::MaskgitPlus, {}, 0.0, 0, s).token, 1);
}

TEST(TokenChoice, SamplingIsTheInverseCdfOfTheFilteredDistribution) {
  // probs of [2, 1, 0, -1]: cumulative 0.6439, 0.8808, 0.9679, 1.
  ChoiceScratch s;
  auto draw = [&](double u, LogitFilter f) {
    std::vector<float> logits = {2, 1, 0, -1};
    return choose_token(logits, Alg::MaskgitPlus, f, u, 0, s);
  };
  const LogitFilter t1{1.0f, 1, 0};
  EXPECT_EQ(draw(0.0, t1).token, 0);
  EXPECT_EQ(draw(0.6438, t1).token, 0);
  EXPECT_EQ(draw(0.6440, t1).token, 1);
  EXPECT_EQ(draw(0.9, t1).token, 2);
  EXPECT_EQ(draw(0.99, t1).token, 3);
  EXPECT_EQ(draw(0.999999, t1).token, 3);
  EXPECT_NEAR(draw(0.9, t1).confidence, 1.0 / (std::exp(2.0) + std::exp(1.0) + 1.0 + std::exp(-1.0)), 1e-6);
  // top_k 2 renormalises over tokens 0 and 1 (0.7311, 0.2689); filtered tokens are never drawn.
  const LogitFilter k2{1.0f, 1, 2};
  EXPECT_EQ(draw(0.73, k2).token, 0);
  EXPECT_EQ(draw(0.74, k2).token, 1);
  EXPECT_EQ(draw(0.999999, k2).token, 1);
  EXPECT_NEAR(draw(0.74, k2).confidence, 1.0 / (1.0 + std::exp(1.0)), 1e-6);
}

}  // namespace
}  // namespace dc

// The per-position rule of Dream's sample_tokens against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "decode/token_choice.h"
#include "decode/token_choice_ref.h"

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

std::vector<float> top_p_by_sorting(std::vector<float> logits, float top_p) {
  ref::filter_logits(logits, {0, top_p, 0});
  return logits;
}

TEST(TokenChoice, TopPSelectionEqualsSortingOnEveryShape) {
  // Flat, peaked, tied, negative-zero and random rows of several sizes, at several thresholds: the
  // selection keeps exactly the tokens the sort keeps.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<std::pair<std::string, std::vector<float>>> rows;
  for (size_t V : {1u, 2u, 7u, 1000u, 151936u}) {
    std::vector<float> flat(V), peaked(V), tied(V), ranked(V), coarse(V);
    for (size_t v = 0; v < V; ++v) {
      flat[v] = 0.01f * normal(rng);
      peaked[v] = 4.0f * normal(rng);
      tied[v] = float(int(v % 5));  // five values, many exact ties
      ranked[v] = -0.001f * float((v * 37) % 1000);
      coarse[v] = float(int(3.0f * normal(rng))) * 0.5f;
    }
    if (V > 2) {
      flat[1] = -0.0f;  // signed zeros are one logit
      flat[2] = 0.0f;
    }
    rows.push_back({"flat " + std::to_string(V), flat});
    rows.push_back({"peaked " + std::to_string(V), peaked});
    rows.push_back({"tied " + std::to_string(V), tied});
    rows.push_back({"ranked " + std::to_string(V), ranked});
    rows.push_back({"coarse " + std::to_string(V), coarse});
    rows.push_back({"constant " + std::to_string(V), std::vector<float>(V, 1.5f)});
  }
  for (const auto& [name, row] : rows)
    for (float top_p : {0.01f, 0.3f, 0.5f, 0.9f, 0.95f, 0.999f}) {
      SCOPED_TRACE(name + " top_p " + std::to_string(top_p));
      const std::vector<float> want = top_p_by_sorting(row, top_p);
      const std::vector<float> got = filtered(row, {0, top_p, 0});
      ASSERT_EQ(got, want);
      EXPECT_NE(std::count(got.begin(), got.end(), kLowest), std::ptrdiff_t(row.size())) << "one stays";
    }
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

// Rows of every shape for the engine-against-reference comparisons: flat (a random model, or T = 1.2),
// peaked (a trained model), tied, coarse (few values), and with a dominant token.
std::vector<std::pair<std::string, std::vector<float>>> shaped_rows(size_t V, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> flat(V), peaked(V), tied(V), coarse(V), dominant(V);
  for (size_t v = 0; v < V; ++v) {
    flat[v] = 0.01f * normal(rng);
    peaked[v] = 4.0f * normal(rng);
    tied[v] = float(int(v % 5));
    coarse[v] = float(int(3.0f * normal(rng))) * 0.5f;
    dominant[v] = normal(rng);
  }
  dominant[V / 3] = 30.0f;
  return {{"flat", flat}, {"peaked", peaked}, {"tied", tied}, {"coarse", coarse}, {"dominant", dominant}};
}

TEST(TokenChoice, TopKWithTopPEqualsTheReferenceOrderOfFilters) {
  // top-p then top-k: the engine sorts only the k largest; the reference sorts everything.
  std::mt19937 rng(11);
  for (size_t V : {3u, 1000u, 151936u}) {
    for (const auto& [name, row] : shaped_rows(V, rng)) {
      for (float top_p : {0.05f, 0.5f, 0.95f, 1.0f}) {
        for (int top_k : {1, 2, 40, 700}) {
          for (float temperature : {0.0f, 0.7f}) {
            SCOPED_TRACE(name + " V " + std::to_string(V) + " top_p " + std::to_string(top_p) + " top_k " +
                         std::to_string(top_k) + " T " + std::to_string(temperature));
            const LogitFilter f{temperature, top_p, top_k};
            std::vector<float> want = row;
            ref::filter_logits(want, f);
            ASSERT_EQ(filtered(row, f), want);
          }
        }
      }
    }
  }
}

TEST(TokenChoice, EveryRuleEqualsTheReference) {
  // Tokens identical and confidences within float rounding, for every rule, greedy and sampled, with and
  // without the filters, on rows of every shape.
  std::mt19937 rng(13);
  std::uniform_real_distribution<double> uniform;
  ChoiceScratch scratch;
  for (size_t V : {1u, 2u, 1000u, 151936u}) {
    for (const auto& [name, row] : shaped_rows(V, rng)) {
      for (Alg alg : {Alg::MaskgitPlus, Alg::TopkMargin, Alg::Entropy, Alg::LowConfidence, Alg::Random}) {
        for (const LogitFilter f :
             {LogitFilter{0, 1, 0}, LogitFilter{0, 0.95f, 0}, LogitFilter{0.2f, 0.95f, 0},
              LogitFilter{0.8f, 0.95f, 40}, LogitFilter{1.2f, 0.95f, 0}, LogitFilter{1.2f, 1, 0}}) {
          const double u = uniform(rng);
          SCOPED_TRACE(name + " V " + std::to_string(V) + " alg " + std::to_string(int(alg)) + " T " +
                       std::to_string(f.temperature) + " top_p " + std::to_string(f.top_p) + " top_k " +
                       std::to_string(f.top_k) + " u " + std::to_string(u));
          std::vector<float> a = row, b = row;
          const TokenChoice got = choose_token(a, alg, f, u, 0.25f, scratch);
          const TokenChoice want = ref::choose_token(b, alg, f, u, 0.25f);
          ASSERT_EQ(got.token, want.token);
          EXPECT_NEAR(got.confidence, want.confidence, 2e-6 * std::fabs(want.confidence) + 1e-7);
        }
      }
    }
  }
}

}  // namespace
}  // namespace dc

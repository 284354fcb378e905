// Decoding for the analysis with a positional fake model whose confidences, and hence decoding order, are
// known in closed form: AR-ness of the resulting orders (including Dream's two-token last step) and the
// first-step confidences against the entropy formula computed here in double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "analysis/arness.h"
#include "analysis/decode_run.h"
#include "core/error.h"

namespace dc::analysis {
namespace {

// V = 4 tokens; token 3 is the mask. The logits predicting canvas position q (after left padding) are
// [s(q), 0, 0, -30] with s = slope * q + offset: the entropy confidence grows with s, so a negative slope
// makes the left-most mask the most confident (left to right) and a positive slope the right-most.
class PositionalDenoiser : public Denoiser {
 public:
  PositionalDenoiser(float slope, float offset) : slope_(slope), offset_(offset) {}
  int64_t vocab_size() const override { return 4; }
  int32_t mask_token_id() const override { return 3; }
  void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) override {
    for (size_t r = 0; r < wanted.size(); ++r) {
      int64_t pad = 0;
      if (!batch.valid.empty()) {
        while (!batch.valid[size_t(wanted[r].row * batch.length + pad)]) ++pad;
      }
      const float q = float(wanted[r].position - pad);
      const float row[4] = {slope_ * q + offset_, 0, 0, -30};
      for (int v = 0; v < 4; ++v) logits[r * 4 + size_t(v)] = row[v];
    }
  }

 private:
  float slope_, offset_;
};

// sum p log(p + 1e-10) of softmax([s, 0, 0, -30] / T), in double.
double entropy_confidence(double s, double T) {
  const double z[4] = {s / T, 0, 0, -30 / T};
  double m = z[0] > 0 ? z[0] : 0, sum = 0;
  for (double v : z) sum += std::exp(v - m);
  double c = 0;
  for (double v : z) {
    const double p = std::exp(v - m) / sum;
    c += p * std::log(p + 1e-10);
  }
  return c;
}

GenerationParams params(int L) {
  GenerationParams p;
  p.max_new_tokens = L;
  p.steps = 3;  // overridden: one token per step
  p.alg = Alg::Entropy;
  p.temperature = 0;
  return p;
}

TEST(DecodeRun, LeftToRightModelScoresOne) {
  PositionalDenoiser model(-0.25f, 8.0f);
  const std::vector<std::vector<int32_t>> prompts = {std::vector<int32_t>(10, 1),
                                                     std::vector<int32_t>(12, 2)};
  const auto samples = decode_samples(model, prompts, params(16), 2);
  ASSERT_EQ(samples.size(), 2u);
  for (const Sample& s : samples) {
    EXPECT_EQ(s.order.generated_length, 16);
    EXPECT_EQ(s.order.commits.size(), 16u);
    const Arness a = compute_arness(s.order, 9, 4);
    for (double v : a.local) EXPECT_DOUBLE_EQ(v, 1.0);
    for (double v : a.global) EXPECT_DOUBLE_EQ(v, 1.0);
  }
  EXPECT_EQ(samples[0].order.prompt_length, 10);
  EXPECT_EQ(samples[1].order.prompt_length, 12);
}

TEST(DecodeRun, RightToLeftModelShowsTheTwoTokenLastStep) {
  // steps == L: step 0 commits nothing, steps 1..L-2 one token each (L-1, L-2, ..., 2), and the last step
  // commits the remaining {0, 1}, which enter the history as 0 then 1. Hand count over L = 8 events:
  // local@1 = 1/8 (1 after 0), local@2 = 0; global@1 = global@2 = 2/8 (the last two), global@k = k/8 for
  // k >= 2 (the last two plus the k-2 events that took the right-most of 3..k masks).
  PositionalDenoiser model(0.25f, 1.0f);
  const auto samples = decode_samples(model, {std::vector<int32_t>(5, 1)}, params(8));
  ASSERT_EQ(samples.size(), 1u);
  const auto& c = samples[0].order.commits;
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(c.front().position, 7);
  const Arness a = compute_arness(samples[0].order, 2, 4);
  EXPECT_DOUBLE_EQ(a.local[0], 1.0 / 8);
  EXPECT_DOUBLE_EQ(a.local[1], 0.0);
  EXPECT_DOUBLE_EQ(a.global[0], 2.0 / 8);
  EXPECT_DOUBLE_EQ(a.global[1], 2.0 / 8);
  EXPECT_DOUBLE_EQ(a.global[2], 3.0 / 8);
  EXPECT_DOUBLE_EQ(a.global[3], 4.0 / 8);
}

TEST(DecodeRun, FirstStepConfidenceIsTheEntropyRule) {
  PositionalDenoiser model(-0.5f, 6.0f);
  const std::vector<int32_t> prompt(4, 1);
  for (float T : {0.0f, 0.5f}) {
    GenerationParams p = params(6);
    p.temperature = T;
    const std::vector<double> conf = first_step_confidence(model, prompt, p);
    ASSERT_EQ(conf.size(), 6u);
    for (int i = 0; i < 6; ++i) {
      const double s = -0.5 * (4 + i) + 6.0;
      EXPECT_NEAR(conf[size_t(i)], entropy_confidence(s, T > 0 ? T : 1.0), 2e-6) << "T=" << T << " i=" << i;
    }
    // The curve falls away from the prompt: the highest confidence sits right after it.
    for (int i = 1; i < 6; ++i) EXPECT_GT(conf[0], conf[size_t(i)]);
  }
  // decode_samples carries the same values.
  const auto samples = decode_samples(model, {prompt}, params(6));
  EXPECT_EQ(samples[0].first_step_confidence, first_step_confidence(model, prompt, params(6)));
}

// With a sampling rule (maskgit_plus at T = 1) the sink is the sampler's own draw at its first model call:
// every value is the probability of token 0 or of token 1 at that position (whichever was drawn), not the
// deterministic maximum a separate forward pass would give. Two prompts of different lengths
// (left padding) check the row and position bookkeeping.
TEST(DecodeRun, FirstStepConfidenceIsTheSamplersOwnDraw) {
  PositionalDenoiser model(-0.5f, 3.0f);
  GenerationParams p = params(6);
  p.alg = Alg::MaskgitPlus;
  p.temperature = 1.0f;
  p.top_p = 1.0f;
  p.seed = 9;
  const std::vector<std::vector<int32_t>> prompts = {std::vector<int32_t>(4, 1), std::vector<int32_t>(2, 1)};
  const auto samples = decode_samples(model, prompts, p, 2);
  ASSERT_EQ(samples.size(), 2u);
  for (size_t b = 0; b < 2; ++b) {
    const auto& conf = samples[b].first_step_confidence;
    ASSERT_EQ(conf.size(), 6u);
    const int64_t P = int64_t(prompts[b].size());
    auto probability = [&](int64_t i, int token) {  // softmax([s, 0, 0, -30])[token] at generated slot i
      const double s = -0.5 * double(P + i) + 3.0;
      const double z = std::exp(s) + 2 + std::exp(-30.0);
      return token == 0 ? std::exp(s) / z : 1 / z;
    };
    for (int64_t i = 0; i < 6; ++i) {
      const double c = conf[size_t(i)];
      EXPECT_TRUE(std::abs(c - probability(i, 0)) < 1e-6 || std::abs(c - probability(i, 1)) < 1e-6)
          << "row " << b << " slot " << i << ": " << c;
    }
    // The recorded call is also the first that commits (step 0 of a one-token-per-step schedule commits
    // nothing and skips the model), and it commits the most confident slot of exactly these values.
    const auto& first = samples[b].order.commits.front();
    EXPECT_EQ(first.step, 1);
    EXPECT_EQ(first.position, int64_t(std::max_element(conf.begin(), conf.end()) - conf.begin()));
  }
}

TEST(DecodeRun, OneRunPerTemperature) {
  // The positional model's order does not depend on the sampled tokens, so every temperature decodes left
  // to right; the first-step confidences sharpen as the temperature falls.
  PositionalDenoiser model(-0.25f, 8.0f);
  std::vector<std::vector<Sample>> samples;
  std::vector<std::string> seen;
  const auto runs = analyze_temperatures(
      model, {std::vector<int32_t>(9, 1), std::vector<int32_t>(11, 2), std::vector<int32_t>(10, 1)},
      params(12), {0.2f, 1.2f}, 2, 9, 4, &samples, [&](const std::string& label, size_t done, size_t total) {
        seen.push_back(label + " " + std::to_string(done) + "/" + std::to_string(total));
      });
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].label, "T=0.2");
  EXPECT_EQ(*runs[0].temperature, 0.2);
  EXPECT_EQ(runs[1].label, "T=1.2");
  EXPECT_EQ(*runs[1].temperature, 1.2);
  EXPECT_EQ(seen, (std::vector<std::string>{"T=0.2 2/3", "T=0.2 3/3", "T=1.2 2/3", "T=1.2 3/3"}));
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[1].size(), 3u);
  for (const auto& r : runs) {
    EXPECT_EQ(r.samples, 3);
    for (double v : r.local.mean) EXPECT_DOUBLE_EQ(v, 1.0);
    for (double v : r.global.mean) EXPECT_DOUBLE_EQ(v, 1.0);
    EXPECT_EQ(r.entropy_sink.mean.size(), 12u);
  }
  EXPECT_GT(runs[0].entropy_sink.mean[0], runs[1].entropy_sink.mean[0]);
  EXPECT_THROW(analyze_temperatures(model, {}, params(4), {0.2f}, 1, 9, 4), Error);
  EXPECT_THROW(analyze_temperatures(model, {{1, 1}}, params(4), {}, 1, 9, 4), Error);
}

TEST(DecodeRun, BadInputsAreUserErrors) {
  PositionalDenoiser model(-0.5f, 6.0f);
  EXPECT_THROW(first_step_confidence(model, {}, params(4)), Error);
  EXPECT_THROW(decode_samples(model, {{1, 1}}, params(4), 0), Error);
  GenerationParams bad = params(4);
  bad.top_p = 0;
  EXPECT_THROW(decode_samples(model, {{1, 1}}, bad), Error);
}

}  // namespace
}  // namespace dc::analysis

// Parallel commits (threshold and factor rules, SPEC §4), early stop and the cache schedule, on models whose
// predictions are fixed per position, so that every step's commits follow by hand from the logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../common/error_of.h"
#include "core/error.h"
#include "decode/sampler.h"
#include "decode/select.h"
#include "fake_denoisers.h"

namespace dc {
namespace {

using dc::testing::error_of;

using testing::FixedDenoiser;

constexpr int32_t kMask = 7;
constexpr int32_t kEnd = 6;
constexpr int64_t kVocab = 8;

// Logits whose softmax puts probability close to `p` on `token` and spreads the rest over the other
// non-mask tokens (the mask token itself gets a very low logit).
std::vector<float> peaked_at(int32_t token, double p) {
  std::vector<float> row(size_t(kVocab), 0.0f);
  // Six other tokens share 1 - p: logit(token) = log(p / ((1 - p) / 6)).
  row[size_t(token)] = float(std::log(p * 6.0 / (1.0 - p)));
  row[size_t(kMask)] = -30.0f;
  return row;
}

GenerationParams parallel(int L, float threshold, float factor) {
  GenerationParams p;
  p.alg = Alg::MaskgitPlus;
  p.max_new_tokens = L;
  p.steps = L;
  p.threshold = threshold;
  p.factor = factor;
  return p;
}

TEST(SelectConfident, ThresholdTakesEveryConfidentIndexAndAtLeastOne) {
  const std::vector<float> c = {0.5f, 0.95f, 0.9f, 0.2f, 0.97f};
  EXPECT_EQ(select_confident(c, 0.9f, 0), (std::vector<int32_t>{1, 2, 4}));
  EXPECT_EQ(select_confident(c, 0.99f, 0), (std::vector<int32_t>{4}));  // none qualifies: the best one
  EXPECT_EQ(select_confident(std::vector<float>{0.3f, 0.3f}, 0.9f, 0), (std::vector<int32_t>{0}));
  EXPECT_TRUE(select_confident({}, 0.9f, 0).empty());
}

TEST(SelectConfident, FactorRuleByHand) {
  // Sorted: 0.97, 0.95, 0.9, 0.5, 0.2. With f = 1: c_j >= 1 - 1/(j+1) = 0.5, 0.667, 0.75, 0.8, ...
  // c_1 0.97 >= 0.5, c_2 0.95 >= 0.667, c_3 0.9 >= 0.75, c_4 0.5 < 0.8: n = 3.
  const std::vector<float> c = {0.5f, 0.95f, 0.9f, 0.2f, 0.97f};
  EXPECT_EQ(select_confident(c, 0, 1.0f), (std::vector<int32_t>{1, 2, 4}));
  // f = 0.1: bounds 0.95, 0.967, ...: c_1 0.97 passes, c_2 0.95 < 0.967: n = 1.
  EXPECT_EQ(select_confident(c, 0, 0.1f), (std::vector<int32_t>{4}));
  // Nothing passes: still the most certain one.
  EXPECT_EQ(select_confident(std::vector<float>{0.1f, 0.2f}, 0, 0.01f), (std::vector<int32_t>{1}));
}

TEST(SelectConfident, CertaintyIsOnAProbabilityScale) {
  EXPECT_FLOAT_EQ(certainty(Alg::Entropy, 0.0f), 1.0f);  // one-hot: sum p log p = 0
  EXPECT_FLOAT_EQ(certainty(Alg::Entropy, std::log(0.5f)), 0.5f);
  EXPECT_FLOAT_EQ(certainty(Alg::MaskgitPlus, 0.7f), 0.7f);
}

TEST(ParallelCommits, ThresholdCommitsEveryConfidentPositionPerStep) {
  // Slots 0, 2, 3 are predicted at p = 0.99, slots 1 and 4 at p = 0.5 and 0.6: with threshold 0.9 the
  // first step commits 0, 2, 3; the second commits only the best of the rest (4, p 0.6), the third 1.
  const std::vector<int32_t> prompt = {1, 2};
  FixedDenoiser m(
      {peaked_at(3, 0.99), peaked_at(4, 0.5), peaked_at(5, 0.99), peaked_at(1, 0.99), peaked_at(2, 0.6)},
      kMask, 2);
  const GenerationResult r = generate(m, {prompt}, parallel(5, 0.9f, 0));
  EXPECT_EQ(r.stats.steps, 3);
  EXPECT_EQ(r.tokens[0], (std::vector<int32_t>{3, 4, 5, 1, 2}));
  std::vector<int> step_of(5, -1);
  for (const Commit& c : r.order[0]) step_of[size_t(c.position)] = c.step;
  EXPECT_EQ(step_of, (std::vector<int>{0, 2, 0, 0, 1}));
}

TEST(ParallelCommits, TheLastAllowedStepCommitsEverythingLeft) {
  // Every slot at p = 0.5 < 0.9: one per step, but with steps = 2 the second step takes all the rest.
  FixedDenoiser m(std::vector<std::vector<float>>(6, peaked_at(3, 0.5)), kMask, 1);
  GenerationParams p = parallel(6, 0.9f, 0);
  p.steps = 2;
  const GenerationResult r = generate(m, {{1}}, p);
  EXPECT_EQ(r.stats.steps, 2);
  for (int32_t t : r.tokens[0]) EXPECT_EQ(t, 3);
  EXPECT_EQ(r.order[0].size(), 6u);
}

TEST(ParallelCommits, BlocksAreFilledOneAfterAnother) {
  // Two blocks of 3; everything confident: one step per block.
  FixedDenoiser m(std::vector<std::vector<float>>(6, peaked_at(2, 0.99)), kMask, 1);
  GenerationParams p = parallel(6, 0.9f, 0);
  p.block_length = 3;
  const GenerationResult r = generate(m, {{1}}, p);
  EXPECT_EQ(r.stats.steps, 2);
  std::vector<int> step_of(6, -1);
  for (const Commit& c : r.order[0]) step_of[size_t(c.position)] = c.step;
  EXPECT_EQ(step_of, (std::vector<int>{0, 0, 0, 1, 1, 1}));
}

TEST(EarlyStop, FillsAfterTheEndTokenOnceNothingBeforeItIsMasked) {
  // Slot 2 predicts the end token most confidently, slots 0 and 1 next, the rest are unsure. Steps = L, so
  // one commit per step after the schedule's quirk: step 0 commits nothing, then slot 2 (end token, but
  // slots 0 and 1 still masked: go on), then slot 0, then slot 1, whereupon the row ends and slots 3..7
  // are filled with the end token in that same step.
  FixedDenoiser m({peaked_at(3, 0.98), peaked_at(4, 0.97), peaked_at(kEnd, 0.99), peaked_at(1, 0.4),
                   peaked_at(1, 0.4), peaked_at(1, 0.4), peaked_at(1, 0.4), peaked_at(1, 0.4)},
                  kMask, 1);
  GenerationParams p;
  p.alg = Alg::MaskgitPlus;
  p.max_new_tokens = 8;
  p.steps = 8;
  p.early_stop = true;
  p.end_tokens = {kEnd};
  const GenerationResult r = generate(m, {{1}}, p);
  EXPECT_EQ(r.stats.steps, 4);
  EXPECT_EQ(r.tokens[0], (std::vector<int32_t>{3, 4, kEnd, kEnd, kEnd, kEnd, kEnd, kEnd}));
  EXPECT_EQ(r.stats.answer_tokens, 2);
  EXPECT_EQ(r.order[0].size(), 8u);  // every slot committed once, the fill included
  // Without early stop the same run takes all 8 steps and the answer is the same.
  p.early_stop = false;
  const GenerationResult full = generate(m, {{1}}, p);
  EXPECT_EQ(full.stats.steps, 8);
  EXPECT_EQ(full.stats.answer_tokens, 2);
  EXPECT_EQ(std::vector<int32_t>(full.tokens[0].begin(), full.tokens[0].begin() + 3),
            (std::vector<int32_t>{3, 4, kEnd}));
}

// Predictions that depend on the row's first token: prompt {1} predicts the end token everywhere at
// p 0.99, any other prompt predicts token 3 at p 0.5. Records the batch size of every call, and the
// window and cache slots of every cached call.
class TwoKindsDenoiser : public Denoiser {
 public:
  struct Call {
    bool refresh = false;
    int64_t begin = 0, end = 0;
    std::vector<int32_t> slots;
  };
  int64_t vocab_size() const override { return kVocab; }
  int32_t mask_token_id() const override { return kMask; }
  void predict_cached(const CanvasBatch& batch, const CacheWindow& w, std::span<const PredictionRef> wanted,
                      float* logits) override {
    EXPECT_EQ(w.cache_batch, 2);
    calls.push_back(
        {w.refresh, w.begin, w.end, std::vector<int32_t>(w.cache_rows.begin(), w.cache_rows.end())});
    predict(batch, wanted, logits);
  }
  void predict(const CanvasBatch& batch, std::span<const PredictionRef> wanted, float* logits) override {
    batch_sizes.push_back(batch.batch);
    for (size_t r = 0; r < wanted.size(); ++r) {
      int64_t first = 0;  // the row's first real token
      while (!batch.valid.empty() && !batch.valid[size_t(wanted[r].row * batch.length + first)]) ++first;
      const bool ends = batch.tokens[size_t(wanted[r].row * batch.length + first)] == 1;
      const std::vector<float> row = ends ? peaked_at(kEnd, 0.99) : peaked_at(3, 0.5);
      std::copy(row.begin(), row.end(), logits + r * kVocab);
    }
  }
  std::vector<int64_t> batch_sizes;
  std::vector<Call> calls;
};

TEST(ParallelCommits, RowsWithNothingToPredictLeaveTheModelCall) {
  // Row 0 is done after the first step (everything at least 0.9 certain); the later calls carry row 1
  // alone, and row 1 decodes as it does on its own.
  TwoKindsDenoiser m;
  GenerationParams p = parallel(4, 0.9f, 0);
  p.early_stop = true;
  p.end_tokens = {kEnd};
  const GenerationResult both = generate(m, {{1}, {2}}, p);
  EXPECT_EQ(m.batch_sizes, (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_EQ(both.tokens[0], (std::vector<int32_t>{kEnd, kEnd, kEnd, kEnd}));
  EXPECT_EQ(both.stats.answer_tokens, 4);  // row 0 answers nothing, row 1 four tokens
  TwoKindsDenoiser alone_model;
  const GenerationResult alone = generate(alone_model, {{2}}, p);
  EXPECT_EQ(both.tokens[1], alone.tokens[0]);
  ASSERT_EQ(both.order[1].size(), alone.order[0].size());
  for (size_t i = 0; i < alone.order[0].size(); ++i) {
    EXPECT_EQ(both.order[1][i].step, alone.order[0][i].step);
    EXPECT_EQ(both.order[1][i].position, alone.order[0][i].position);
  }
}

TEST(CacheSchedule, FinishedRowsLeaveTheCallsAndKeepTheirSlots) {
  // Blocks of 2 over 4 slots, prompts of one token (canvas positions 1..4). Row 0 ends at the first step;
  // every later call, the second block's refresh included, carries row 1 alone in its own slot 1.
  for (const CacheMode mode : {CacheMode::Prefix, CacheMode::Dual}) {
    TwoKindsDenoiser m;
    GenerationParams p = parallel(4, 0.9f, 0);
    p.block_length = 2;
    p.early_stop = true;
    p.end_tokens = {kEnd};
    p.cache = mode;
    const GenerationResult r = generate(m, {{1}, {2}}, p);
    const int64_t end1 = mode == CacheMode::Dual ? 3 : 5, end2 = 5;
    ASSERT_EQ(m.calls.size(), 4u) << cache_name(mode);
    const std::vector<int32_t> both = {0, 1}, second = {1};
    EXPECT_TRUE(m.calls[0].refresh);
    EXPECT_EQ(m.calls[0].slots, both);
    EXPECT_FALSE(m.calls[1].refresh);
    EXPECT_EQ(m.calls[1].slots, second);
    EXPECT_EQ(std::make_pair(m.calls[1].begin, m.calls[1].end), std::make_pair(int64_t(1), end1));
    EXPECT_TRUE(m.calls[2].refresh);
    EXPECT_EQ(m.calls[2].slots, second);
    EXPECT_FALSE(m.calls[3].refresh);
    EXPECT_EQ(std::make_pair(m.calls[3].begin, m.calls[3].end), std::make_pair(int64_t(3), end2));
    EXPECT_EQ(r.stats.refresh_calls, 2);
    EXPECT_EQ(r.stats.model_calls, 4);
    // The same answers as without a cache (this model's predictions do not depend on the cache).
    TwoKindsDenoiser plain;
    p.cache = CacheMode::None;
    EXPECT_EQ(generate(plain, {{1}, {2}}, p).tokens, r.tokens);
    EXPECT_TRUE(plain.calls.empty());
  }
}

TEST(CacheSchedule, NeedsBlocksAndAKnownName) {
  FixedDenoiser m(std::vector<std::vector<float>>(4, peaked_at(2, 0.9)), kMask, 1);
  GenerationParams p = parallel(4, 0.9f, 0);
  p.cache = CacheMode::Dual;
  EXPECT_EQ(error_of([&] { generate(m, {{1}}, p); }),
            "the dual cache works block by block: give a block length (--block-length, e.g. 32)");
  for (const CacheMode mode : {CacheMode::None, CacheMode::Prefix, CacheMode::Dual})
    EXPECT_EQ(parse_cache(cache_name(mode)), mode);
  EXPECT_EQ(error_of([] { parse_cache("full"); }),
            "unknown cache 'full' (expected none, prefix, dual or sparse)");
}

TEST(ParallelCommits, BadSettingsGiveOneLine) {
  FixedDenoiser m(std::vector<std::vector<float>>(4, peaked_at(2, 0.9)), kMask, 1);
  auto bad = [&](auto mutate, const std::string& needle) {
    GenerationParams p = parallel(4, 0.9f, 0);
    mutate(p);
    const std::string msg = error_of([&] { generate(m, {{1}}, p); });
    EXPECT_NE(msg.find(needle), std::string::npos) << "got: " << msg;
  };
  bad([](GenerationParams& p) { p.threshold = 1.5f; }, "threshold must lie in (0, 1]");
  bad([](GenerationParams& p) { p.threshold = -0.1f; }, "threshold must lie in (0, 1]");
  bad([](GenerationParams& p) { p.factor = 1.0f; }, "give one of them");
  bad([](GenerationParams& p) { p.alg = Alg::Origin; }, "origin");
  bad([](GenerationParams& p) { p.alg_temp = 0.5f; }, "alg_temp");
  bad([](GenerationParams& p) { p.early_stop = true; }, "early stop needs the end tokens");
  bad([](GenerationParams& p) { p.end_tokens = {kMask}; }, "end token 7");
}

}  // namespace
}  // namespace dc

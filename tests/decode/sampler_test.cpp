// The sampler's contract beyond the greedy fixtures: validation, reproducibility (seed, thread count),
// batching, the step hook and history, statistics, origin and random, masks inside a prompt.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "../common/error_of.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "decode/postprocess.h"
#include "decode/sampler.h"
#include "fake_denoisers.h"

namespace dc {
namespace {

using dc::testing::error_of;

using testing::ScriptedDenoiser;

const std::vector<std::vector<int32_t>> kPrompts = {{5, 9, 13}, {7}, {21, 3, 30, 11, 2}};

GenerationParams small(Alg alg, int L = 16, int steps = 8) {
  GenerationParams p;
  p.alg = alg;
  p.max_new_tokens = L;
  p.steps = steps;
  p.pad_token_id = ScriptedDenoiser::kPad;
  return p;
}

TEST(Sampler, AlgNamesRoundTrip) {
  for (Alg a :
       {Alg::Origin, Alg::MaskgitPlus, Alg::TopkMargin, Alg::Entropy, Alg::LowConfidence, Alg::Random})
    EXPECT_EQ(parse_alg(alg_name(a)), a);
  EXPECT_EQ(parse_alg("entropy"), Alg::Entropy);
  EXPECT_NE(error_of([] { parse_alg("greedy"); }).find("unknown decoding algorithm 'greedy'"),
            std::string::npos);
}

TEST(Sampler, RejectsBadParametersWithOneLine) {
  ScriptedDenoiser m;
  auto bad = [&](auto mutate, const std::string& needle) {
    GenerationParams p = small(Alg::Entropy);
    mutate(p);
    const std::string msg = error_of([&] { generate(m, kPrompts, p); });
    EXPECT_NE(msg.find(needle), std::string::npos) << "got: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  };
  bad([](GenerationParams& p) { p.steps = 0; }, "steps must lie in [1, 1048576], got 0");
  bad([](GenerationParams& p) { p.steps = 2'000'000'000; }, "steps must lie in [1, 1048576], got 2000000000");
  bad([](GenerationParams& p) { p.max_new_tokens = -1; }, "max_new_tokens");
  bad([](GenerationParams& p) { p.temperature = -0.5f; }, "temperature");
  bad([](GenerationParams& p) { p.top_p = 0; }, "top_p");
  bad([](GenerationParams& p) { p.top_k = -2; }, "top_k");
  bad([](GenerationParams& p) { p.alg_temp = -1; }, "alg_temp");
  bad([](GenerationParams& p) { p.eps = 1.5f; }, "eps");
  bad([](GenerationParams& p) { p.block_length = 5; }, "block_length 5 does not divide max_new_tokens 16");
  bad([](GenerationParams& p) { p.block_length = 4, p.steps = 6; },
      "steps 6 is not a multiple of the number of blocks 4");
  GenerationParams p = small(Alg::Entropy);
  EXPECT_NE(error_of([&] { generate(m, {}, p); }).find("no prompts"), std::string::npos);
  EXPECT_NE(error_of([&] { generate(m, {{1}, {}}, p); }).find("prompt 1: empty"), std::string::npos);
  EXPECT_NE(error_of([&] {
              generate(m, {{ScriptedDenoiser::kMask, 3}}, p);
            }).find("starts with the mask token"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              generate(m, {{1, 48}}, p);
            }).find("token 48 at index 1 is outside the vocabulary"),
            std::string::npos);
}

TEST(Sampler, FillsEveryGeneratedSlotOnceAndReportsStats) {
  for (Alg alg :
       {Alg::Origin, Alg::MaskgitPlus, Alg::TopkMargin, Alg::Entropy, Alg::LowConfidence, Alg::Random}) {
    for (int steps : {1, 3, 8, 16, 40}) {
      ScriptedDenoiser m;
      GenerationParams p = small(alg, 16, steps);
      p.temperature = 0.7f;
      p.seed = 11;
      const GenerationResult r = generate(m, kPrompts, p);
      ASSERT_EQ(r.batch, 3);
      EXPECT_EQ(r.prompt_length, 5);
      EXPECT_EQ(r.length, 21);
      EXPECT_EQ(r.stats.new_tokens, 48);
      EXPECT_EQ(r.stats.model_calls, m.calls);
      EXPECT_LE(m.calls, steps);
      for (int b = 0; b < 3; ++b) {
        ASSERT_EQ(r.tokens[size_t(b)].size(), 16u);
        std::set<int32_t> positions;
        int last_step = 0;
        for (const Commit& c : r.order[size_t(b)]) {
          EXPECT_TRUE(positions.insert(c.position).second) << "position committed twice";
          EXPECT_GE(c.step, last_step);
          EXPECT_LT(c.step, steps);
          last_step = c.step;
          EXPECT_EQ(r.tokens[size_t(b)][size_t(c.position)], c.token);
        }
        EXPECT_EQ(positions.size(), 16u) << alg_name(alg) << " steps " << steps;
        for (int32_t t : r.tokens[size_t(b)]) EXPECT_NE(t, ScriptedDenoiser::kMask);
        // Left padding then the prompt, untouched.
        const auto& pr = kPrompts[size_t(b)];
        const int64_t pad = 5 - int64_t(pr.size());
        for (int64_t i = 0; i < pad; ++i) EXPECT_EQ(r.canvas[size_t(b * 21 + i)], ScriptedDenoiser::kPad);
        for (size_t i = 0; i < pr.size(); ++i) EXPECT_EQ(r.canvas[size_t(b * 21 + pad) + i], pr[i]);
      }
    }
  }
}

TEST(Sampler, SameSeedSameOutputAcrossThreadCounts) {
  for (Alg alg : {Alg::Origin, Alg::Entropy, Alg::Random}) {
    GenerationParams p = small(alg, 16, 8);
    p.temperature = 1.5f;
    p.top_p = 0.95f;
    p.alg_temp = alg == Alg::Entropy ? 0.5f : 0.0f;
    p.seed = 1234;
    std::vector<GenerationResult> runs;
    for (int threads : {1, 3, 2}) {
      set_num_threads(threads);
      ScriptedDenoiser m;
      runs.push_back(generate(m, kPrompts, p));
    }
    set_num_threads(0);
    EXPECT_EQ(runs[0].canvas, runs[1].canvas) << alg_name(alg);
    EXPECT_EQ(runs[0].canvas, runs[2].canvas) << alg_name(alg);
    ScriptedDenoiser m;
    p.seed = 1235;
    EXPECT_NE(generate(m, kPrompts, p).canvas, runs[0].canvas) << alg_name(alg);
  }
}

TEST(Sampler, BatchRowsEqualSingleRunsWhenGreedy) {
  // The fake ignores padding, every row holds the same number of masks, so each row of the batch must
  // follow exactly the trajectory it follows alone.
  for (Alg alg : {Alg::MaskgitPlus, Alg::Entropy, Alg::TopkMargin}) {
    ScriptedDenoiser m;
    const GenerationParams p = small(alg, 16, 8);
    const GenerationResult batch = generate(m, kPrompts, p);
    for (size_t b = 0; b < kPrompts.size(); ++b) {
      const GenerationResult one = generate(m, {kPrompts[b]}, p);
      EXPECT_EQ(one.tokens[0], batch.tokens[b]);
      ASSERT_EQ(one.order[0].size(), batch.order[b].size());
      for (size_t j = 0; j < one.order[0].size(); ++j) {
        EXPECT_EQ(one.order[0][j].step, batch.order[b][j].step);
        EXPECT_EQ(one.order[0][j].position, batch.order[b][j].position);
      }
    }
  }
}

TEST(Sampler, StepHookSeesEveryStepAndMatchesHistory) {
  ScriptedDenoiser m;
  GenerationParams p = small(Alg::Entropy, 16, 16);
  p.keep_history = true;
  std::vector<std::vector<int32_t>> seen;
  std::vector<int64_t> commits_per_step;
  const GenerationResult r = generate(m, kPrompts, p, [&](const StepEvent& ev) {
    EXPECT_EQ(ev.step, int(seen.size()));
    EXPECT_EQ(ev.steps, 16);
    EXPECT_EQ(ev.batch, 3);
    EXPECT_EQ(ev.length, 21);
    EXPECT_EQ(ev.valid.size(), ev.canvas.size());
    for (const CommitRef& c : ev.committed)
      EXPECT_EQ(ev.canvas[size_t(c.row * ev.length + c.position)], c.token);
    seen.emplace_back(ev.canvas.begin(), ev.canvas.end());
    commits_per_step.push_back(int64_t(ev.committed.size()));
  });
  EXPECT_EQ(seen, r.history);
  ASSERT_EQ(commits_per_step.size(), 16u);
  // The SPEC §3 quirk with steps == L: 0 commits at step 0, 1 per row after, 2 at the last step.
  EXPECT_EQ(commits_per_step.front(), 0);
  for (size_t i = 1; i + 1 < 16; ++i) EXPECT_EQ(commits_per_step[i], 3);
  EXPECT_EQ(commits_per_step.back(), 6);
  EXPECT_EQ(r.stats.model_calls, 15);  // step 0 commits nothing and skips the model
}

TEST(Sampler, StepHookCanStopEarly) {
  ScriptedDenoiser m;
  for (const int block_length : {0, 4}) {
    GenerationParams p = small(Alg::Entropy, 16, 8);
    p.block_length = block_length;
    p.keep_history = true;
    int calls = 0;
    const GenerationResult r = generate(m, kPrompts, p, [&](const StepEvent& ev) {
      ++calls;
      if (ev.step == 2) ev.request_stop();
    });
    EXPECT_EQ(calls, 3) << "block_length " << block_length;
    EXPECT_EQ(r.stats.steps, 3);
    EXPECT_TRUE(r.stats.stopped_early);
    ASSERT_EQ(r.history.size(), 3u);
    EXPECT_EQ(r.canvas, r.history.back());  // the canvas as the last step left it
    for (const auto& t : r.tokens) EXPECT_GT(std::count(t.begin(), t.end(), ScriptedDenoiser::kMask), 0);
  }
  // Without a stop every step runs and the flag stays down.
  const GenerationResult full = generate(m, kPrompts, small(Alg::Entropy, 16, 8), [](const StepEvent&) {});
  EXPECT_EQ(full.stats.steps, 8);
  EXPECT_FALSE(full.stats.stopped_early);
}

TEST(Sampler, StepsBeyondLengthAndEmptyGeneration) {
  ScriptedDenoiser m;
  GenerationParams p = small(Alg::MaskgitPlus, 4, 12);
  const GenerationResult r = generate(m, kPrompts, p);
  for (const auto& t : r.tokens) EXPECT_EQ(std::count(t.begin(), t.end(), ScriptedDenoiser::kMask), 0);
  EXPECT_LT(r.stats.model_calls, 12);
  p.max_new_tokens = 0;
  const int before = m.calls;
  const GenerationResult e = generate(m, kPrompts, p);
  EXPECT_EQ(m.calls, before);
  EXPECT_EQ(e.length, 5);
  for (const auto& t : e.tokens) EXPECT_TRUE(t.empty());
}

TEST(Sampler, MasksInsideThePromptAreFilled) {
  ScriptedDenoiser m;
  const GenerationParams p = small(Alg::Entropy, 8, 8);
  const GenerationResult r = generate(m, {{5, ScriptedDenoiser::kMask, 9}}, p);
  EXPECT_NE(r.canvas[1], ScriptedDenoiser::kMask);
  int negative = 0;
  for (const Commit& c : r.order[0]) negative += c.position == -2;
  EXPECT_EQ(negative, 1);
}

TEST(Sampler, BlocksFillLeftToRight) {
  ScriptedDenoiser m;
  GenerationParams p = small(Alg::Entropy, 16, 8);
  p.block_length = 4;
  const GenerationResult r = generate(m, kPrompts, p);
  for (const auto& order : r.order) {
    ASSERT_EQ(order.size(), 16u);
    for (const Commit& c : order) EXPECT_EQ(c.position / 4, c.step / 2) << "block of 4 slots, 2 steps each";
  }
}

// A ScriptedDenoiser that records the window of every cached call and checks that each wanted position
// lies inside it.
class WindowRecorder : public ScriptedDenoiser {
 public:
  void predict_cached(const CanvasBatch& batch, const CacheWindow& w, std::span<const PredictionRef> wanted,
                      float* logits) override {
    // A refresh as (-1, the first position it runs).
    windows.push_back(w.refresh ? std::make_pair(int64_t(-1), w.refresh_from)
                                : std::make_pair(w.begin, w.end));
    sparse.push_back(w.sparse);
    stale.emplace_back(w.stale.begin(), w.stale.end());
    for (const PredictionRef& r : wanted) {
      if (!w.refresh) {
        EXPECT_TRUE(r.position >= w.begin && r.position < w.end);
      }
    }
    predict(batch, wanted, logits);
  }
  std::vector<std::pair<int64_t, int64_t>> windows;
  std::vector<bool> sparse;
  std::vector<std::vector<PredictionRef>> stale;
};

TEST(Sampler, CachedBlocksRefreshAtEachBlockThenRunTheirWindow) {
  // Three padded prompts (P = 5), 16 slots in blocks of 4, 2 steps per block: each block's first call is
  // a refresh (the first from position 0, the others keeping the prompt, or for sparse everything before
  // the block), its second the window [block, block end) (dual, sparse) or [block, N) (prefix).
  GenerationParams p = small(Alg::Entropy, 16, 8);
  p.block_length = 4;
  ScriptedDenoiser plain;
  const GenerationResult ref = generate(plain, kPrompts, p);
  for (const CacheMode mode : {CacheMode::Prefix, CacheMode::Dual, CacheMode::Sparse}) {
    WindowRecorder m;
    p.cache = mode;
    const GenerationResult r = generate(m, kPrompts, p);
    EXPECT_EQ(r.canvas, ref.canvas);  // the fake's logits ignore the cache
    std::vector<std::pair<int64_t, int64_t>> expected;
    for (int64_t begin = 5; begin < 21; begin += 4)
      expected.insert(expected.end(), {{-1, begin == 5                  ? 0
                                            : mode == CacheMode::Sparse ? begin
                                                                        : 5},
                                       {begin, mode == CacheMode::Prefix ? 21 : begin + 4}});
    EXPECT_EQ(m.windows, expected) << cache_name(mode);
    EXPECT_EQ(r.stats.refresh_calls, 4);
    EXPECT_EQ(r.stats.model_calls, 8);
    // Sparse windows name the positions the refresh before them committed: their keys/values hold the mask.
    for (size_t i = 0; i < m.windows.size(); ++i) {
      const bool window = m.windows[i].first >= 0;
      EXPECT_EQ(m.sparse[i], window && mode == CacheMode::Sparse);
      if (!m.sparse[i]) {
        EXPECT_TRUE(m.stale[i].empty());
        continue;
      }
      std::vector<std::pair<int32_t, int32_t>> stale, committed;
      for (const PredictionRef& s : m.stale[i]) stale.push_back({s.row, s.position});
      const int step = int(i) - 1;  // the refresh's step
      for (int32_t b = 0; b < 3; ++b)
        for (const Commit& c : r.order[size_t(b)])
          if (c.step == step) committed.push_back({b, c.position + 5});
      EXPECT_EQ(stale, committed) << "window " << i;
      EXPECT_FALSE(stale.empty());
    }
  }
  EXPECT_EQ(ref.stats.refresh_calls, 0);
}

TEST(Postprocess, InstructCutsAtPadAndStripsImEnd) {
  const int32_t PAD = 1005, END = 1001;
  EXPECT_EQ(postprocess_instruct(std::vector<int32_t>{4, 5, END, PAD, PAD, 7}, PAD, END),
            (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(postprocess_instruct(std::vector<int32_t>{4, END, 5, PAD}, PAD, END), (std::vector<int32_t>{4}))
      << "the turn ends at <|im_end|>, even when the template's newline follows it";
  EXPECT_EQ(postprocess_instruct(std::vector<int32_t>{4, 5}, PAD, END), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(postprocess_instruct(std::vector<int32_t>{PAD, 4}, PAD, END), (std::vector<int32_t>{}));
  EXPECT_EQ(postprocess_instruct(std::vector<int32_t>{}, PAD, END), (std::vector<int32_t>{}));
}

TEST(Postprocess, BaseCutsAtEndOfText) {
  const int32_t EOT = 1000;
  EXPECT_EQ(postprocess_base(std::vector<int32_t>{4, 5, EOT, 6, EOT}, EOT), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(postprocess_base(std::vector<int32_t>{4, 5}, EOT), (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(postprocess_base(std::vector<int32_t>{EOT}, EOT), (std::vector<int32_t>{}));
}

}  // namespace
}  // namespace dc

// The public engine (include/diffucoder/diffucoder.h) on the tiny test model: loading errors, tokenize /
// detokenize, generation equal to the text pipeline it wraps, the step callback and its early stop, and
// request errors as diffucoder::Error.
#include <diffucoder/diffucoder.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <functional>
#include <nlohmann/json.hpp>
#include "../common/random_llada.h"

#include "generate/text_generator.h"

namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

diffucoder::Engine& tiny() {
  static diffucoder::Engine e = diffucoder::Engine::load(kTiny);
  return e;
}

diffucoder::GenerateRequest small_request() {
  diffucoder::GenerateRequest r;
  r.prompt = "def add(a, b):";
  r.max_new_tokens = 8;
  r.temperature = 0;
  return r;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const diffucoder::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Engine, BadModelFolderIsOneLineError) {
  const std::string e = error_of([] { diffucoder::Engine::load("/nonexistent/model"); });
  EXPECT_NE(e.find("/nonexistent/model"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(error_of([] { diffucoder::Engine::load(kTiny, {.threads = -1}); }),
            "threads must be 0 or more, got -1");
}

TEST(Engine, TokenizeRoundTrips) {
  const std::string text = "def add(a, b):\n    return a + b\n";
  const std::vector<int32_t> ids = tiny().tokenize(text);
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(tiny().detokenize(ids), text);
  EXPECT_EQ(tiny().mask_token(), 1004);
}

TEST(Engine, DefaultsFollowTheModelsArchitecture) {
  // An empty algorithm and block length -1 mean the model's own defaults: entropy in one pass for Dream,
  // low_confidence in blocks of 32 for LLaDA (one block when 32 does not divide the generation).
  diffucoder::GenerateRequest req;
  req.prompt = "def f(";
  req.max_new_tokens = 64;
  req.temperature = 0;
  auto stats = [&](diffucoder::Engine& e) { return nlohmann::json::parse(e.generate(req).json)["stats"]; };
  diffucoder::Engine llada = diffucoder::Engine::load(dc::testing::random_llada_model("engine_test_tmp"));
  EXPECT_EQ(stats(llada)["alg"], "low_confidence");
  EXPECT_EQ(stats(llada)["block_length"], 32);
  EXPECT_EQ(stats(tiny())["alg"], "entropy");
  EXPECT_EQ(stats(tiny())["block_length"], 0);
  req.max_new_tokens = 20;
  EXPECT_EQ(stats(llada)["block_length"], 0);
  req.algorithm = "entropy";
  req.block_length = 4;
  EXPECT_EQ(stats(llada)["alg"], "entropy");
  EXPECT_EQ(stats(llada)["block_length"], 4);
}

TEST(Engine, GeneratesWhatTheTextPipelineGenerates) {
  const diffucoder::GenerateResponse r = tiny().generate(small_request());
  dc::TextGenerator gen(kTiny);
  dc::GenerationParams p;
  p.max_new_tokens = p.steps = 8;
  p.temperature = 0;
  p.top_p = 0.95f;
  dc::TextRequest tr;
  tr.prompt = "def add(a, b):";
  const dc::TextResult want = gen.generate({tr}, p).front();
  EXPECT_EQ(r.tokens, want.tokens);
  EXPECT_EQ(r.answer_tokens, want.answer_tokens);
  EXPECT_EQ(r.prompt_tokens, want.prompt_tokens);
  EXPECT_EQ(r.text, want.text);
  EXPECT_EQ(r.steps_run, 8);
  EXPECT_FALSE(r.stopped_early);
  const nlohmann::json j = nlohmann::json::parse(r.json);
  EXPECT_EQ(j["tokens"].get<std::vector<int32_t>>(), r.tokens);
  EXPECT_EQ(j["text"], r.text);
}

TEST(Engine, StepCallbackSeesEveryStepAndCanStop) {
  diffucoder::GenerateRequest req = small_request();
  req.steps = 4;
  std::vector<int> steps;
  size_t filled = 0;
  const diffucoder::GenerateResponse full = tiny().generate(req, [&](const diffucoder::Step& s) {
    steps.push_back(s.step);
    EXPECT_EQ(s.total_steps, 4);
    EXPECT_EQ(s.tokens.size(), 8u);
    for (int32_t i : s.committed) EXPECT_NE(s.tokens[size_t(i)], tiny().mask_token());
    filled += s.committed.size();
    return true;
  });
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(filled, 8u);  // every slot committed exactly once

  const diffucoder::GenerateResponse cut =
      tiny().generate(req, [](const diffucoder::Step& s) { return s.step < 2; });
  EXPECT_TRUE(cut.stopped_early);
  EXPECT_EQ(cut.steps_run, 2);
  EXPECT_GT(std::count(cut.tokens.begin(), cut.tokens.end(), tiny().mask_token()), 0);
}

TEST(Engine, BadRequestsNameTheField) {
  diffucoder::GenerateRequest req = small_request();
  req.algorithm = "greedy";
  EXPECT_NE(error_of([&] { tiny().generate(req); }).find("unknown decoding algorithm 'greedy'"),
            std::string::npos);
  req = small_request();
  req.steps = -3;
  EXPECT_NE(error_of([&] { tiny().generate(req); }).find("steps"), std::string::npos);
  req = small_request();
  req.prompt = "";
  EXPECT_NE(error_of([&] { tiny().generate(req); }).find("empty"), std::string::npos);
  req = small_request();
  req.threshold = 1.5f;
  EXPECT_NE(error_of([&] { tiny().generate(req); }).find("threshold must lie in (0, 1]"), std::string::npos);
}

TEST(Engine, FastDecodingSettingsReachTheSampler) {
  // A threshold of 1e-6 commits every candidate at the first step; the record says what ran.
  diffucoder::GenerateRequest req = small_request();
  req.threshold = 1e-6f;
  req.early_stop = true;
  const nlohmann::json stats = nlohmann::json::parse(tiny().generate(req).json)["stats"];
  EXPECT_EQ(stats["steps"], 1);
  EXPECT_EQ(stats["early_stop"], true);
  EXPECT_FLOAT_EQ(stats["threshold"].get<float>(), 1e-6f);

  // A dual cache over blocks of 4: one refresh per block, then window calls.
  diffucoder::GenerateRequest cached = small_request();
  cached.block_length = 4;
  cached.cache = "dual";
  const nlohmann::json dual = nlohmann::json::parse(tiny().generate(cached).json);
  const nlohmann::json& cs = dual["stats"];
  EXPECT_EQ(cs["cache"], "dual");
  EXPECT_EQ(cs["refresh_calls"], 2);
  EXPECT_EQ(cs["model_calls"], 8);
  // Rows the model ran (Dream: a window also runs the row before the block, which predicts its first
  // slot). Dual: the first refresh runs the canvas, the second the answer slots and the row before them,
  // each window the block. Sparse: the second refresh runs the second block and the row before it, and a
  // window about half the block.
  const int64_t P = int64_t(dual["prompt_tokens"].size());
  EXPECT_EQ(cs["refresh_rows"], (P + 8) + (8 + 1));
  EXPECT_EQ(cs["window_rows"], 6 * (4 + 1));
  cached.cache = "sparse";
  const nlohmann::json ss = nlohmann::json::parse(tiny().generate(cached).json)["stats"];
  EXPECT_EQ(ss["refresh_calls"], 2);
  EXPECT_EQ(ss["refresh_rows"], (P + 8) + (4 + 1));
  EXPECT_LT(ss["window_rows"].get<int64_t>(), 6 * (4 + 1));
  EXPECT_GE(ss["window_rows"].get<int64_t>(), 6) << "at least the row of the last masked slot";
  cached.cache = "full";
  EXPECT_NE(error_of([&] { tiny().generate(cached); }).find("unknown cache 'full'"), std::string::npos);
}

}  // namespace

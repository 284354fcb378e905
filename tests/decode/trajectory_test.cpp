// Greedy trajectories against the PyTorch twin of Dream's sampler (scripts/twin/sampler_twin.py): the
// canvas after every step and the commit order must be identical, for every algorithm, several step
// counts, top-p / top-k, a left-padded batch of three prompts and semi-autoregressive blocks.
// Two fixtures: the scripted fake of fake_denoisers.h (an oracle of the sampler alone) and the tiny random
// Dream checkpoint run through dream_twin.py (the sampler on the real forward pass; the twin dropped the
// configurations whose confidences come within 1e-4 of a tie); and the tiny LLaDA checkpoint run through
// llada_twin.py with LLaDA's own sampler.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "decode/sampler.h"
#include "fake_denoisers.h"
#include "model/transformer_model.h"

namespace dc {
namespace {

nlohmann::json load(const std::string& name) {
  std::ifstream f(std::string(DC_TESTDATA_DIR) + "/twin/" + name);
  EXPECT_TRUE(f.good()) << name;
  return nlohmann::json::parse(f);
}

GenerationParams params_of(const nlohmann::json& c, int32_t pad) {
  GenerationParams p;
  p.max_new_tokens = c["max_new_tokens"];
  p.steps = c["steps"];
  p.alg = parse_alg(c["alg"].get<std::string>());
  p.temperature = 0;
  if (c.contains("top_p")) p.top_p = c["top_p"];
  if (c.contains("top_k")) p.top_k = c["top_k"];
  if (c.contains("block_length")) p.block_length = c["block_length"];
  p.pad_token_id = pad;
  p.keep_history = true;
  return p;
}

// Compares one case; returns the number of cases checked (for the caller's count).
void expect_same_trajectory(Denoiser& model, const nlohmann::json& fx, const nlohmann::json& c) {
  const auto prompts = fx["prompts"].get<std::vector<std::vector<int32_t>>>();
  const GenerationParams p = params_of(c, fx["pad_token_id"]);
  const std::string label = c.dump().substr(0, 120);
  const GenerationResult r = generate(model, prompts, p);
  const auto& hist = c["history"];
  ASSERT_EQ(r.history.size(), hist.size()) << label;
  for (size_t s = 0; s < hist.size(); ++s) {
    std::vector<int32_t> expect;
    for (const auto& row : hist[s]) {
      for (int32_t t : row) expect.push_back(t);
    }
    ASSERT_EQ(r.history[s], expect) << label << " step " << s;
  }
  ASSERT_EQ(r.order.size(), c["order"].size());
  for (size_t b = 0; b < r.order.size(); ++b) {
    const auto& eo = c["order"][b];
    ASSERT_EQ(r.order[b].size(), eo.size()) << label << " row " << b;
    for (size_t j = 0; j < eo.size(); ++j) {
      EXPECT_EQ(r.order[b][j].step, eo[j][0].get<int32_t>()) << label;
      EXPECT_EQ(r.order[b][j].position, eo[j][1].get<int32_t>()) << label;
      EXPECT_EQ(r.order[b][j].token, eo[j][2].get<int32_t>()) << label;
    }
  }
}

TEST(Trajectory, ScriptedFakeMatchesTwin) {
  const auto fx = load("trajectories_fake.json");
  testing::ScriptedDenoiser model;
  ASSERT_EQ(fx["vocab_size"].get<int64_t>(), model.vocab_size());
  ASSERT_EQ(fx["mask_token_id"].get<int32_t>(), model.mask_token_id());
  int cases = 0;
  std::set<std::string> algs;
  bool blocks = false, top_p = false, top_k = false, one_step = false;
  for (const auto& c : fx["cases"]) {
    expect_same_trajectory(model, fx, c);
    algs.insert(c["alg"].get<std::string>());
    blocks |= c.contains("block_length");
    top_p |= c.contains("top_p");
    top_k |= c.contains("top_k");
    one_step |= c["steps"].get<int>() == 1;
    ++cases;
  }
  EXPECT_GE(cases, 30);
  EXPECT_EQ(algs.size(), 4u);
  EXPECT_TRUE(blocks && top_p && top_k && one_step);
}

TEST(Trajectory, TinyDreamMatchesTwin) {
  const auto fx = load("trajectories_tiny_dream.json");
  TransformerModel model(std::string(DC_SOURCE_DIR) + "/" + fx["model"].get<std::string>());
  ASSERT_EQ(fx["mask_token_id"].get<int32_t>(), model.mask_token_id());
  int cases = 0;
  for (const auto& c : fx["cases"]) {
    expect_same_trajectory(model, fx, c);
    ++cases;
  }
  EXPECT_GE(cases, 12);
}

TEST(Trajectory, TinyLladaMatchesTwin) {
  // LLaDA's generate.py (docs/LLADA.md §7) on the tiny random LLaDA checkpoint: unshifted logits,
  // low_confidence remasking, the even in-block schedule, semi-AR blocks, a left-padded batch and single
  // prompts without padding. Classifier-free guidance (cfg_scale) is not a sampler option here; those
  // cases are skipped.
  const auto fx = load("trajectories_tiny_llada.json");
  ASSERT_FALSE(fx["logits_shift"].get<bool>());
  TransformerModel model(std::string(DC_SOURCE_DIR) + "/" + fx["model"].get<std::string>());
  ASSERT_EQ(fx["mask_token_id"].get<int32_t>(), model.mask_token_id());
  int cases = 0;
  std::set<int> block_lengths;
  for (const auto& c : fx["cases"]) {
    if (c.contains("cfg_scale")) continue;
    expect_same_trajectory(model, fx, c);
    block_lengths.insert(c["block_length"].get<int>());
    ++cases;
  }
  for (const auto& c : fx["unpadded_cases"]) {
    nlohmann::json one = fx;
    one["prompts"] = c["prompts"];
    expect_same_trajectory(model, one, c);
    ++cases;
  }
  EXPECT_GE(cases, 9);
  EXPECT_GE(block_lengths.size(), 3u) << "one pass and at least two block lengths";
}

}  // namespace
}  // namespace dc

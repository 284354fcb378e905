// Greedy trajectories against the PyTorch twin of Dream's sampler (scripts/twin/sampler_twin.py): the
// canvas after every step and the commit order must be identical, for every algorithm, several step
// counts, top-p / top-k, a left-padded batch of three prompts and semi-autoregressive blocks.
// Two fixtures: the scripted fake of fake_denoisers.h (an oracle of the sampler alone) and the tiny random
// Dream checkpoint run through dream_twin.py (the sampler on the real forward pass; the twin dropped the
// configurations whose confidences come within 1e-4 of a tie); and the tiny LLaDA checkpoint run through
// llada_twin.py with LLaDA's own sampler; and the tiny Dream model's BF16 checkpoint against the twin in
// float64 (the oracle of exact precision).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/mapped_file.h"
#include "decode/sampler.h"
#include "fake_denoisers.h"
#include "model/checkpoint.h"
#include "model/model_weights.h"
#include "model/safetensors_writer.h"
#include "model/tensor_table.h"
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

// The checkpoint at `dir` with every weight stored as BF16 (rounded to nearest even), written under the
// build tree; returns its folder.
std::string bf16_copy(const std::string& dir, const std::string& name) {
  const std::string out = std::string(DC_BINARY_DIR) + "/testdata-decode/" + name;
  std::filesystem::create_directories(out);
  const Checkpoint src = Checkpoint::open(dir);
  ModelConfig cfg = src.config();
  cfg.torch_dtype = "bfloat16";
  write_file_atomic(out + "/config.json", model_config_to_json(cfg));
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& t : tensor_table(cfg))
    tensors.push_back(make_float_tensor(t.name, DType::BF16, t.shape, tensor_to_f32(src.get(t.name))));
  write_safetensors(out + "/model.safetensors", tensors);
  return out;
}

TEST(Trajectory, TinyDreamBf16ExactPrecisionMatchesFloat64Twin) {
  // The twin ran the BF16 weights in float64 arithmetic. At exact precision (the default) the activations
  // stay fp32 against the widened weights, so every greedy trajectory is the float64 one. At fast precision
  // (activations rounded to bf16 on AVX512-BF16 CPUs) the count that still agree is printed, not asserted.
  const auto fx = load("trajectories_tiny_dream_bf16_f64.json");
  ASSERT_EQ(fx["weights"], "bf16");
  ASSERT_EQ(fx["arithmetic"], "float64");
  TransformerModel model(
      bf16_copy(std::string(DC_SOURCE_DIR) + "/" + fx["model"].get<std::string>(), "tiny-dream-bf16"));
  ASSERT_EQ(model.weights().embed.dtype, DType::BF16);
  ASSERT_EQ(model.precision(), kernels::Precision::Exact);
  int cases = 0;
  for (const auto& c : fx["cases"]) {
    expect_same_trajectory(model, fx, c);
    ++cases;
  }
  EXPECT_GE(cases, 12);
  model.set_precision(kernels::Precision::Fast);
  int agree = 0;
  const auto prompts = fx["prompts"].get<std::vector<std::vector<int32_t>>>();
  for (const auto& c : fx["cases"]) {
    const GenerationResult r = generate(model, prompts, params_of(c, fx["pad_token_id"]));
    std::vector<int32_t> last;
    for (const auto& row : c["history"].back()) last.insert(last.end(), row.begin(), row.end());
    agree += r.canvas == last;
  }
  std::printf("fast precision (%s kernels): %d of %d trajectories end on the float64 canvas\n",
              kernels::isa_name(kernels::active_isa()), agree, cases);
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

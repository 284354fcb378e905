// LLaDA as the second architecture (docs/LLADA.md): its config.json and tensor layout, and its forward pass
// against the PyTorch twin (scripts/twin/llada_twin.py) on the two tiny random checkpoints of
// tests/testdata: tiny-llada (MHA, untied head, two shards) and tiny-llada-gqa (GQA, tied head, 250 tokens
// in 256 embedding rows). Logits are UNSHIFTED: row i scores canvas position i.
//
// Tolerance: per row, max_v |ours - twin| / max_v |twin|, over the rows of real tokens (the twin's pad
// query rows attend to the real keys, ours to nothing; nobody reads them). fp32 must agree to 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkpoint_test_util.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "kernels/ops.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/model_weights.h"
#include "model/safetensors_writer.h"
#include "model/special_tokens.h"
#include "model/tensor_table.h"
#include "model/transformer_model.h"
#include "tokenizer/tokenizer.h"

namespace dc {
namespace {

const std::string kData = std::string(DC_TESTDATA_DIR);

struct Case {
  std::string model;
  int64_t B = 0, N = 0, V = 0;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> valid;
  nlohmann::json files;
  CanvasBatch batch() const { return CanvasBatch{B, N, tokens, valid}; }
  std::vector<float> logits(const std::string& which) const {
    const std::string bytes = read_file(kData + "/twin/" + files.at(which).get<std::string>());
    EXPECT_EQ(bytes.size(), size_t(B * N * V) * 4);
    std::vector<float> out(size_t(B * N * V));
    std::memcpy(out.data(), bytes.data(), std::min(bytes.size(), out.size() * 4));
    return out;
  }
};

Case load_case(const nlohmann::json& j) {
  Case c;
  c.model = std::string(DC_SOURCE_DIR) + "/" + j.at("model").get<std::string>();
  c.B = j.at("batch");
  c.N = j.at("length");
  c.V = j.at("vocab");
  for (const auto& row : j.at("tokens"))
    for (const auto& t : row) c.tokens.push_back(t.get<int32_t>());
  for (const auto& row : j.at("valid"))
    for (const auto& t : row) c.valid.push_back(uint8_t(t.get<int>()));
  c.files = j.at("files");
  return c;
}

nlohmann::json fixture() {
  return nlohmann::json::parse(read_file(kData + "/twin/llada_forward.json"));
}

std::vector<float> all_rows(TransformerModel& m, const CanvasBatch& batch) {
  std::vector<int64_t> rows(size_t(batch.batch * batch.length));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = int64_t(i);
  std::vector<float> out(rows.size() * size_t(m.vocab_size()));
  m.raw_logits(batch, rows, out.data());
  return out;
}

// Worst row-relative difference over the rows whose token is real.
double max_rel_over_real_rows(const Case& c, const std::vector<float>& got, const std::vector<float>& ref) {
  double worst = 0;
  for (int64_t r = 0; r < c.B * c.N; ++r) {
    if (!c.valid[size_t(r)]) continue;
    double diff = 0, scale = 0;
    for (int64_t v = 0; v < c.V; ++v) {
      diff = std::max(diff, std::fabs(double(got[size_t(r * c.V + v)]) - double(ref[size_t(r * c.V + v)])));
      scale = std::max(scale, std::fabs(double(ref[size_t(r * c.V + v)])));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

TEST(Llada, ConfigMapsOlmoFields) {
  const ModelConfig c = load_model_config(kData + "/tiny-llada/config.json");
  EXPECT_EQ(c.arch, Arch::Llada);
  EXPECT_EQ(c.model_type, "llada");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.intermediate_size, 160);
  EXPECT_EQ(c.vocab_size, 384);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.mask_token_id, 336);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_EQ(c.max_position_embeddings, 256);

  const ModelConfig g = load_model_config(kData + "/tiny-llada-gqa/config.json");
  EXPECT_EQ(g.num_key_value_heads, 2);
  EXPECT_EQ(g.vocab_size, 256) << "embedding_size gives the rows";
  EXPECT_EQ(g.text_vocab_size, 250);
  EXPECT_TRUE(g.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(g.rope_theta, 500000.0);

  // Written back in LLaDA's own field names, it parses to the same config.
  for (const ModelConfig& x : {c, g}) {
    const ModelConfig y = parse_model_config(model_config_to_json(x), "round trip");
    EXPECT_EQ(y.arch, Arch::Llada);
    EXPECT_EQ(model_config_to_json(y), model_config_to_json(x));
    EXPECT_NE(model_config_to_json(x).find("\"d_model\""), std::string::npos);
  }
}

TEST(Llada, ConfigRejectsWhatTheEngineDoesNotRun) {
  nlohmann::json base = nlohmann::json::parse(read_file(kData + "/tiny-llada/config.json"));
  auto error_of = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = base;
    edit(j);
    try {
      parse_model_config(j.dump(), "config.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of([](auto& j) { j["block_type"] = "sequential"; }),
            "config.json: 'block_type' is \"sequential\"; the engine runs LLaDA's llama block, which needs "
            "\"llama\"");
  EXPECT_EQ(error_of([](auto& j) { j.erase("block_type"); }),
            "config.json: 'block_type' is \"sequential\" (the default when absent); the engine runs LLaDA's "
            "llama block, which needs \"llama\"");
  EXPECT_EQ(
      error_of([](auto& j) { j["include_qkv_bias"] = true; }),
      "config.json: 'include_qkv_bias' is true; the engine runs LLaDA's llama block, which needs false");
  EXPECT_EQ(error_of([](auto& j) { j.erase("d_model"); }), "config.json: missing required field 'd_model'");
  EXPECT_EQ(error_of([](auto& j) { j["embedding_size"] = 100; }),
            "config.json: 'embedding_size' 100 is below 'vocab_size' 384");
  EXPECT_EQ(error_of([](auto& j) { j["n_heads"] = 3; }),
            "config.json: 'd_model' 64 is not a multiple of 'n_heads' 3");
  EXPECT_EQ(error_of([](auto& j) { j["mask_token_id"] = 400; }),
            "config.json: 'mask_token_id' 400 is outside the vocabulary (vocab_size 384)");
  EXPECT_EQ(error_of([](auto& j) { j["d_model"] = "64"; }),
            "config.json: 'd_model' must be an integer, got string");
}

TEST(Llada, TensorTableFollowsTheHuggingFaceLayout) {
  const ModelConfig c = load_model_config(kData + "/tiny-llada/config.json");
  const std::vector<TensorSpec> t = tensor_table(c);
  ASSERT_EQ(t.size(), size_t(1 + 9 * 2 + 2));  // wte, 9 per block, ln_f, ff_out (untied)
  EXPECT_EQ(t.front().name, "model.transformer.wte.weight");
  EXPECT_EQ(t[1].name, "model.transformer.blocks.0.attn_norm.weight");
  EXPECT_EQ(t.back().name, "model.transformer.ff_out.weight");
  EXPECT_EQ(t.back().slot, TensorSlot::Head);
  const TensorIndex at(t);
  EXPECT_EQ(at.of(0, TensorSlot::Bq), -1) << "no biases";
  EXPECT_EQ(t[size_t(at.of(1, TensorSlot::Down))].name, "model.transformer.blocks.1.ff_out.weight");
  EXPECT_EQ(t[size_t(at.of(1, TensorSlot::Gate))].name, "model.transformer.blocks.1.ff_proj.weight");
  // The checkpoint on disk holds exactly this table.
  const Checkpoint ck = Checkpoint::open(kData + "/tiny-llada");
  EXPECT_EQ(ck.names().size(), t.size());
  EXPECT_TRUE(unexpected_tensors(ck).empty());
}

TEST(Llada, LeftPaddedBatchMatchesTwinF32) {
  const nlohmann::json fx = fixture();
  for (const nlohmann::json& j : {fx, fx.at("gqa")}) {
    const Case c = load_case(j);
    SCOPED_TRACE(c.model);
    TransformerModel m(c.model);
    ASSERT_EQ(m.vocab_size(), c.V);
    const std::vector<float> got = all_rows(m, c.batch());
    EXPECT_LE(max_rel_over_real_rows(c, got, c.logits("f32")), 1e-4);
  }
}

TEST(Llada, PredictIsUnshifted) {
  const Case c = load_case(fixture());
  TransformerModel m(c.model);
  const std::vector<float> ref = c.logits("f32");
  const std::vector<PredictionRef> wanted = {{0, 4}, {1, 0}, {1, 11}, {2, 9}};
  std::vector<float> got(wanted.size() * size_t(c.V));
  m.predict(c.batch(), wanted, got.data());
  for (size_t r = 0; r < wanted.size(); ++r) {
    const int64_t row = int64_t(wanted[r].row) * c.N + wanted[r].position;  // the same row, no shift
    double diff = 0, scale = 0;
    for (int64_t v = 0; v < c.V; ++v) {
      diff = std::max(diff, std::fabs(double(got[r * size_t(c.V) + size_t(v)]) - ref[size_t(row * c.V + v)]));
      scale = std::max(scale, std::fabs(double(ref[size_t(row * c.V + v)])));
    }
    EXPECT_LE(diff / scale, 1e-4) << "prediction " << r;
  }
}

TEST(Llada, Bf16WeightsMatchTwin) {
  // The twin with every weight rounded to bf16 and fp32 arithmetic: exact precision (the default) matches
  // it to 1e-4; at fast precision, kernels that round activations to bf16 (AVX512-BF16) move logits by
  // about the fixture's bf16_activations_vs_bf16_weights_rel_gap (1e-2).
  const Case c = load_case(fixture());
  const std::string dir = std::string(DC_BINARY_DIR) + "/testdata-model/llada-bf16";
  std::filesystem::create_directories(dir);
  const Checkpoint src = Checkpoint::open(c.model);
  ModelConfig cfg = src.config();
  cfg.torch_dtype = "bfloat16";
  write_file_atomic(dir + "/config.json", model_config_to_json(cfg));
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& t : tensor_table(cfg))
    tensors.push_back(make_float_tensor(t.name, DType::BF16, t.shape, tensor_to_f32(src.get(t.name))));
  write_safetensors(dir + "/model.safetensors", tensors);
  TransformerModel m(dir);
  ASSERT_EQ(m.weights().embed.dtype, DType::BF16);
  EXPECT_LE(max_rel_over_real_rows(c, all_rows(m, c.batch()), c.logits("bf16")), 1e-4);
  m.set_precision(kernels::Precision::Fast);
  const bool rounds_activations = m.weights().lm_head.layout() == kernels::PackedWeight::Layout::Avx512Bf16;
  EXPECT_LE(max_rel_over_real_rows(c, all_rows(m, c.batch()), c.logits("bf16")),
            rounds_activations ? 2e-2 : 1e-4);
}

TEST(Llada, MixedOrMismatchedFoldersGetOneLine) {
  // A Dream config over LLaDA tensors: the first Dream tensor is missing.
  testing::TempDir tmp;
  std::filesystem::copy(kData + "/tiny-llada-gqa/model.safetensors", tmp.file("model.safetensors"));
  write_file_atomic(tmp.file("config.json"), read_file(kData + "/tiny-dream/config.json"));
  EXPECT_DC_ERROR(TransformerModel m(tmp.path()),
                  tmp.path() + ": missing tensor 'model.embed_tokens.weight'");
  // A LLaDA config whose n_layers exceeds the checkpoint's blocks.
  nlohmann::json j = nlohmann::json::parse(read_file(kData + "/tiny-llada-gqa/config.json"));
  j["n_layers"] = 3;
  write_file_atomic(tmp.file("config.json"), j.dump());
  EXPECT_DC_ERROR(TransformerModel m(tmp.path()),
                  tmp.path() + ": missing tensor 'model.transformer.blocks.2.attn_norm.weight'");
}

TEST(Llada, EightBillionConfigGivesTheReleasedLayout) {
  // LLaDA-8B-Instruct's config.json (fuzz/seeds/model_config/llada_8b.json): 291 tensors, about 8.02 B
  // parameters (docs/LLADA.md §3).
  const ModelConfig c =
      load_model_config(std::string(DC_SOURCE_DIR) + "/fuzz/seeds/model_config/llada_8b.json");
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.vocab_size, 126464);
  EXPECT_EQ(c.mask_token_id, 126336);
  const std::vector<TensorSpec> t = tensor_table(c);
  EXPECT_EQ(t.size(), 291u);
  int64_t params = 0;
  for (const TensorSpec& s : t) {
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    params += n;
  }
  EXPECT_NEAR(double(params) / 1e9, 8.02, 0.01);
}

TEST(Llada, MaskIdFallsBackToLladasDefault) {
  // No mask_token_id in config.json and no <|mdm_mask|> in the tokenizer (the Qwen2 test tokenizer):
  // LLaDA's own 126336, when the model has that many rows; otherwise one line naming the token.
  nlohmann::json j = nlohmann::json::parse(read_file(kData + "/tiny-llada/config.json"));
  j.erase("mask_token_id");
  j["vocab_size"] = 152064;
  j["embedding_size"] = 152064;
  const Tokenizer tok = Tokenizer::load(kData + "/tokenizer/qwen");
  const ModelConfig big = parse_model_config(j.dump(), "config.json");
  EXPECT_EQ(big.mask_token_id, -1);
  EXPECT_EQ(resolve_special_tokens(big, tok, "model").mask, 126336);
  j["mask_token_id"] = 5;
  EXPECT_EQ(resolve_special_tokens(parse_model_config(j.dump(), "config.json"), tok, "model").mask, 5)
      << "config.json first";
  ModelConfig small = big;
  small.vocab_size = 1024;
  EXPECT_DC_ERROR(
      resolve_special_tokens(small, tok, "model"),
      "model: no mask token: config.json has no mask_token_id and the tokenizer has no mask token "
      "(<|mdm_mask|>); a masked diffusion model needs one");
}

}  // namespace
}  // namespace dc

// Quantized models (model/quant_plan.h, `diffucoder quantize`): the per-tensor type rules, and the bundled
// model quantized to Q8_0 / Q4_0 / Q4_K and run from its GGUF file against two oracles:
//  * the same weights dequantized into an F32 safetensors folder and run by the float path: the two differ
//    only by the int8 rounding of the activations in the quantized products, so they agree closely;
//  * the original BF16 model: the weight rounding of each format shows, in a bounded amount.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "core/rng.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/gguf_convert.h"
#include "model/model_weights.h"
#include "model/quant_plan.h"
#include "model/safetensors_writer.h"
#include "model/tensor_table.h"
#include "model/transformer_model.h"

namespace dc {
namespace {

using testing::TempDir;

const std::string kBundled = std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny";

// Raw logits of every position of two canvases of 40 tokens (ids below 4096 with masks, 4099, among them).
std::vector<float> logits_of(const std::string& model) {
  TransformerModel m(model);
  Rng rng(7);
  std::vector<int32_t> tokens(80);
  for (int32_t& t : tokens) t = rng.uniform() < 0.3 ? 4099 : int32_t(rng.uniform() * 4096);
  const CanvasBatch b{2, 40, tokens, {}};
  std::vector<int64_t> rows(tokens.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = int64_t(i);
  std::vector<float> out(rows.size() * size_t(m.vocab_size()));
  m.raw_logits(b, rows, out.data());
  return out;
}

struct Agreement {
  double relative_rms = 0;  // ||a - b|| / ||b||
  double argmax_share = 0;  // rows whose largest logit is at the same token
};

Agreement compare(const std::vector<float>& a, const std::vector<float>& b, int64_t vocab) {
  double diff = 0, norm = 0;
  int64_t same = 0;
  const int64_t rows = int64_t(a.size()) / vocab;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t ia = 0, ib = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      const size_t i = size_t(r * vocab + v);
      diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      norm += double(b[i]) * b[i];
      if (a[i] > a[size_t(r * vocab + ia)]) ia = v;
      if (b[i] > b[size_t(r * vocab + ib)]) ib = v;
    }
    same += ia == ib;
  }
  return {std::sqrt(diff / norm), double(same) / double(rows)};
}

// A safetensors folder holding every tensor of `model` widened or dequantized to F32.
std::string dequantized_copy(const std::string& model, const std::string& dir) {
  const Checkpoint ck = Checkpoint::open(model);
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& t : tensor_table(ck.config()))
    tensors.push_back(make_float_tensor(t.name, DType::F32, t.shape, tensor_to_f32(ck.get(t.name))));
  std::filesystem::create_directories(dir);
  write_safetensors(dir + "/model.safetensors", tensors);
  ModelConfig cfg = ck.config();
  cfg.torch_dtype = "float32";
  std::FILE* f = std::fopen((dir + "/config.json").c_str(), "w");
  const std::string json = model_config_to_json(cfg);
  std::fwrite(json.data(), 1, json.size(), f);
  std::fclose(f);
  return dir;
}

TEST(QuantPlan, NormsStayF32AndFourBitHeadsTakeSixBits) {
  const ModelConfig tied = Checkpoint::open(kBundled).config();  // hidden 256, FFN 768, tied
  ASSERT_TRUE(tied.tie_word_embeddings);
  for (const TensorSpec& t : tensor_table(tied)) {
    const bool matrix = t.shape.size() == 2;
    EXPECT_EQ(planned_type(t, DType::Q8_0, true), matrix ? DType::Q8_0 : DType::F32) << t.name;
    EXPECT_EQ(planned_type(t, DType::BF16, true), matrix ? DType::BF16 : DType::F32) << t.name;
    const DType four_bit = t.role == TensorRole::Embedding ? DType::Q6_K : DType::Q4_K;  // tied: the head
    EXPECT_EQ(planned_type(t, DType::Q4_K, true), matrix ? four_bit : DType::F32) << t.name;
  }
  // Untied: the embedding takes the target type and the head Q6_K.
  const TensorSpec embed{"e", {4096, 512}, TensorRole::Embedding};
  const TensorSpec head{"h", {4096, 512}, TensorRole::Head};
  EXPECT_EQ(planned_type(embed, DType::Q4_0, false), DType::Q4_0);
  EXPECT_EQ(planned_type(head, DType::Q4_0, false), DType::Q6_K);
  // Rows that are not whole blocks fall back: K-quants to Q8_0 (rows of 32), then to F16.
  const TensorSpec row160{"m", {64, 160}, TensorRole::Matrix}, row48{"m", {64, 48}, TensorRole::Matrix};
  EXPECT_EQ(planned_type(row160, DType::Q4_K, false), DType::Q8_0);
  EXPECT_EQ(planned_type(TensorSpec{"h", {64, 160}, TensorRole::Head}, DType::Q4_0, false), DType::Q8_0);
  EXPECT_EQ(planned_type(row48, DType::Q4_K, false), DType::F16);
  EXPECT_EQ(planned_type(row48, DType::Q8_0, false), DType::F16);
  EXPECT_THROW(parse_model_target_type("q4_k", "q8_0"), Error);
  EXPECT_EQ(parse_model_target_type("q4_k", "q8_0, q4_0 or q4_k"), DType::Q4_K);
}

TEST(QuantizedModel, RunsFromItsGgufCloseToTheFloatModels) {
  const TempDir tmp;
  const std::vector<float> original = logits_of(kBundled);
  const int64_t vocab = 4101;
  // Bounds (measured: 0.006-0.007 against the dequantized model for every type; against the BF16 original
  // Q8_0 0.007, Q4_0 0.11, Q4_K 0.056, argmax 1.0 / 0.99 / 0.98), about twice the measured values: against
  // the dequantized float model only the activations' int8 rounding (relative step 1/254 per block of 32)
  // differs; against the original the weight rounding of each format adds to it.
  struct Case {
    DType type;
    const char* name;
    double vs_dequantized, vs_original, min_argmax;
  };
  for (const Case& c :
       {Case{DType::Q8_0, "q8_0", 0.02, 0.02, 0.98}, Case{DType::Q4_0, "q4_0", 0.02, 0.2, 0.9},
        Case{DType::Q4_K, "q4_k", 0.02, 0.12, 0.9}}) {
    const std::string gguf = tmp.path() + "/" + c.name + ".gguf";
    const GgufConvertStats s = convert_to_gguf(kBundled, gguf, c.type, false);
    // 6 layers x (q, k, v, o, gate, up, down), and the tied embedding (the head): Q8_0, or Q6_K for 4 bits.
    EXPECT_EQ(s.by_type.at(dtype_name(c.type)), c.type == DType::Q8_0 ? 43 : 42) << c.name;
    if (c.type != DType::Q8_0) {
      EXPECT_EQ(s.by_type.at("Q6_K"), 1) << c.name;
    }
    const std::vector<float> quantized = logits_of(gguf);
    const std::vector<float> dequantized =
        logits_of(dequantized_copy(gguf, tmp.path() + "/" + c.name + "-f32"));
    const Agreement near = compare(quantized, dequantized, vocab);
    const Agreement far = compare(quantized, original, vocab);
    std::printf("%s: vs dequantized rms %.4f argmax %.3f; vs bf16 rms %.4f argmax %.3f\n", c.name,
                near.relative_rms, near.argmax_share, far.relative_rms, far.argmax_share);
    EXPECT_LT(near.relative_rms, c.vs_dequantized) << c.name;
    EXPECT_LT(far.relative_rms, c.vs_original) << c.name;
    EXPECT_GE(far.argmax_share, c.min_argmax) << c.name;
  }
}

}  // namespace
}  // namespace dc

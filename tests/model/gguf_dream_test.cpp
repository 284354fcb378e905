// Dream in GGUF (model/gguf_dream.h, model/gguf_convert.h, model/model_files.h): the tiny test model
// converted to GGUF loads with the same config, the same tokenizer and the same logits (bit-identical for
// f32, within bf16 rounding for bf16); names map both ways; block-typed tensors load with their dtype.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "model/checkpoint.h"
#include "model/gguf_convert.h"
#include "model/gguf_dream.h"
#include "model/gguf_writer.h"
#include "model/model_files.h"
#include "model/transformer_model.h"
#include "tokenizer/tokenizer.h"

namespace dc {
namespace {

using testing::TempDir;

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

// Raw logits of every position of two canvases of the tiny model: (2 * 12, V).
std::vector<float> logits_of(const std::string& model) {
  TransformerModel m(model);
  const std::vector<int32_t> tokens = {5,    17, 300, 1004, 1004, 42,   1004, 7,    1000, 1004, 2,   9,
                                       1003, 64, 65,  1004, 1004, 1004, 88,   1002, 1004, 1001, 500, 1004};
  const std::vector<uint8_t> valid(tokens.size(), 1);
  CanvasBatch b{2, 12, tokens, valid};
  std::vector<int64_t> rows(tokens.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = int64_t(i);
  std::vector<float> out(rows.size() * size_t(m.vocab_size()));
  m.raw_logits(b, rows, out.data());
  return out;
}

TEST(GgufDream, TensorNamesMapBothWays) {
  const std::pair<const char*, const char*> pairs[] = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"lm_head.weight", "output.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"},
      {"model.layers.27.self_attn.q_proj.bias", "blk.27.attn_q.bias"},
      {"model.layers.3.self_attn.k_proj.weight", "blk.3.attn_k.weight"},
      {"model.layers.3.self_attn.v_proj.bias", "blk.3.attn_v.bias"},
      {"model.layers.10.self_attn.o_proj.weight", "blk.10.attn_output.weight"},
      {"model.layers.1.post_attention_layernorm.weight", "blk.1.ffn_norm.weight"},
      {"model.layers.1.mlp.gate_proj.weight", "blk.1.ffn_gate.weight"},
      {"model.layers.1.mlp.up_proj.weight", "blk.1.ffn_up.weight"},
      {"model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight"}};
  for (const auto& [hf, gg] : pairs) {
    EXPECT_EQ(gguf_name_of(hf), gg);
    EXPECT_EQ(hf_name_of(gg), hf);
  }
  for (const char* odd : {"model.layers.0.self_attn.rotary_emb.inv_freq", "model.layers.x.mlp.up_proj.weight",
                          "model.layers.01.mlp.up_proj.weight", "model.layers.1", "blk..attn_q.weight", ""})
    EXPECT_EQ(gguf_name_of(odd), "") << odd;
  EXPECT_EQ(hf_name_of("blk.0.attn_q.weight.extra"), "");
}

TEST(GgufDream, F32ConversionKeepsConfigTensorsAndLogitsBitForBit) {
  TempDir dir;
  const std::string out = dir.file("tiny.gguf");
  const GgufConvertStats s = convert_to_gguf(kTiny, out, DType::F32, false);
  EXPECT_EQ(s.tensors, 27u);
  EXPECT_EQ(s.tokens, 1024);
  const Checkpoint a = Checkpoint::open(kTiny);
  const Checkpoint b = Checkpoint::open(out);
  ASSERT_NE(b.gguf(), nullptr);
  EXPECT_EQ(model_config_to_json(b.config()), model_config_to_json(a.config()));
  EXPECT_EQ(b.config().rms_norm_eps, 1e-6);  // the float32 key reads back as the decimal it came from
  EXPECT_EQ(b.names(), a.names());
  for (const auto& name : a.names()) {
    const TensorView& x = a.get(name);
    const TensorView& y = b.get(name);
    EXPECT_EQ(y.shape, x.shape) << name;
    EXPECT_EQ(y.dtype, DType::F32) << name;
    ASSERT_EQ(y.nbytes(), x.nbytes());
    EXPECT_EQ(std::memcmp(x.data, y.data, x.nbytes()), 0) << name;
  }
  // Stored in ggml order: the embedding [V, C] has ne = {C, V}.
  for (const auto& t : b.gguf()->header().tensors) {
    if (t.name == "token_embd.weight") {
      EXPECT_EQ(t.ggml_dims, (std::vector<int64_t>{64, 1024}));
    }
  }
  const std::vector<float> la = logits_of(kTiny);
  const std::vector<float> lb = logits_of(out);
  ASSERT_EQ(la.size(), lb.size());
  EXPECT_EQ(std::memcmp(la.data(), lb.data(), la.size() * 4), 0);
  EXPECT_DC_ERROR(convert_to_gguf(kTiny, out, DType::F32, false),
                  out + ": already exists (pass --force to overwrite it)");
  convert_to_gguf(kTiny, out, DType::BF16, true);
  EXPECT_EQ(Checkpoint::open(out).get("lm_head.weight").dtype, DType::BF16);
}

TEST(GgufDream, Bf16ConversionRoundsMatricesAndKeepsNormsF32) {
  TempDir dir;
  const std::string out = dir.file("tiny-bf16.gguf");
  convert_to_gguf(kTiny, out, DType::BF16, false);
  const Checkpoint a = Checkpoint::open(kTiny);
  const Checkpoint b = Checkpoint::open(out);
  EXPECT_EQ(b.config().torch_dtype, "bfloat16");
  for (const auto& name : a.names()) {
    const TensorView& x = a.get(name);
    const TensorView& y = b.get(name);
    ASSERT_EQ(y.dtype, x.shape.size() == 1 ? DType::F32 : DType::BF16) << name;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float want = x.shape.size() == 1 ? x.f32()[i] : bf16_to_f32(f32_to_bf16(x.f32()[i]));
      const float got = y.dtype == DType::F32 ? y.f32()[i] : bf16_to_f32(y.u16()[i]);
      ASSERT_EQ(got, want) << name << "[" << i << "]";
    }
  }
  // Logits move by no more than bf16 weight rounding does (relative 2^-8 per weight, accumulated).
  const std::vector<float> la = logits_of(kTiny);
  const std::vector<float> lb = logits_of(out);
  double diff = 0, scale = 0;
  for (size_t i = 0; i < la.size(); ++i) {
    diff = std::max(diff, std::fabs(double(la[i]) - double(lb[i])));
    scale = std::max(scale, std::fabs(double(la[i])));
  }
  EXPECT_GT(diff, 0.0);
  EXPECT_LE(diff / scale, 2e-2);
}

TEST(GgufDream, TokenizerFromGgufEncodesAndDecodesLikeTheFolder) {
  TempDir dir;
  const std::string out = dir.file("tiny.gguf");
  convert_to_gguf(kTiny, out, DType::F32, false);
  const Tokenizer a = Tokenizer::load(kTiny);
  const Tokenizer b = load_model_tokenizer(out);
  EXPECT_EQ(b.source(), out);
  EXPECT_EQ(b.vocab_size(), a.vocab_size());
  for (const char* text :
       {"def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1)", "héllo wörld  \t x",
        "<|im_start|>user\nhi<|im_end|>\n<|mask|><|mask|><|dlm_pad|><|endoftext|>", "",
        "   \n\n123 4567 ∑ 😀"}) {
    const std::vector<int32_t> ids = a.encode(text);
    EXPECT_EQ(b.encode(text), ids) << text;
    EXPECT_EQ(b.decode(ids), a.decode(ids)) << text;
    EXPECT_EQ(b.decode(ids, true), a.decode(ids, true)) << text;
  }
  for (int32_t id = 0; id < int32_t(a.vocab_size()); ++id) {
    ASSERT_EQ(b.is_special(id), a.is_special(id)) << id;
    ASSERT_EQ(b.token_spelling(id), a.token_spelling(id)) << id;
  }
  EXPECT_EQ(b.special_ids().bos, a.special_ids().bos);
  EXPECT_EQ(b.special_ids().eos, a.special_ids().eos);
  EXPECT_EQ(b.special_ids().pad, a.special_ids().pad);
  EXPECT_EQ(b.special_ids().mask, a.special_ids().mask);
}

TEST(GgufDream, FolderWithOneGgufIsTheModel) {
  TempDir dir;
  convert_to_gguf(kTiny, dir.file("m.gguf"), DType::F32, false);
  EXPECT_EQ(find_gguf(dir.path()), dir.file("m.gguf"));
  EXPECT_EQ(find_gguf(kTiny), "");
  EXPECT_EQ(load_model_config_at(dir.path()).hidden_size, 64);
  EXPECT_EQ(Checkpoint::open(dir.path()).get("model.norm.weight").shape, (std::vector<int64_t>{64}));
  std::filesystem::copy_file(dir.file("m.gguf"), dir.file("n.gguf"));
  EXPECT_DC_ERROR(
      find_gguf(dir.path()),
      dir.path() + ": 2 .gguf files (m.gguf, n.gguf, ...) and no safetensors; name one file with --model");
}

// The converted tiny model's metadata with `edit` applied, and its tensors as `dtype` bytes.
std::string rewrite(const TempDir& dir, const std::string& name,
                    const std::function<void(GgufMetadata&)>& edit, DType matrices = DType::F32) {
  convert_to_gguf(kTiny, dir.file("src.gguf"), DType::F32, true);
  const GgufFile src = GgufFile::open(dir.file("src.gguf"));
  GgufMetadata md = src.metadata();
  edit(md);
  std::vector<GgufTensorRef> tensors;
  for (const auto& t : src.header().tensors) {
    TensorView v = src.tensor(t.name);
    if (v.shape.size() == 2) v.dtype = matrices;  // same bytes reinterpreted: only loading is under test
    tensors.push_back({t.name, v});
  }
  write_gguf(dir.file(name), md, tensors);
  return dir.file(name);
}

void set_key(GgufMetadata& md, const std::string& key, GgufValue v) {
  for (auto& [k, value] : md)
    if (k == key) {
      value = std::move(v);
      return;
    }
  md.emplace_back(key, std::move(v));
}

TEST(GgufDream, RejectsWhatDreamIsNot) {
  TempDir dir;
  const std::string causal = rewrite(dir, "c.gguf", [](GgufMetadata& md) {
    set_key(md, "dream.attention.causal", GgufValue::scalar(true));
  });
  EXPECT_DC_ERROR(Checkpoint::open(causal),
                  causal + ": dream.attention.causal is true, but Dream attention is bidirectional");
  const std::string shift = rewrite(dir, "s.gguf", [](GgufMetadata& md) {
    set_key(md, "diffusion.shift_logits", GgufValue::scalar(false));
  });
  EXPECT_DC_ERROR(Checkpoint::open(shift),
                  shift + ": diffusion.shift_logits is false, but Dream predicts position i from row i - 1");
  const std::string llama = rewrite(dir, "l.gguf", [](GgufMetadata& md) {
    set_key(md, "general.architecture", GgufValue::string("llama"));
  });
  EXPECT_DC_ERROR(Checkpoint::open(llama),
                  llama + ": general.architecture is 'llama'; only 'dream' models are supported");
  const std::string typed = rewrite(
      dir, "t.gguf", [](GgufMetadata& md) { set_key(md, "dream.block_count", GgufValue::string("2")); });
  EXPECT_DC_ERROR(Checkpoint::open(typed),
                  typed + ": metadata key 'dream.block_count' has type string, expected an unsigned integer");
  const std::string bpe = rewrite(dir, "b.gguf", [](GgufMetadata& md) {
    set_key(md, "tokenizer.ggml.model", GgufValue::string("llama"));
  });
  EXPECT_DC_ERROR(load_model_tokenizer(bpe),
                  bpe + ": tokenizer.ggml.model 'llama' is not supported (only gpt2, byte-level BPE)");
}

TEST(GgufDream, BlockTypedTensorsLoadWithTheirDtype) {
  TempDir dir;
  // Q8_0 rows of 64 values are 2 blocks of 34 bytes, less than the 256 bytes of F32: the reinterpreted bytes
  // are in range. The embedding [1024, 64] becomes Q8_0 too.
  const std::string q = rewrite(
      dir, "q.gguf", [](GgufMetadata&) {}, DType::Q8_0);
  const Checkpoint ck = Checkpoint::open(q);
  EXPECT_EQ(ck.get("model.layers.0.self_attn.q_proj.weight").dtype, DType::Q8_0);
  EXPECT_EQ(ck.get("model.layers.0.self_attn.q_proj.weight").shape, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(ck.get("model.layers.0.self_attn.q_proj.weight").nbytes(), 64u * 2 * 34);
  EXPECT_EQ(ck.get("model.norm.weight").dtype, DType::F32);
}

}  // namespace
}  // namespace dc

// Checkpoint folders: the committed tiny-dream fixture (written by scripts/twin/make_tiny_model.py) against
// values drawn from the same numpy generator, formula checkpoints in every float dtype, the DiffuCoder layout
// (sharded BF16, 152064 vocabulary rows, its special ids), a 7B-shaped sparse checkpoint that must open
// without reading its 15 GB, and one exact message per malformed folder.
#include "model/checkpoint.h"
#include "core/process_memory.h"
#include "model/random_checkpoint.h"
#include "model/training_pass.h"
#include "model/transformer_model.h"

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "model/checkpoint_summary.h"
#include "model/safetensors_writer.h"
#include "tokenizer/tokenizer.h"

namespace dc {
namespace {

using testing::formula_tensors;
using testing::formula_value;
using testing::TempDir;
using testing::tiny_config;
using testing::write_checkpoint;
using testing::write_text;

float as_float(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::F32:
      return t.f32()[i];
    case DType::BF16:
      return bf16_to_f32(t.u16()[i]);
    case DType::F16:
      return f16_to_f32(t.u16()[i]);
    default:
      ADD_FAILURE() << "not a float dtype";
      return 0;
  }
}

// Every element of every tensor equals formula_value (exactly representable in all three dtypes).
void expect_formula_values(const Checkpoint& ck, DType dtype) {
  size_t k = 0;
  for (const auto& [name, shape] : tensor_shapes(ck.config())) {
    const TensorView& t = ck.get(name);
    ASSERT_EQ(t.dtype, dtype) << name;
    ASSERT_EQ(t.shape, shape) << name;
    for (int64_t i = 0; i < t.numel(); ++i)
      ASSERT_EQ(as_float(t, i), formula_value(k, i)) << name << "[" << i << "]";
    ++k;
  }
}

// Values from scripts/twin/make_tiny_model.py's numpy generator (seed 20250626), printed as hex floats.
TEST(Checkpoint, OpensTheCommittedTinyDreamFixture) {
  Checkpoint ck = Checkpoint::open(std::string(DC_TESTDATA_DIR) + "/tiny-dream");
  EXPECT_EQ(ck.config().hidden_size, 64);
  EXPECT_EQ(ck.files().size(), 2u);
  EXPECT_EQ(ck.names().size(), 27u);  // embed + 2 x 12 + norm + lm_head
  EXPECT_TRUE(unexpected_tensors(ck).empty());
  const TensorView& emb = ck.get("model.embed_tokens.weight");
  EXPECT_EQ(emb.shape, (std::vector<int64_t>{1024, 64}));
  EXPECT_EQ(emb.f32()[5 * 64 + 0], 0x1.269c36p-1f);
  EXPECT_EQ(emb.f32()[5 * 64 + 1], 0x1.6bbe4ap-1f);
  EXPECT_EQ(emb.f32()[5 * 64 + 2], 0x1.fd2aa0p-1f);
  const TensorView& norm = ck.get("model.norm.weight");
  EXPECT_EQ(norm.f32()[0], 0x1.19401ap+0f);
  EXPECT_EQ(norm.f32()[1], 0x1.d2bebep-1f);
  EXPECT_EQ(norm.f32()[2], 0x1.bb081cp-1f);
  const TensorView& head = ck.get("lm_head.weight");
  EXPECT_EQ(head.f32()[1023 * 64 + 61], 0x1.3ffe50p-1f);
  EXPECT_EQ(head.f32()[1023 * 64 + 63], 0x1.5d4d26p-4f);
  const TensorView& kb = ck.get("model.layers.1.self_attn.k_proj.bias");
  EXPECT_EQ(kb.shape, (std::vector<int64_t>{32}));
  EXPECT_EQ(kb.f32()[30], -0x1.3759cap-3f);
  EXPECT_EQ(kb.f32()[31], 0x1.664bb4p-1f);
  EXPECT_NE(ck.file_of("model.embed_tokens.weight"), ck.file_of("lm_head.weight"));
  EXPECT_EQ(ck.total_bytes(), 870656u);  // the index's metadata.total_size
}

TEST(Checkpoint, LoadsSingleFileInEveryFloatDtype) {
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    TempDir tmp;
    write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), dt));
    Checkpoint ck = Checkpoint::open(tmp.path());
    EXPECT_EQ(ck.files().size(), 1u);
    expect_formula_values(ck, dt);
  }
}

// The DiffuCoder release layout: sharded BF16 with an index, 152064 embedding rows (more than the
// tokenizer's 151667 tokens), the Qwen2.5 / DiffuCoder special ids, untied lm_head.
TEST(Checkpoint, LoadsTheDiffuCoderShardedBf16Layout) {
  TempDir tmp;
  ModelConfig c = tiny_config();
  c.vocab_size = 152064;
  c.hidden_size = 8;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.head_dim = 4;
  c.intermediate_size = 16;
  c.mask_token_id = 151666;
  c.pad_token_id = 151643;
  c.bos_token_id = 151643;
  c.eos_token_id = 151643;
  c.rope_theta = 1e6;
  write_checkpoint(tmp.path(), c, formula_tensors(c, DType::BF16), /*shards=*/4);
  for (int s = 1; s <= 4; ++s)
    EXPECT_TRUE(
        std::filesystem::exists(tmp.file("model-0000" + std::to_string(s) + "-of-00004.safetensors")));
  Checkpoint ck = Checkpoint::open(tmp.path());
  EXPECT_EQ(ck.files().size(), 4u);
  EXPECT_EQ(ck.config().mask_token_id, 151666);
  EXPECT_EQ(ck.config().pad_token_id, 151643);
  EXPECT_EQ(ck.get("model.embed_tokens.weight").shape, (std::vector<int64_t>{152064, 8}));
  expect_formula_values(ck, DType::BF16);
  // The <|mask|> row of the embedding: element (151666, j) is element 151666 * 8 + j of tensor 0.
  const TensorView& emb = ck.get("model.embed_tokens.weight");
  for (int64_t j = 0; j < 8; ++j)
    EXPECT_EQ(bf16_to_f32(emb.u16()[151666 * 8 + j]), formula_value(0, 151666 * 8 + j));
}

// A whole user folder in DiffuCoder's layout: sharded BF16 weights with more embedding rows (1024) than
// the tokenizer has tokens (1006), next to the slow-tokenizer files (vocab.json, merges.txt,
// added_tokens.json with <|beginoftext|>, <|mask|>, <|dlm_pad|>, special_tokens_map.json,
// tokenizer_config.json, copied from the committed fixture). Weights and tokenizer load from the same
// folder and agree on the special ids.
TEST(Checkpoint, LoadsAFullDiffuCoderFolderWithSlowTokenizerFiles) {
  TempDir tmp;
  const std::string fixture = std::string(DC_TESTDATA_DIR) + "/tiny-dream/";
  for (const char* f :
       {"vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json", "tokenizer_config.json"})
    std::filesystem::copy_file(fixture + f, tmp.file(f));
  ModelConfig c = tiny_config();
  c.vocab_size = 1024;
  c.mask_token_id = 1004;
  c.pad_token_id = 1000;
  c.bos_token_id = 1003;
  c.eos_token_id = 1000;
  write_checkpoint(tmp.path(), c, formula_tensors(c, DType::BF16), /*shards=*/3);
  Checkpoint ck = Checkpoint::open(tmp.path());
  EXPECT_EQ(ck.files().size(), 3u);
  expect_formula_values(ck, DType::BF16);
  Tokenizer tok = Tokenizer::load(tmp.path());
  EXPECT_EQ(tok.token_id("<|mask|>"), std::optional<int32_t>(ck.config().mask_token_id));
  EXPECT_EQ(tok.token_id("<|beginoftext|>"), std::optional<int32_t>(ck.config().bos_token_id));
  EXPECT_EQ(tok.token_id("<|endoftext|>"), std::optional<int32_t>(ck.config().eos_token_id));
  EXPECT_EQ(tok.token_id("<|dlm_pad|>"), std::optional<int32_t>(1005));
  EXPECT_LT(tok.vocab_size(), ck.get("model.embed_tokens.weight").dim(0));
}

// Like transformers: with both present, the single model.safetensors wins over the index.
TEST(Checkpoint, PrefersSingleFileOverIndex) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::F32), 2);
  write_safetensors(tmp.file("model.safetensors"), formula_tensors(tiny_config(), DType::F16));
  Checkpoint ck = Checkpoint::open(tmp.path());
  EXPECT_EQ(ck.files().size(), 1u);
  expect_formula_values(ck, DType::F16);
}

TEST(Checkpoint, DescribesTheTinyFixture) {
  const std::string dir = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
  const std::string text = describe_model_path(dir);
  EXPECT_NE(text.find("hidden 64  layers 2  heads 4 / kv 2  head_dim 16  ffn 160  vocab 1024\n"),
            std::string::npos)
      << text;
  // 27 tensors, 870656 bytes in all (index metadata.total_size); embed is 1024 x 64 x 4 = 262144 bytes.
  EXPECT_NE(text.find("27 tensors in 2 file(s), 0.871 MB, 0 copied for alignment\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("model.embed_tokens.weight"), std::string::npos);
  EXPECT_NE(text.find("F32   [1024, 64]            0.262 MB  model-00001-of-00002.safetensors\n"),
            std::string::npos)
      << text;
  const std::string one = describe_model_path(dir + "/model-00002-of-00002.safetensors");
  EXPECT_NE(one.find("14 tensors, "), std::string::npos) << one;
  EXPECT_NE(one.find("  metadata format = pt\n"), std::string::npos) << one;
}

TEST(Checkpoint, TiedEmbeddingsNeedNoLmHead) {
  TempDir tmp;
  ModelConfig c = tiny_config();
  c.tie_word_embeddings = true;
  auto ts = formula_tensors(c, DType::F32);
  ASSERT_EQ(ts.back().name, "model.norm.weight");
  write_checkpoint(tmp.path(), c, ts);
  Checkpoint ck = Checkpoint::open(tmp.path());
  EXPECT_FALSE(ck.has("lm_head.weight"));
  // Present anyway (some exporters write it): accepted when its shape is right, rejected otherwise.
  ts.push_back(make_float_tensor("lm_head.weight", DType::F32, {64, 15}, std::vector<float>(64 * 15, 0.0f)));
  write_checkpoint(tmp.path(), c, ts);
  EXPECT_DC_ERROR(validate_tensors(Checkpoint::open(tmp.path())),
                  tmp.file("model.safetensors") +
                      ": tensor 'lm_head.weight' has shape [64, 15] but the config implies [64, 16]");
}

TEST(Checkpoint, AcceptsAndListsUnexpectedTensors) {
  TempDir tmp;
  auto ts = formula_tensors(tiny_config(), DType::BF16);
  ts.push_back(
      make_float_tensor("model.layers.0.self_attn.rotary_emb.inv_freq", DType::F32, {4}, {1, 2, 3, 4}));
  write_checkpoint(tmp.path(), tiny_config(), ts);
  Checkpoint ck = Checkpoint::open(tmp.path());
  EXPECT_EQ(unexpected_tensors(ck),
            (std::vector<std::string>{"model.layers.0.self_attn.rotary_emb.inv_freq"}));
}

TEST(Checkpoint, RejectsMissingTensor) {
  TempDir tmp;
  auto ts = formula_tensors(tiny_config(), DType::BF16);
  ASSERT_EQ(ts.back().name, "lm_head.weight");
  ts.pop_back();
  write_checkpoint(tmp.path(), tiny_config(), ts);
  EXPECT_DC_ERROR(validate_tensors(Checkpoint::open(tmp.path())),
                  tmp.path() + ": missing tensor 'lm_head.weight'");
  EXPECT_DC_ERROR(
      TransformerModel m(tmp.path()),
      tmp.path() + ": missing tensor 'lm_head.weight'");  // the model validates its tensors on load
}

TEST(Checkpoint, RejectsShapeMismatchWithConfig) {
  TempDir tmp;
  auto ts = formula_tensors(tiny_config(), DType::BF16);
  for (auto& t : ts) {
    if (t.name == "model.layers.1.mlp.up_proj.weight") {
      t.shape = {16, 32};  // transposed: same bytes, wrong layout
    }
  }
  write_checkpoint(tmp.path(), tiny_config(), ts);
  EXPECT_DC_ERROR(
      validate_tensors(Checkpoint::open(tmp.path())),
      tmp.file("model.safetensors") +
          ": tensor 'model.layers.1.mlp.up_proj.weight' has shape [16, 32] but the config implies [32, 16]");
}

TEST(Checkpoint, RejectsNonFloatWeights) {
  // A norm must be a float tensor; a matrix a float or block-quantized one. I32 has the bytes of F32.
  for (const auto& [name, rule] :
       {std::pair<std::string, std::string>{"model.norm.weight", "norms and biases must be F32, F16 or BF16"},
        {"model.layers.0.mlp.up_proj.weight", "weights must be F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K"}}) {
    TempDir tmp;
    auto ts = formula_tensors(tiny_config(), DType::F32);
    for (auto& t : ts)
      if (t.name == name) t.dtype = DType::I32;
    write_checkpoint(tmp.path(), tiny_config(), ts);
    const std::string want = tmp.file("model.safetensors") + ": tensor '" + name + "' has dtype I32; " + rule;
    EXPECT_DC_ERROR(validate_tensors(Checkpoint::open(tmp.path())), want);
    EXPECT_DC_ERROR(params_from_checkpoint(Checkpoint::open(tmp.path())), want);  // training validates too
  }
}

TEST(Checkpoint, RejectsIndexNamingMissingShard) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::BF16), 2);
  std::filesystem::remove(tmp.file("model-00002-of-00002.safetensors"));
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()),
                  tmp.file("model.safetensors.index.json") +
                      ": shard 'model-00002-of-00002.safetensors' (holding 'lm_head.weight') "
                      "does not exist");
}

TEST(Checkpoint, RejectsTensorInIndexButNotInShard) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::BF16), 2);
  auto index = nlohmann::json::parse(testing::read_text(tmp.file("model.safetensors.index.json")));
  index["weight_map"]["model.extra.weight"] = "model-00001-of-00002.safetensors";
  write_text(tmp.file("model.safetensors.index.json"), index.dump());
  EXPECT_DC_ERROR(
      Checkpoint::open(tmp.path()),
      tmp.file("model-00001-of-00002.safetensors") +
          ": tensor 'model.extra.weight' listed in model.safetensors.index.json is missing from this shard");
}

TEST(Checkpoint, RejectsTensorInShardButNotInIndex) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::BF16), 2);
  auto index = nlohmann::json::parse(testing::read_text(tmp.file("model.safetensors.index.json")));
  index["weight_map"].erase("model.norm.weight");
  write_text(tmp.file("model.safetensors.index.json"), index.dump());
  EXPECT_DC_ERROR(
      Checkpoint::open(tmp.path()),
      tmp.file("model-00002-of-00002.safetensors") +
          ": tensor 'model.norm.weight' is not assigned to this shard by model.safetensors.index.json");
}

TEST(Checkpoint, RejectsMalformedIndex) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::BF16), 2);
  const std::string ip = tmp.file("model.safetensors.index.json");
  write_text(ip, "[]");
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()), ip + ": expected a JSON object, got array");
  write_text(ip, R"({"metadata": {}})");
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()), ip + ": missing 'weight_map'");
  write_text(ip, R"({"weight_map": {}})");
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()), ip + ": 'weight_map' is empty");
  write_text(ip, R"({"weight_map": {"a": 1}})");
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()),
                  ip + ": 'weight_map' entry for 'a' must be a file name string, got integer");
  write_text(ip, R"({"weight_map": {"a": "../config.json"}})");
  EXPECT_DC_ERROR(
      Checkpoint::open(tmp.path()),
      ip + ": shard '../config.json' for tensor 'a' must be a file name inside the checkpoint folder");
  write_text(ip, R"({"weight_map": )");
  try {
    Checkpoint::open(tmp.path());
    ADD_FAILURE() << "expected dc::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(ip + ": bad JSON: parse error at line 1", 0), 0u) << e.what();
  }
}

TEST(Checkpoint, RejectsTruncatedShard) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::BF16), 2);
  const std::string shard = tmp.file("model-00001-of-00002.safetensors");
  std::filesystem::resize_file(shard, std::filesystem::file_size(shard) - 100);
  try {
    Checkpoint::open(tmp.path());
    ADD_FAILURE() << "expected dc::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(shard + ": tensor '", 0), 0u) << m;
    EXPECT_NE(m.find("run past the end of the data"), std::string::npos) << m;
  }
}

TEST(Checkpoint, RejectsFoldersWithoutTheFiles) {
  TempDir tmp;
  EXPECT_DC_ERROR(
      Checkpoint::open(tmp.file("nope")),
      tmp.file("nope") + ": not a checkpoint folder (expected a directory with config.json and safetensors)");
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()),
                  tmp.file("config.json") + ": cannot open: No such file or directory");
  write_text(tmp.file("config.json"), model_config_to_json(tiny_config()));
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()),
                  tmp.path() + ": no model.safetensors or model.safetensors.index.json");
  write_text(tmp.file("config.json"), R"({"model_type": "llama"})");
  EXPECT_DC_ERROR(Checkpoint::open(tmp.path()),
                  tmp.file("config.json") + ": unknown model_type 'llama' (supported: Dream, llada)");
}

TEST(Checkpoint, GetNamesTheFolderForMissingTensors) {
  TempDir tmp;
  write_checkpoint(tmp.path(), tiny_config(), formula_tensors(tiny_config(), DType::BF16));
  Checkpoint ck = Checkpoint::open(tmp.path());
  EXPECT_DC_ERROR(ck.get("model.layers.9.mlp.up_proj.weight"),
                  tmp.path() + ": missing tensor 'model.layers.9.mlp.up_proj.weight'");
  Checkpoint moved = std::move(ck);  // views survive a move of the Checkpoint
  expect_formula_values(moved, DType::BF16);
}

// DiffuCoder-7B's exact geometry as 4 sparse BF16 shards (15.2 GB of zeros that take no disk): opening and
// validating must map, not read, so resident memory stays far below the checkpoint size.
TEST(Checkpoint, Opens7BShapedCheckpointWithoutReadingIt) {
  TempDir tmp;
  write_sparse_checkpoint(tmp.path(), diffucoder_7b_config(), 4);
  const uint64_t total = 15231233024u;  // 7.6157B parameters x 2 bytes

  const int64_t before = int64_t(resident_kib());
  Checkpoint ck = Checkpoint::open(tmp.path());
  const int64_t after = int64_t(resident_kib());
  EXPECT_EQ(ck.total_bytes(), total);
  EXPECT_EQ(ck.names().size(), 1u + 28 * 12 + 2);
  EXPECT_LT(after - before, 64 * 1024) << "RSS grew by " << (after - before) << " KiB";
}

}  // namespace
}  // namespace dc

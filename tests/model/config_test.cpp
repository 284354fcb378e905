// config.json parsing: the committed tiny fixture and a DiffuCoder-7B config against hand-read values,
// defaults, round trip through model_config_to_json, and one exact message per malformed case.
#include "model/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "checkpoint_test_util.h"

namespace dc {
namespace {

// DiffuCoder-7B-Instruct's config.json fields as published on its model card (SPEC §1).
const char* kDiffuCoder7B = R"({
  "architectures": ["TransformerModel"],
  "attention_dropout": 0.0,
  "auto_map": {"AutoConfig": "configuration_dream.DreamConfig", "AutoModel": "modeling_dream.TransformerModel"},
  "bos_token_id": 151643,
  "eos_token_id": 151643,
  "hidden_act": "silu",
  "hidden_size": 3584,
  "initializer_range": 0.02,
  "intermediate_size": 18944,
  "mask_token_id": 151666,
  "max_position_embeddings": 131072,
  "max_window_layers": 28,
  "model_type": "Dream",
  "num_attention_heads": 28,
  "num_hidden_layers": 28,
  "num_key_value_heads": 4,
  "pad_token_id": 151643,
  "rms_norm_eps": 1e-06,
  "rope_scaling": null,
  "rope_theta": 1000000.0,
  "sliding_window": null,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.46.2",
  "use_cache": false,
  "use_sliding_window": false,
  "vocab_size": 152064
})";

ModelConfig parse(const std::string& text) {
  return parse_model_config(text, "c.json");
}

// kDiffuCoder7B with one field replaced ("key": value text) or removed (value empty).
std::string with_field(const std::string& key, const std::string& value) {
  nlohmann::json j = nlohmann::json::parse(kDiffuCoder7B);
  if (value.empty()) {
    j.erase(key);
  } else {
    j[key] = nlohmann::json::parse(value);
  }
  return j.dump();
}

TEST(ModelConfig, ParsesDiffuCoder7B) {
  ModelConfig c = parse(kDiffuCoder7B);
  EXPECT_EQ(c.model_type, "Dream");
  EXPECT_EQ(c.hidden_size, 3584);
  EXPECT_EQ(c.num_hidden_layers, 28);
  EXPECT_EQ(c.num_attention_heads, 28);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 128);  // 3584 / 28
  EXPECT_EQ(c.intermediate_size, 18944);
  EXPECT_EQ(c.vocab_size, 152064);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.mask_token_id, 151666);
  EXPECT_EQ(c.pad_token_id, 151643);
  EXPECT_EQ(c.bos_token_id, 151643);
  EXPECT_EQ(c.eos_token_id, 151643);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
}

TEST(ModelConfig, LoadsTheCommittedTinyFixture) {
  ModelConfig c = load_model_config(std::string(DC_TESTDATA_DIR) + "/tiny-dream/config.json");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.intermediate_size, 160);
  EXPECT_EQ(c.vocab_size, 1024);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.mask_token_id, 1004);
  EXPECT_EQ(c.bos_token_id, 1003);
  EXPECT_EQ(c.eos_token_id, 1000);
  EXPECT_EQ(c.torch_dtype, "float32");
}

TEST(ModelConfig, AppliesDreamDefaults) {
  ModelConfig c = parse(R"({"model_type": "dream", "hidden_size": 64, "num_hidden_layers": 1,
                            "num_attention_heads": 4, "intermediate_size": 96, "vocab_size": 100,
                            "eos_token_id": [7, 8], "pad_token_id": null})");
  EXPECT_EQ(c.model_type, "Dream");  // matched case-insensitively, stored canonically
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.eos_token_id, 7);
  EXPECT_EQ(c.pad_token_id, -1);
  EXPECT_EQ(c.mask_token_id, -1);
  EXPECT_EQ(c.bos_token_id, -1);
  EXPECT_EQ(c.torch_dtype, "");
}

TEST(ModelConfig, ExplicitHeadDimNeedNotDivideHidden) {
  ModelConfig c = parse(with_field("head_dim", "96"));
  EXPECT_EQ(c.head_dim, 96);
}

TEST(ModelConfig, RoundTripsThroughJson) {
  ModelConfig a = testing::tiny_config();
  a.rope_theta = 1e6;
  a.rms_norm_eps = 1e-5;
  a.tie_word_embeddings = true;
  a.bos_token_id = -1;
  ModelConfig b = parse_model_config(model_config_to_json(a), "rt.json");
  EXPECT_EQ(b.model_type, a.model_type);
  EXPECT_EQ(b.hidden_size, a.hidden_size);
  EXPECT_EQ(b.num_hidden_layers, a.num_hidden_layers);
  EXPECT_EQ(b.num_attention_heads, a.num_attention_heads);
  EXPECT_EQ(b.num_key_value_heads, a.num_key_value_heads);
  EXPECT_EQ(b.head_dim, a.head_dim);
  EXPECT_EQ(b.intermediate_size, a.intermediate_size);
  EXPECT_EQ(b.vocab_size, a.vocab_size);
  EXPECT_EQ(b.max_position_embeddings, a.max_position_embeddings);
  EXPECT_EQ(b.rms_norm_eps, a.rms_norm_eps);
  EXPECT_EQ(b.rope_theta, a.rope_theta);
  EXPECT_EQ(b.tie_word_embeddings, a.tie_word_embeddings);
  EXPECT_EQ(b.mask_token_id, a.mask_token_id);
  EXPECT_EQ(b.pad_token_id, a.pad_token_id);
  EXPECT_EQ(b.bos_token_id, -1);
  EXPECT_EQ(b.eos_token_id, a.eos_token_id);
  EXPECT_EQ(b.torch_dtype, a.torch_dtype);
  // Exports name the architecture's class as Dream's own checkpoints do (the bundled model, Dream-v0).
  EXPECT_EQ(nlohmann::json::parse(model_config_to_json(a)).at("architectures"),
            nlohmann::json::array({"DreamModel"}));
}

TEST(ModelConfig, RejectsBadJsonAndNonObjects) {
  try {
    parse(R"({"model_type": "Dream",)");
    ADD_FAILURE() << "expected dc::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("c.json: bad JSON: parse error at line 1, column 24", 0), 0u)
        << e.what();
  }
  EXPECT_DC_ERROR(parse("[]"), "c.json: expected a JSON object, got array");
  EXPECT_DC_ERROR(parse("3"), "c.json: expected a JSON object, got integer");
  EXPECT_DC_ERROR(parse(R"({"model_type": "Dream", "model_type": "Dream"})"),
                  "c.json: duplicate key 'model_type' in the top-level object");
}

TEST(ModelConfig, RejectsUnknownModelType) {
  EXPECT_DC_ERROR(parse(with_field("model_type", R"("qwen2")")),
                  "c.json: unknown model_type 'qwen2' (supported: Dream, llada)");
  EXPECT_DC_ERROR(parse(with_field("model_type", "")), "c.json: missing required field 'model_type'");
  EXPECT_DC_ERROR(parse(with_field("model_type", "1")), "c.json: 'model_type' must be a string, got integer");
}

TEST(ModelConfig, RejectsMissingFields) {
  for (const char* key :
       {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size"})
    EXPECT_DC_ERROR(parse(with_field(key, "")), std::string("c.json: missing required field '") + key + "'");
}

TEST(ModelConfig, RejectsWrongTypes) {
  EXPECT_DC_ERROR(parse(with_field("hidden_size", R"("3584")")),
                  "c.json: 'hidden_size' must be an integer, got string");
  EXPECT_DC_ERROR(parse(with_field("hidden_size", "3584.0")),
                  "c.json: 'hidden_size' must be an integer, got number");
  EXPECT_DC_ERROR(parse(with_field("rope_theta", R"("1e6")")),
                  "c.json: 'rope_theta' must be a number, got string");
  EXPECT_DC_ERROR(parse(with_field("tie_word_embeddings", "0")),
                  "c.json: 'tie_word_embeddings' must be true or false, got integer");
  EXPECT_DC_ERROR(parse(with_field("mask_token_id", R"("<|mask|>")")),
                  "c.json: 'mask_token_id' must be an integer token id, got string");
  EXPECT_DC_ERROR(parse(with_field("torch_dtype", "16")),
                  "c.json: 'torch_dtype' must be a string, got integer");
}

TEST(ModelConfig, RejectsImpossibleValues) {
  EXPECT_DC_ERROR(parse(with_field("hidden_size", "-3")),
                  "c.json: 'hidden_size' must be in [1, 16777216], got -3");
  EXPECT_DC_ERROR(parse(with_field("num_hidden_layers", "0")),
                  "c.json: 'num_hidden_layers' must be in [1, 65536], got 0");
  EXPECT_DC_ERROR(parse(with_field("vocab_size", "18446744073709551615")),
                  "c.json: 'vocab_size' is out of range");
  EXPECT_DC_ERROR(parse(with_field("num_key_value_heads", "5")),
                  "c.json: num_attention_heads 28 is not a multiple of num_key_value_heads 5");
  EXPECT_DC_ERROR(
      parse(with_field("num_attention_heads", "27")),
      "c.json: hidden_size 3584 is not a multiple of num_attention_heads 27 and no head_dim is given");
  EXPECT_DC_ERROR(parse(with_field("head_dim", "127")),
                  "c.json: head_dim 127 must be even (rotate-half RoPE)");
  EXPECT_DC_ERROR(parse(with_field("rms_norm_eps", "0")),
                  "c.json: 'rms_norm_eps' must be a positive number, got 0");
  EXPECT_DC_ERROR(parse(with_field("rope_theta", "-1")),
                  "c.json: 'rope_theta' must be a positive number, got -1");
  EXPECT_DC_ERROR(parse(with_field("mask_token_id", "152064")),
                  "c.json: 'mask_token_id' 152064 is outside the vocabulary (vocab_size 152064)");
  EXPECT_DC_ERROR(parse(with_field("pad_token_id", "-2")),
                  "c.json: 'pad_token_id' must be a non-negative 32-bit token id");
  EXPECT_DC_ERROR(parse(with_field("torch_dtype", R"("int8")")),
                  "c.json: unsupported torch_dtype 'int8' (supported: bfloat16, float16, float32)");
}

TEST(ModelConfig, RejectsUnsupportedFeatures) {
  EXPECT_DC_ERROR(parse(with_field("rope_scaling", R"({"type": "yarn", "factor": 4.0})")),
                  "c.json: 'rope_scaling' is not supported (expected null)");
  EXPECT_DC_ERROR(parse(with_field("use_sliding_window", "true")),
                  "c.json: 'use_sliding_window' true is not supported (Dream attends to the whole canvas)");
  EXPECT_DC_ERROR(parse(with_field("hidden_act", R"("gelu")")), "c.json: 'hidden_act' must be \"silu\"");
}

TEST(ModelConfig, ReportsUnreadableFile) {
  EXPECT_DC_ERROR(load_model_config("/nonexistent/config.json"),
                  "/nonexistent/config.json: cannot open: No such file or directory");
}

TEST(ModelConfig, ValidatesConfigsBuiltInCode) {
  ModelConfig c = testing::tiny_config();
  EXPECT_NO_THROW(validate_model_config(c, "code"));
  c.num_key_value_heads = 3;
  EXPECT_DC_ERROR(validate_model_config(c, "code"),
                  "code: num_attention_heads 2 is not a multiple of num_key_value_heads 3");
  c = testing::tiny_config();
  c.model_type = "llada";
  EXPECT_DC_ERROR(validate_model_config(c, "code"),
                  "code: model_type 'llada' does not match the architecture the config describes (Dream)");
  c.model_type = "gpt2";
  EXPECT_DC_ERROR(validate_model_config(c, "code"),
                  "code: unknown model_type 'gpt2' (supported: Dream, llada)");
}

}  // namespace
}  // namespace dc

// The model hyper-parameters read from a Hugging Face `config.json` (SPEC §1). `model_type` chooses the
// architecture (architecture.h, compared case-insensitively, stored in its canonical spelling): "Dream"
// (DiffuCoder-7B-*, Dream-v0-7B; Qwen2 field names, parsed here) or "llada" (LLaDA-8B-*, LLaDA-1.5; OLMo
// field names mapped onto the same struct by config_llada.cpp, docs/LLADA.md §2). Parsing is strict: a
// missing architecture field, a wrong JSON type, an impossible value (head counts that do not divide, odd
// head_dim, special ids outside the vocabulary) or a feature this engine does not implement (rope_scaling,
// sliding-window attention, an activation other than silu) is a dc::Error naming the file and the field.
// Unknown extra fields are ignored.
//
// Defaults follow Dream's DreamConfig where a field may be absent: num_key_value_heads = num_attention_heads,
// head_dim = hidden_size / num_attention_heads, max_position_embeddings 32768, rms_norm_eps 1e-6,
// rope_theta 10000, tie_word_embeddings false. Special token ids are -1 when absent or null;
// `eos_token_id` given as a list keeps its first element.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/architecture.h"

namespace dc {

struct ModelConfig {
  std::string model_type = "Dream";
  Arch arch = Arch::Dream;
  int64_t hidden_size = 0;          // C
  int64_t num_hidden_layers = 0;    // L
  int64_t num_attention_heads = 0;  // H (query heads)
  int64_t num_key_value_heads = 0;  // Hkv (divides H)
  int64_t head_dim = 0;             // D (even: rotate-half RoPE)
  int64_t intermediate_size = 0;    // F (SwiGLU width)
  int64_t vocab_size = 0;           // V: rows of embed_tokens / lm_head (may exceed the tokenizer's size)
  int64_t text_vocab_size = 0;      // LLaDA's vocab_size when its embedding_size (V) is larger; else 0
  int64_t max_position_embeddings = 32768;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;
  int32_t mask_token_id = -1;
  int32_t pad_token_id = -1;
  int32_t bos_token_id = -1;
  int32_t eos_token_id = -1;
  std::string torch_dtype;  // "bfloat16", "float16", "float32" or "" when absent
};

// Parses config.json text; `source` names the file in error messages. Throws dc::Error.
ModelConfig parse_model_config(std::string_view json_text, const std::string& source);

// Reads and parses a config.json file. Throws dc::Error naming `path`.
ModelConfig load_model_config(const std::string& path);

// HF-style config.json text for `cfg` (with the architecture's "architectures" entry, "hidden_act": "silu"),
// such that parse_model_config(model_config_to_json(cfg)) == cfg field by field.
std::string model_config_to_json(const ModelConfig& cfg);

// Checks the invariants parse_model_config enforces on an already-built config (for configs made in code,
// e.g. by training); throws dc::Error prefixed with `source`.
void validate_model_config(const ModelConfig& cfg, const std::string& source);

}  // namespace dc

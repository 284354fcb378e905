// LLaDA's OLMo-style config.json (docs/LLADA.md §2) mapped onto ModelConfig, and back. Internal to
// src/model/: parse_model_config dispatches here on model_type "llada".
//
//   d_model -> hidden_size, n_layers -> num_hidden_layers, n_heads -> num_attention_heads,
//   n_kv_heads (null: n_heads, or 1 with multi_query_attention) -> num_key_value_heads,
//   head_dim = d_model / n_heads, mlp_hidden_size (null: mlp_ratio * d_model) -> intermediate_size,
//   embedding_size (absent: 50304, null: vocab_size; >= vocab_size) -> vocab_size (rows of wte / head),
//   vocab_size -> text_vocab_size, weight_tying (default true) -> tie_word_embeddings,
//   max_sequence_length (default 1024) -> max_position_embeddings, rms_norm_eps (1e-5), rope_theta (10000).
// d_model, n_heads, n_layers and vocab_size are required (LLaDA's code defaults are GPT-2 sizes that no
// released checkpoint uses). Only the llama block the released checkpoints use is supported; every other
// value of block_type, activation_type, layer_norm_type, biases, q/k norms, ALiBi, input or logit scaling,
// block groups is one line naming the key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "model/config.h"

namespace dc {

ModelConfig parse_llada_config(const nlohmann::json& j, const std::string& source);
std::string llada_config_to_json(const ModelConfig& c);

}  // namespace dc

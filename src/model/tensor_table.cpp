// The Dream tensor table (see tensor_table.h).
#include "model/tensor_table.h"

namespace dc {

std::vector<TensorSpec> tensor_table(const ModelConfig& c) {
  const int64_t C = c.hidden_size, V = c.vocab_size, F = c.intermediate_size;
  const int64_t Q = c.num_attention_heads * c.head_dim, KV = c.num_key_value_heads * c.head_dim;
  using R = TensorRole;
  std::vector<TensorSpec> out;
  out.push_back({"model.embed_tokens.weight", {V, C}, R::Embedding, -1});
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.push_back({p + "input_layernorm.weight", {C}, R::Norm, l});
    out.push_back({p + "self_attn.q_proj.weight", {Q, C}, R::Matrix, l});
    out.push_back({p + "self_attn.q_proj.bias", {Q}, R::Bias, l});
    out.push_back({p + "self_attn.k_proj.weight", {KV, C}, R::Matrix, l});
    out.push_back({p + "self_attn.k_proj.bias", {KV}, R::Bias, l});
    out.push_back({p + "self_attn.v_proj.weight", {KV, C}, R::Matrix, l});
    out.push_back({p + "self_attn.v_proj.bias", {KV}, R::Bias, l});
    out.push_back({p + "self_attn.o_proj.weight", {C, Q}, R::Matrix, l});
    out.push_back({p + "post_attention_layernorm.weight", {C}, R::Norm, l});
    out.push_back({p + "mlp.gate_proj.weight", {F, C}, R::Matrix, l});
    out.push_back({p + "mlp.up_proj.weight", {F, C}, R::Matrix, l});
    out.push_back({p + "mlp.down_proj.weight", {C, F}, R::Matrix, l});
  }
  out.push_back({"model.norm.weight", {C}, R::Norm, -1});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {V, C}, R::Head, -1});
  return out;
}

}  // namespace dc

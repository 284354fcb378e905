// The tensor tables (see tensor_table.h).
#include "model/tensor_table.h"

#include "core/error.h"
#include "model/architecture.h"

namespace dc {

namespace {

using R = TensorRole;
using S = TensorSlot;

struct Shapes {
  int64_t C, V, F, Q, KV;
  explicit Shapes(const ModelConfig& c)
      : C(c.hidden_size),
        V(c.vocab_size),
        F(c.intermediate_size),
        Q(c.num_attention_heads * c.head_dim),
        KV(c.num_key_value_heads * c.head_dim) {}
};

std::vector<TensorSpec> dream_table(const ModelConfig& c) {
  const Shapes s(c);
  std::vector<TensorSpec> out;
  out.push_back({"model.embed_tokens.weight", {s.V, s.C}, R::Embedding, -1, S::Embed});
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.push_back({p + "input_layernorm.weight", {s.C}, R::Norm, l, S::AttnNorm});
    out.push_back({p + "self_attn.q_proj.weight", {s.Q, s.C}, R::Matrix, l, S::Wq});
    out.push_back({p + "self_attn.q_proj.bias", {s.Q}, R::Bias, l, S::Bq});
    out.push_back({p + "self_attn.k_proj.weight", {s.KV, s.C}, R::Matrix, l, S::Wk});
    out.push_back({p + "self_attn.k_proj.bias", {s.KV}, R::Bias, l, S::Bk});
    out.push_back({p + "self_attn.v_proj.weight", {s.KV, s.C}, R::Matrix, l, S::Wv});
    out.push_back({p + "self_attn.v_proj.bias", {s.KV}, R::Bias, l, S::Bv});
    out.push_back({p + "self_attn.o_proj.weight", {s.C, s.Q}, R::Matrix, l, S::Wo});
    out.push_back({p + "post_attention_layernorm.weight", {s.C}, R::Norm, l, S::MlpNorm});
    out.push_back({p + "mlp.gate_proj.weight", {s.F, s.C}, R::Matrix, l, S::Gate});
    out.push_back({p + "mlp.up_proj.weight", {s.F, s.C}, R::Matrix, l, S::Up});
    out.push_back({p + "mlp.down_proj.weight", {s.C, s.F}, R::Matrix, l, S::Down});
  }
  out.push_back({"model.norm.weight", {s.C}, R::Norm, -1, S::FinalNorm});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {s.V, s.C}, R::Head, -1, S::Head});
  return out;
}

std::vector<TensorSpec> llada_table(const ModelConfig& c) {
  const Shapes s(c);
  std::vector<TensorSpec> out;
  out.push_back({"model.transformer.wte.weight", {s.V, s.C}, R::Embedding, -1, S::Embed});
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.transformer.blocks." + std::to_string(l) + ".";
    out.push_back({p + "attn_norm.weight", {s.C}, R::Norm, l, S::AttnNorm});
    out.push_back({p + "q_proj.weight", {s.Q, s.C}, R::Matrix, l, S::Wq});
    out.push_back({p + "k_proj.weight", {s.KV, s.C}, R::Matrix, l, S::Wk});
    out.push_back({p + "v_proj.weight", {s.KV, s.C}, R::Matrix, l, S::Wv});
    out.push_back({p + "attn_out.weight", {s.C, s.Q}, R::Matrix, l, S::Wo});
    out.push_back({p + "ff_norm.weight", {s.C}, R::Norm, l, S::MlpNorm});
    out.push_back({p + "ff_proj.weight", {s.F, s.C}, R::Matrix, l, S::Gate});
    out.push_back({p + "up_proj.weight", {s.F, s.C}, R::Matrix, l, S::Up});
    out.push_back({p + "ff_out.weight", {s.C, s.F}, R::Matrix, l, S::Down});
  }
  out.push_back({"model.transformer.ln_f.weight", {s.C}, R::Norm, -1, S::FinalNorm});
  if (!c.tie_word_embeddings)
    out.push_back({"model.transformer.ff_out.weight", {s.V, s.C}, R::Head, -1, S::Head});
  return out;
}

}  // namespace

std::vector<TensorSpec> tensor_table(const ModelConfig& c) {
  switch (c.arch) {
    case Arch::Dream:
      return dream_table(c);
    case Arch::Llada:
      return llada_table(c);
  }
  DC_ASSERT(false, "tensor_table: unknown architecture");
  return {};
}

TensorIndex::TensorIndex(const std::vector<TensorSpec>& table) {
  int64_t layers = 0;
  for (const TensorSpec& t : table) layers = std::max(layers, t.layer + 1);
  layer.assign(size_t(layers * kLayerSlots), -1);
  for (size_t i = 0; i < table.size(); ++i) {
    const TensorSpec& t = table[i];
    if (t.layer >= 0)
      layer[size_t(t.layer * kLayerSlots + int(t.slot) - int(S::AttnNorm))] = int64_t(i);
    else if (t.slot == S::Embed)
      embed = int64_t(i);
    else if (t.slot == S::FinalNorm)
      final_norm = int64_t(i);
    else if (t.slot == S::Head)
      head = int64_t(i);
  }
}

}  // namespace dc

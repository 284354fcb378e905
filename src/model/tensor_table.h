// Every tensor of a checkpoint of the configured architecture (architecture.h) with its Hugging Face name,
// shape (PyTorch order, [out, in]), role and slot, in the one fixed order that parameters, gradients,
// optimizer moments and random checkpoints share. Dream (SPEC §1):
//   model.embed_tokens.weight; per layer l: input_layernorm, self_attn.{q,k,v}_proj.{weight,bias},
//   self_attn.o_proj.weight, post_attention_layernorm, mlp.{gate,up,down}_proj.weight; model.norm.weight;
//   lm_head.weight unless the embeddings are tied.
// LLaDA (docs/LLADA.md §3):
//   model.transformer.wte.weight; per block l: attn_norm, {q,k,v}_proj, attn_out, ff_norm, ff_proj (gate),
//   up_proj, ff_out (down); model.transformer.ln_f.weight; model.transformer.ff_out.weight unless tied.
// Validation of a checkpoint, the weight loader, the training parameters, random weights and the tests all
// read this table; nothing else spells a tensor name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace dc {

enum class TensorRole { Embedding, Norm, Matrix, Bias, Head };

// What a tensor is in the network, whatever its architecture calls it.
enum class TensorSlot : uint8_t {
  Embed,      // [V, C]
  AttnNorm,   // [C]   norm before attention
  Wq,         // [H D, C]
  Bq,         // [H D]   (architectures with q/k/v biases)
  Wk,         // [Hkv D, C]
  Bk,         // [Hkv D]
  Wv,         // [Hkv D, C]
  Bv,         // [Hkv D]
  Wo,         // [C, H D] attention output projection
  MlpNorm,    // [C]   norm before the MLP
  Gate,       // [F, C]
  Up,         // [F, C]
  Down,       // [C, F]
  FinalNorm,  // [C]
  Head,       // [V, C] output head (absent when tied to the embedding)
};
constexpr int kLayerSlots = int(TensorSlot::Down) - int(TensorSlot::AttnNorm) + 1;  // slots inside a layer

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  TensorRole role = TensorRole::Matrix;
  int64_t layer = -1;  // -1: not part of a layer
  TensorSlot slot = TensorSlot::Embed;
};

std::vector<TensorSpec> tensor_table(const ModelConfig& cfg);

// Position of every (layer, slot) in tensor_table(cfg): index(l, s) is -1 for a slot the architecture
// lacks (LLaDA's biases, a tied head).
struct TensorIndex {
  int64_t embed = -1, final_norm = -1, head = -1;
  std::vector<int64_t> layer;  // [L * kLayerSlots]
  TensorIndex() = default;
  explicit TensorIndex(const std::vector<TensorSpec>& table);
  int64_t of(int64_t l, TensorSlot s) const {
    return layer[size_t(l * kLayerSlots + int(s) - int(TensorSlot::AttnNorm))];
  }
};

}  // namespace dc

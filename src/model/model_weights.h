// The weights of a model (either architecture, tensor_table.h; names below are Dream's) prepared for the
// forward pass: every matrix packed once for the
// active ISA (BF16 stays BF16, F32 stays F32), norms kept as zero-copy views into the checkpoint.
// This file only loads and packs; the forward pass is in transformer_model.cpp.
//
// Fusions done here, once: q_proj, k_proj and v_proj are stacked row-wise into one [(H + 2 Hkv) D, C]
// matrix (one GEMM with a wider output instead of three, two of them only Hkv*D wide), their biases into one
// fp32 vector (LLaDA has none). Everything else is packed as stored.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.h"
#include "kernels/ops.h"
#include "model/checkpoint.h"
#include "model/config.h"

namespace dc {

struct LayerWeights {
  TensorView input_norm;        // [C] input_layernorm.weight
  TensorView post_norm;         // [C] post_attention_layernorm.weight
  kernels::PackedWeight qkv;    // [(H + 2 Hkv) D, C]: rows of q_proj, then k_proj, then v_proj
  std::vector<float> qkv_bias;  // [(H + 2 Hkv) D] the three biases, same order, fp32; empty without biases
  kernels::PackedWeight o;      // [C, H D] o_proj (no bias)
  kernels::PackedWeight gate;   // [F, C] mlp.gate_proj
  kernels::PackedWeight up;     // [F, C] mlp.up_proj
  kernels::PackedWeight down;   // [C, F] mlp.down_proj
};

struct ModelWeights {
  ModelConfig config;
  TensorView embed;  // [V, C] model.embed_tokens.weight, as stored (rows gathered per token)
  std::vector<LayerWeights> layers;
  TensorView final_norm;          // [C] model.norm.weight
  kernels::PackedWeight lm_head;  // [V, C] lm_head.weight, or the embedding matrix when tied
  // Stacked q/k/v sources that a zero-copy (View layout) PackedWeight points into; empty when the active
  // ISA packs into its own storage.
  std::vector<std::shared_ptr<std::vector<uint8_t>>> owned;
};

// Validates the checkpoint's tensors against its config (validate_tensors) and packs them.
// The checkpoint must outlive the result (norms and the embedding are views into it). Throws dc::Error.
ModelWeights load_model_weights(const Checkpoint& ckpt);

// Widens a 1-D or 2-D float tensor (F32, F16, BF16) to fp32, or dequantizes a block-quantized one.
std::vector<float> tensor_to_f32(const TensorView& t);

// dst[C] = row `row` of a 2-D [rows, C] tensor (F32, F16, BF16 or block-quantized), widened to fp32.
void embedding_row(const TensorView& e, int64_t row, float* dst);

}  // namespace dc

// The Dream architecture's tensor table (SPEC §1): every tensor of a checkpoint with its Hugging Face name,
// shape (PyTorch order, [out, in]) and role, in the one fixed order that parameters, gradients, optimizer
// moments and random checkpoints share:
//   model.embed_tokens.weight; per layer l: input_layernorm, self_attn.{q,k,v}_proj.{weight,bias},
//   self_attn.o_proj.weight, post_attention_layernorm, mlp.{gate,up,down}_proj.weight; model.norm.weight;
//   lm_head.weight unless the embeddings are tied.
// Validation of a checkpoint, the training parameters, random weights and the tests all read this table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace dc {

enum class TensorRole { Embedding, Norm, Matrix, Bias, Head };

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  TensorRole role = TensorRole::Matrix;
  int64_t layer = -1;  // -1: not part of a layer
};

std::vector<TensorSpec> tensor_table(const ModelConfig& cfg);

}  // namespace dc

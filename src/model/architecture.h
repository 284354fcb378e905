// The architectures the engine runs, and what sets them apart (the seam every model-specific choice goes
// through). Both are bidirectional Llama-style transformers (RMSNorm, rotate-half RoPE, GQA attention
// without a causal mask, SwiGLU MLP, optional tied head), so one forward pass (transformer_model.h) and one
// training pass (training_pass.h) serve both; the differences are properties of the architecture:
//
//   | property              | Dream / DiffuCoder (SPEC §1)      | LLaDA (docs/LLADA.md)                   |
//   |-----------------------|-----------------------------------|-----------------------------------------|
//   | config.json           | Qwen2 fields, model_type "Dream"  | OLMo fields, model_type "llada"         |
//   | tensor names          | model.layers.N.self_attn.*        | model.transformer.blocks.N.*            |
//   | q/k/v biases          | yes                               | no                                      |
//   | logits                | shifted: row i predicts i + 1     | not shifted: row i predicts i           |
//   | mask token            | config, else <|mask|>             | config, else <|mdm_mask|>, else 126336  |
//   | default sampler       | entropy order, one pass           | low_confidence, semi-AR blocks of 32    |
//   | chat template         | ChatML with a system prompt       | Llama-3 headers, no system prompt       |
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dc {

enum class Arch : uint8_t { Dream, Llada };

struct ArchTraits {
  Arch arch;
  const char* model_type;     // canonical config.json spelling
  const char* architectures;  // config.json "architectures" entry written with it
  bool qkv_bias;              // q/k/v projections carry biases
  bool logits_shifted;        // raw row i predicts canvas position i + 1 (else position i)
  const char* mask_spelling;  // the tokenizer's mask token
  int32_t default_mask_id;    // used when neither config nor tokenizer gives one (-1: none)
  const char* end_of_turn;    // the instruct template's end-of-turn token
  const char* default_alg;    // default remasking rule of `generate`
  int default_block_length;   // default semi-AR block length (0: one pass over the whole canvas)
};

const ArchTraits& arch_traits(Arch arch);

// The architecture's semi-AR block length for a generation of max_new_tokens slots: its
// default_block_length when that divides max_new_tokens, else 0 (one block).
inline int default_block_length(Arch arch, int max_new_tokens) {
  const int b = arch_traits(arch).default_block_length;
  return b > 0 && max_new_tokens % b == 0 ? b : 0;
}

// 1 when raw row i predicts position i + 1 (Dream), 0 when it predicts position i (LLaDA).
inline int logit_shift(Arch arch) {
  return arch_traits(arch).logits_shifted ? 1 : 0;
}

// The architecture named by a config.json model_type (compared case-insensitively); nullopt if unknown.
std::optional<Arch> arch_of_model_type(std::string_view model_type);

// "Dream, llada": for messages that list what is supported.
const char* supported_model_types();

}  // namespace dc

// Converting a Hugging Face Dream checkpoint folder (config.json, safetensors, tokenizer files) into one
// GGUF v3 file laid out as SPEC §10 and gguf_dream.h describe, for this engine and for llama.cpp's
// diffusion CLI. Each tensor is stored in the type model/quant_plan.h plans for the requested type: matrices
// in that type (4-bit models keep the head at Q6_K), 1-D tensors (norms, biases) F32, as llama.cpp's
// converter keeps them. Float values are converted by round-to-nearest-even (F32 -> F32 copies the bits);
// block types are encoded by kernels/quant.h, a matrix's rows in parallel over the pool. The tokenizer must
// be Qwen2's byte-level BPE; tensors the architecture does not use (e.g. rotary_emb.inv_freq) are left out.
// The file is written atomically, one tensor in memory at a time.
#pragma once

#include <map>
#include <string>

#include "core/dtype.h"

namespace dc {

struct GgufConvertStats {
  size_t tensors = 0;
  uint64_t bytes = 0;                  // tensor data written
  int64_t tokens = 0;                  // entries of tokenizer.ggml.tokens
  std::map<std::string, int> by_type;  // tensors per stored type name ("Q4_K": 42, "F32": 85, ...)
};

// `type`: F32, F16, BF16, Q8_0, Q4_0 or Q4_K (is_model_target_type). Throws dc::Error for an `out` that
// exists (unless `overwrite`), a folder that is not a Dream checkpoint, or a tokenizer GGUF cannot describe.
GgufConvertStats convert_to_gguf(const std::string& model_dir, const std::string& out, DType type,
                                 bool overwrite);

// "74 tensors, 11.562 MB (Q4_K 36, Q6_K 1, F32 37), 4101 tokens": one line for the CLI.
std::string describe_conversion(const GgufConvertStats& s);

}  // namespace dc

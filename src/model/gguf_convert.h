// Converting a Hugging Face Dream checkpoint folder (config.json, safetensors, tokenizer files) into one
// GGUF v3 file laid out as SPEC §10 and gguf_dream.h describe, for this engine and for llama.cpp's
// diffusion CLI. Matrices (2-D tensors) are stored in the requested float type; 1-D tensors (norms, biases)
// stay F32, as llama.cpp's converter keeps them. Values are converted by round-to-nearest-even (F32 -> F32
// copies the bits). The tokenizer must be Qwen2's byte-level BPE; tensors the architecture does not use
// (e.g. rotary_emb.inv_freq) are left out. The file is written atomically, one tensor in memory at a time.
#pragma once

#include <string>

#include "core/dtype.h"

namespace dc {

struct GgufConvertStats {
  size_t tensors = 0;
  uint64_t bytes = 0;  // tensor data written
  int64_t tokens = 0;  // entries of tokenizer.ggml.tokens
};

// `type`: F32, F16 or BF16. Throws dc::Error for an `out` that exists (unless `overwrite`), a folder that is
// not a Dream checkpoint, or a tokenizer GGUF cannot describe.
GgufConvertStats convert_to_gguf(const std::string& model_dir, const std::string& out, DType type,
                                 bool overwrite);

}  // namespace dc

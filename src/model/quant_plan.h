// Which type each tensor of a model is stored in when the model is converted to a target type: the rules of
// `diffucoder convert --type` and `diffucoder quantize` (README, "Quantized weights and GGUF").
//
//  * 1-D tensors (norms, biases) stay F32, as published GGUF files keep them.
//  * Float targets (F32, F16, BF16): every matrix in the target type.
//  * Q8_0: every matrix in Q8_0.
//  * Q4_0 / Q4_K: the layers' matrices and an untied embedding in the target type; the output head (or the
//    tied embedding, which is the head) in Q6_K, the 6-bit type published 4-bit files keep it at, because
//    its errors land directly on the logits.
//  * A matrix whose row length is not a whole number of the chosen type's blocks falls back: K-quants to
//    Q8_0 (rows of 32), then Q8_0 / Q4_0 to F16. The fallbacks are rare (the 7B shapes have rows of 3584
//    and 18944 values, multiples of 256).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/dtype.h"
#include "model/tensor_table.h"

namespace dc {

// True for the types a model can be converted to: F32, F16, BF16, Q8_0, Q4_0, Q4_K.
bool is_model_target_type(DType type);

// The target type named on the command line: "f32", "f16", "bf16", "q8_0", "q4_0" or "q4_k" (lower case).
// Throws dc::Error "--type 'NAME': expected one of ..." naming `accepted` when the name is not one of them.
DType parse_model_target_type(std::string_view name, std::string_view accepted);

// The stored type of `t` in a model converted to `target` (is_model_target_type); `tied`: the embedding
// is also the output head.
DType planned_type(const TensorSpec& t, DType target, bool tied);

// llama.cpp's general.file_type for a model converted to `target` (0 F32, 1 F16, 7 Q8_0, 2 Q4_0,
// 14 Q4_K "small", 32 BF16).
uint32_t gguf_file_type(DType target);

}  // namespace dc

// Cutting a generated completion to the answer (SPEC §2, post-processing), on token ids. The special ids
// come from the tokenizer of the checkpoint; nothing here hard-codes a vocabulary.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dc {

// Instruct / cpGRPO checkpoints: keep the tokens before the first `dlm_pad` and before the first `im_end`.
// The assistant's turn ends at `im_end`; the chat template follows it with "\n" before the fill, so the
// SPEC's "strip a trailing im_end" alone would leave "<|im_end|>\n" on answers of such models.
std::vector<int32_t> postprocess_instruct(std::span<const int32_t> tokens, int32_t dlm_pad, int32_t im_end);

// Base / Dream checkpoints: keep the tokens before the first `end_of_text`.
std::vector<int32_t> postprocess_base(std::span<const int32_t> tokens, int32_t end_of_text);

}  // namespace dc

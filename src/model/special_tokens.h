// The special token ids of a model, resolved in one place and handed to everything (sampler, generator,
// training, RL, analysis): config.json first, then the tokenizer's roles (tokenizer_config.json's
// mask/pad/bos/eos tokens) and its added tokens by spelling.
//
//   mask         config mask_token_id, else the tokenizer's mask role, else the architecture's mask token
//                (<|mask|>; LLaDA: <|mdm_mask|>, else id 126336 when the model has that many rows).
//                Required: a model without one gets one line naming the folder.
//   pad          config pad_token_id, else the tokenizer's pad role, else <|endoftext|>
//   bos / eos    config, else the tokenizer's roles (-1 when neither has one)
//   end_of_text  <|endoftext|>, else eos (base-model post-processing cuts here)
//   dlm_pad      <|dlm_pad|> (-1 when the vocabulary has none: base and Dream checkpoints)
//   end_of_turn  the chat template's end of turn: <|im_end|> (LLaDA: <|eot_id|>); -1 when absent
#pragma once

#include <cstdint>
#include <string>

#include "model/config.h"
#include "tokenizer/tokenizer.h"

namespace dc {

struct SpecialTokens {
  int32_t mask = -1, pad = -1, bos = -1, eos = -1;
  int32_t end_of_text = -1, dlm_pad = -1, end_of_turn = -1;
};

// Throws dc::Error naming `source` when there is no mask token, or when a resolved id is outside the
// model's vocabulary.
SpecialTokens resolve_special_tokens(const ModelConfig& cfg, const Tokenizer& tok, const std::string& source);

// Writes the resolved mask / pad / bos / eos into `cfg` (so that checkpoints written from it carry them).
void apply_special_tokens(const SpecialTokens& s, ModelConfig& cfg);

}  // namespace dc

// Building in-memory training sets from user files with a model's tokenizer (what `diffucoder train` and
// `diffucoder sft` read until sharded datasets are used):
//  * pre-training: text files, each tokenised and followed by a separator id (the EOS), concatenated, and
//    cut into sequences of seq_len tokens;
//  * SFT (SPEC §5): JSON lines {"prompt": ..., "response": ...}; the prompt is wrapped in the instruct chat
//    template (tokenizer/chat_template.h) and never masked, the response is followed by "<|im_end|>\n" (the
//    template's turn end) and filled with <|dlm_pad|> up to seq_len. Samples whose prompt + response +
//    turn end exceed seq_len are skipped (counted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/architecture.h"
#include "tokenizer/tokenizer.h"
#include "train/token_dataset.h"

namespace dc::train {

// Throws dc::Error naming the file on I/O errors, or when the files do not fill one sequence.
InMemoryDataset text_corpus(const Tokenizer& tok, const std::vector<std::string>& files, int64_t seq_len,
                            int32_t separator);

// How an architecture's instruct models frame an SFT sample (architecture.h): the chat template of the
// prompt, the end of the answer's turn and the fill after it.
//   Dream / DiffuCoder: ChatML prompt, "<|im_end|>\n", then <|dlm_pad|> (else `fallback_fill`);
//   LLaDA:              Llama-3 header prompt, "<|eot_id|>", then <|endoftext|> (docs/LLADA.md §6-7).
struct SftLayout {
  Arch arch = Arch::Dream;
  int32_t end_of_turn = -1, fill = -1;
  std::vector<int32_t> after_turn;  // tokens that follow end_of_turn (Dream: those of "\n")
  // Throws dc::Error naming `source` when the tokenizer lacks a token the layout needs.
  static SftLayout of(const Tokenizer& tok, Arch arch, int32_t fallback_fill, const std::string& source);
  // The templated prompt for one user turn (`system` nullopt: the architecture's default).
  std::string prompt(const std::string& query, const std::optional<std::string>& system) const;
};

// One SFT training sequence: the templated prompt's tokens (never masked), the response's, then the turn
// end and the fill up to seq_len. Empty tokens when it does not fit. The one place that lays out SFT
// samples (`diffucoder data --sft` and `sft_corpus` both use it).
TokenSequence sft_sequence(const Tokenizer& tok, const std::string& templated_prompt,
                           const std::string& response, const SftLayout& layout, int64_t seq_len);

struct SftCorpus {
  InMemoryDataset data;
  int64_t skipped = 0;  // samples longer than seq_len
};
// Throws dc::Error "FILE:LINE: ..." for a line that is not a JSON object with string "prompt" and
// "response", or when no sample fits.
SftCorpus sft_corpus(const Tokenizer& tok, const std::string& jsonl_path, int64_t seq_len,
                     const SftLayout& layout);

}  // namespace dc::train

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
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "train/token_dataset.h"

namespace dc::train {

// Throws dc::Error naming the file on I/O errors, or when the files do not fill one sequence.
InMemoryDataset text_corpus(const Tokenizer& tok, const std::vector<std::string>& files, int64_t seq_len,
                            int32_t separator);

// One SFT training sequence: the templated prompt's tokens (never masked), the response's, then the turn end
// "<|im_end|>\n" and the <|dlm_pad|> fill up to seq_len. Empty tokens when it does not fit. The one place
// that lays out SFT samples (`diffucoder data --sft` and `sft_corpus` both use it).
struct SftLayout {
  int32_t im_end = -1, pad = -1;
  std::vector<int32_t> newline;  // the tokens of "\n"
  static SftLayout of(const Tokenizer& tok, int32_t im_end, int32_t pad) {
    return {im_end, pad, tok.encode("\n")};
  }
};
TokenSequence sft_sequence(const Tokenizer& tok, const std::string& templated_prompt,
                           const std::string& response, const SftLayout& layout, int64_t seq_len);

struct SftCorpus {
  InMemoryDataset data;
  int64_t skipped = 0;  // samples longer than seq_len
};
// im_end, pad: the ids of <|im_end|> and <|dlm_pad|>. Throws dc::Error "FILE:LINE: ..." for a line that is
// not a JSON object with string "prompt" and "response", or when no sample fits.
SftCorpus sft_corpus(const Tokenizer& tok, const std::string& jsonl_path, int64_t seq_len, int32_t im_end,
                     int32_t pad);

}  // namespace dc::train

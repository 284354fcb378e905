// Building in-memory training sets from user files with a model's tokenizer (what `diffucoder train` and
// `diffucoder sft` read until sharded datasets are used):
//  * pre-training: text files, each tokenised and followed by a separator id (the EOS), concatenated, and
//    cut into sequences of seq_len tokens;
//  * SFT (SPEC §5): JSON lines {"prompt": ..., "response": ...}; the prompt is wrapped in the instruct chat
//    template (tokenizer/chat_template.h) and never masked, the response is followed by <|im_end|> and filled
//    with <|dlm_pad|> up to seq_len. Samples whose prompt + response + <|im_end|> exceed seq_len are
//    skipped (counted).
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

struct SftCorpus {
  InMemoryDataset data;
  int64_t skipped = 0;  // samples longer than seq_len
};
// im_end, pad: the ids of <|im_end|> and <|dlm_pad|>. Throws dc::Error "FILE:LINE: ..." for a line that is
// not a JSON object with string "prompt" and "response", or when no sample fits.
SftCorpus sft_corpus(const Tokenizer& tok, const std::string& jsonl_path, int64_t seq_len, int32_t im_end,
                     int32_t pad);

}  // namespace dc::train

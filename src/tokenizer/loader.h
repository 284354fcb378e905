// Reading tokenizer files into one neutral description (TokenizerSpec), from either layout:
//  * Hugging Face's fast format, one `tokenizer.json` (model BPE, normalizer NFC or none, pre-tokenizer
//    Split(regex, Isolated) + ByteLevel(use_regex=false) or ByteLevel(use_regex=true), decoder ByteLevel);
//  * the "slow" layout of DiffuCoder's DreamTokenizer (and Qwen2Tokenizer): vocab.json + merges.txt, with
//    added tokens from tokenizer_config.json's added_tokens_decoder and added_tokens.json. Its pipeline is
//    Qwen2's: NFC, the Qwen2 split regex, byte-level BPE.
// In both layouts tokenizer_config.json and special_tokens_map.json (when present, the latter wins) name
// the bos/eos/pad/mask/unk tokens. Every problem with a file is a dc::Error naming that file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/added_tokens.h"

namespace dc::tok {

struct TokenizerSpec {
  std::string vocab_source;                                 // file that held the vocabulary (for messages)
  std::string merges_source;                                // file that held the merges
  std::string added_source;                                 // file that declared the added tokens
  std::unordered_map<std::string, int32_t> vocab;           // byte-level spelling -> id
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::vector<AddedToken> added;
  bool nfc = true;
  std::string pattern;  // word-split regex, Oniguruma syntax

  // Spellings of the role tokens, from the configuration files, and the file that named them.
  std::string special_source;
  std::optional<std::string> bos, eos, pad, mask, unk;
};

// Reads `path` (a tokenizer.json file, or a folder holding tokenizer.json or vocab.json + merges.txt),
// plus the configuration files next to it.
TokenizerSpec load_tokenizer_spec(const std::string& path);

// One merge rule "a b" (two tokens, one space) split in two; throws dc::Error naming `where` otherwise.
std::pair<std::string, std::string> split_merge(std::string_view line, const std::string& where);

}  // namespace dc::tok

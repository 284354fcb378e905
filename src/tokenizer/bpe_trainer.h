// Training a byte-level BPE vocabulary with the Qwen2 pipeline (SPEC §2), and writing it as a Hugging Face
// tokenizer.json that both dc::Tokenizer and Hugging Face `tokenizers` load and encode identically.
//
// Pipeline, as the encoder applies it: text -> U+FFFD for invalid UTF-8 -> special tokens cut out -> NFC ->
// Qwen2 split regex (tokenizer/pretokenizer.h) -> words of bytes. Training counts distinct words, starts
// from the 256 single bytes (id = byte value) and repeatedly merges the most frequent adjacent pair of
// symbols, summed over words weighted by their counts (ties: the pair with the smaller left id, then the
// smaller right id). Each merge gets the next id unless its byte string is already a token (two merge
// paths can spell the same bytes: the merge is kept, the token reused). Training stops at `vocab_size`
// BPE tokens or when no pair occurs `min_frequency` times. Special tokens follow the BPE ids in order.
//
// Cost: one pass over the text to count words, then per merge only the words that contain the pair
// (pair -> word index lists; a max-heap of pair counts with lazy deletion).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/pretokenizer.h"

namespace dc::tok {

// The special tokens every trained tokenizer gets, in id order after the BPE vocabulary.
std::vector<std::string> default_special_tokens();

struct BpeTrainOptions {
  int64_t vocab_size = 8192;  // BPE tokens including the 256 bytes; special tokens come on top
  int64_t min_frequency = 2;  // a pair must occur at least this often to be merged
  std::vector<std::string> special_tokens = default_special_tokens();
};

// Counts pre-tokenized words over any number of texts.
class WordCounter {
 public:
  explicit WordCounter(std::vector<std::string> special_tokens = default_special_tokens());
  void add_text(std::string_view text);
  const std::unordered_map<std::string, int64_t>& counts() const { return counts_; }
  int64_t total_words() const { return total_; }

 private:
  void add_piece(std::string_view piece);
  std::vector<std::string> specials_;
  SplitRegex split_;
  std::unordered_map<std::string, int64_t> counts_;  // word bytes -> occurrences
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;
  int64_t total_ = 0;
};

struct BpeModel {
  std::vector<std::string> tokens;                  // id -> bytes (ids 0..255: the single bytes)
  std::vector<std::pair<int32_t, int32_t>> merges;  // in rank order: (left id, right id)
  std::vector<int32_t> merge_result;                // id of each merge's token
  std::vector<std::string> special_tokens;          // ids tokens.size() + i
};

// Learns merges from word counts. Throws dc::Error when vocab_size < 256.
BpeModel train_bpe(const std::unordered_map<std::string, int64_t>& word_counts, const BpeTrainOptions& opt);

// The tokenizer.json text (NFC, Split(Qwen2 regex, Isolated) + ByteLevel(use_regex=false), BPE, ByteLevel
// decoder; special tokens as added tokens with special=true).
std::string bpe_tokenizer_json(const BpeModel& model);

// tokenizer_config.json naming the role tokens among the special tokens: eos <|endoftext|>, pad
// <|dlm_pad|> (else <|endoftext|>), mask <|mask|>, no bos; only those present are named.
std::string bpe_tokenizer_config_json(const BpeModel& model);

// Writes tokenizer.json and tokenizer_config.json into directory `dir` (created when missing).
void write_bpe_tokenizer(const BpeModel& model, const std::string& dir);

}  // namespace dc::tok

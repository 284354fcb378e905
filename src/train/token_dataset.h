// The trainer's view of data: a fixed number of fixed-length token sequences, addressed by index.
//
// TokenDataset is the only thing the trainer (trainer.h) knows about data. A sequence holds exactly
// seq_len() tokens; for SFT it also says how many leading tokens are the prompt (never masked), the rest
// being the response already filled with <|dlm_pad|> up to the fixed length. Implementations must be
// deterministic (get(i) always returns the same sequence) and thread-compatible for const use.
// InMemoryDataset is the simple implementation for tests and small corpora; sharded on-disk datasets
// implement the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dc::train {

struct TokenSequence {
  std::vector<int32_t> tokens;  // seq_len() ids
  int64_t prompt_len = 0;       // SFT: tokens [0, prompt_len) are never masked; 0 for pre-training
};

class TokenDataset {
 public:
  virtual ~TokenDataset() = default;
  virtual int64_t size() const = 0;                               // number of sequences (> 0)
  virtual int64_t seq_len() const = 0;                            // tokens per sequence
  virtual void get(int64_t index, TokenSequence& out) const = 0;  // 0 <= index < size()
};

class InMemoryDataset : public TokenDataset {
 public:
  // Every sequence must have the same length (dc::Error otherwise, or when empty).
  explicit InMemoryDataset(std::vector<TokenSequence> seqs);
  // Cuts a token stream into consecutive sequences of `seq_len` (the tail that does not fill one is dropped).
  static InMemoryDataset from_stream(const std::vector<int32_t>& stream, int64_t seq_len);

  int64_t size() const override { return int64_t(seqs_.size()); }
  int64_t seq_len() const override { return seq_len_; }
  void get(int64_t index, TokenSequence& out) const override { out = seqs_.at(size_t(index)); }

 private:
  std::vector<TokenSequence> seqs_;
  int64_t seq_len_ = 0;
};

}  // namespace dc::train

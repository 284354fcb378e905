// Tokenized, packed, shuffled training shards on disk (`diffucoder data`), and the TokenDataset that reads
// them (train/token_dataset.h).
//
// Layout of an output directory:
//   dataset.json      manifest: {"format": "diffucoder-shards", "version": 1, "kind": "text"|"sft",
//   "seq_len",
//                     "vocab_size", "seed", "splits": {"train"|"val": {"shards": [file names], "sequences",
//                     "sources", "tokens", "files" (text only)}}}
//   train-NNNNN.bin, val-NNNNN.bin   shards, at most seqs_per_shard sequences each
// A shard, all integers little-endian:
//   bytes 0..63  header: "DCSHARD1" | u32 version (1) | u32 kind (0 text, 1 sft) | u32 token bytes (2 or 4)
//                | u32 0 | i64 seq_len | i64 sequences (n) | i64 vocab_size | zero padding
//   sft only:    u32 prompt_len[n]
//   then         token ids (n, seq_len), u16 when vocab_size <= 65536, else u32
//
// Text (pre-training): each source file is tokenized and followed by <|endoftext|>; the validation split
// takes whole files (a shuffled val_fraction of them, at least one when val_fraction > 0), so no file
// contributes to both splits. Each split's stream is cut into sequences of seq_len (the tail that does not
// fill one is dropped), the sequences shuffled with `seed`, and written in that order.
// SFT: JSON lines {"prompt", "response"[, "system"]}; a sequence is the chat-templated prompt
// (train/corpus.h, SftLayout of `chat_format`), never masked (prompt_len), then the response, the turn end
// and the fill up to seq_len (SPEC §5). Examples longer than seq_len are skipped (counted). The validation
// split takes a shuffled val_fraction of the examples; the sequences are shuffled as for text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/architecture.h"
#include "tokenizer/tokenizer.h"
#include "train/token_dataset.h"

namespace dc::train {

struct DataBuildOptions {
  std::string out_dir;
  int64_t seq_len = 1024;
  double val_fraction = 0.05;  // 0: no validation split
  uint64_t seed = 1;
  int64_t seqs_per_shard = 8192;
  Arch chat_format = Arch::Dream;  // sft: whose chat template and turn end frame the samples (corpus.h)
};

struct DataSplitStats {
  int64_t sources = 0;  // files (text) or examples (sft)
  int64_t sequences = 0;
  int64_t tokens = 0;  // tokens written, padding included
  std::vector<std::string> shards;
  std::vector<std::string> files;  // text: the source files of this split, in stream order
};

struct DataBuildStats {
  DataSplitStats train, val;
  int64_t skipped = 0;  // sft examples longer than seq_len
};

// Throws dc::Error naming the file for unreadable inputs, "FILE:LINE: ..." for bad jsonl lines, and when
// the training split gets no sequence.
DataBuildStats build_text_shards(const Tokenizer& tok, const std::vector<std::string>& files,
                                 const DataBuildOptions& opt);
DataBuildStats build_sft_shards(const Tokenizer& tok, const std::vector<std::string>& jsonl_files,
                                const DataBuildOptions& opt);

// The sequences of one split of a shard directory, memory-mapped.
class ShardDataset : public TokenDataset {
 public:
  // `dir`: a directory written by build_*_shards; `split`: "train" or "val". Validates every shard against
  // the manifest (sizes, seq_len, ids < vocab_size, prompt_len <= seq_len); dc::Error names the bad file.
  ShardDataset(const std::string& dir, const std::string& split);
  ~ShardDataset() override;

  int64_t size() const override { return total_; }
  int64_t seq_len() const override { return seq_len_; }
  void get(int64_t index, TokenSequence& out) const override;
  bool is_sft() const { return sft_; }
  int64_t vocab_size() const { return vocab_size_; }

 private:
  struct Shard;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<int64_t> starts_;  // first sequence index of each shard
  int64_t total_ = 0, seq_len_ = 0, vocab_size_ = 0;
  bool sft_ = false;
};

// Writes one shard file (exposed for tests): `tokens` is (n, seq_len); `prompt_lens` has n entries for sft
// and is empty for text.
void write_shard(const std::string& path, int64_t seq_len, int64_t vocab_size,
                 const std::vector<int32_t>& tokens, const std::vector<uint32_t>& prompt_lens, bool sft);

}  // namespace dc::train

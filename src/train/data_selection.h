// How `diffucoder train` and `diffucoder sft` read their --data and --val: which kind of training set the
// paths name, and which validation set goes with it.
//  * one folder holding dataset.json: shards written by `diffucoder data` (its "train" split); validation
//    is the "val" split of the --val folder, else of the same folder, when the manifest lists one and it
//    holds sequences. The shards fix seq_len and must be of the run's kind (text or sft) and fit the
//    model's vocabulary.
//  * sft: exactly one JSON-lines file {"prompt", "response"} (train/corpus.h), validation the first --val
//    file; the tokenizer must have <|im_end|>, and <|dlm_pad|> fills (else the model's pad id).
//  * train: text files, each followed by the EOS id; validation the --val text files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "tokenizer/tokenizer.h"
#include "train/token_dataset.h"

namespace dc::train {

struct DataRequest {
  std::vector<std::string> data;  // --data: files, or one shard folder
  std::vector<std::string> val;   // --val: files or a shard folder; may be empty
  int64_t seq_len = 256;          // tokens per sequence (shard folders set their own)
  bool sft = false;               // `sft` (prompt/response pairs) rather than `train` (plain text)
};

struct DataSelection {
  std::unique_ptr<TokenDataset> train;
  std::unique_ptr<TokenDataset> val;  // null: no validation data
  int64_t seq_len = 0;                // of the sequences in `train`
  int64_t skipped = 0;                // sft corpus: samples longer than seq_len, left out
};

// True when `path` is a shard folder written by `diffucoder data` (it holds dataset.json).
bool is_shard_folder(const std::string& path);

// Builds or opens the training and validation sets described above. `tok_dir` names the tokenizer in
// errors. Throws dc::Error with one line naming the file or the rule broken.
DataSelection select_training_data(const DataRequest& req, const Tokenizer& tok, const std::string& tok_dir,
                                   const ModelConfig& cfg);

}  // namespace dc::train

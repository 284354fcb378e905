#include "train/token_dataset.h"

#include "core/error.h"

namespace dc::train {

InMemoryDataset::InMemoryDataset(std::vector<TokenSequence> seqs) : seqs_(std::move(seqs)) {
  if (seqs_.empty()) throw_error("training data: no sequences");
  seq_len_ = int64_t(seqs_[0].tokens.size());
  if (seq_len_ < 2) throw_error("training data: sequences of {} tokens (need at least 2)", seq_len_);
  for (size_t i = 0; i < seqs_.size(); ++i) {
    if (int64_t(seqs_[i].tokens.size()) != seq_len_)
      throw_error("training data: sequence {} has {} tokens, expected {}", i, seqs_[i].tokens.size(),
                  seq_len_);
    if (seqs_[i].prompt_len < 0 || seqs_[i].prompt_len >= seq_len_)
      throw_error("training data: sequence {} has a prompt of {} tokens out of {}", i, seqs_[i].prompt_len,
                  seq_len_);
  }
}

InMemoryDataset InMemoryDataset::from_stream(const std::vector<int32_t>& stream, int64_t seq_len) {
  if (seq_len < 2) throw_error("training data: sequence length {} (need at least 2)", seq_len);
  std::vector<TokenSequence> seqs;
  for (size_t i = 0; i + size_t(seq_len) <= stream.size(); i += size_t(seq_len))
    seqs.push_back({std::vector<int32_t>(stream.begin() + long(i), stream.begin() + long(i) + seq_len), 0});
  if (seqs.empty())
    throw_error("training data: {} tokens do not fill one sequence of {}", stream.size(), seq_len);
  return InMemoryDataset(std::move(seqs));
}

}  // namespace dc::train

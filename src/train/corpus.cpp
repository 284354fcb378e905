#include "train/corpus.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/chat_template.h"

namespace dc::train {

InMemoryDataset text_corpus(const Tokenizer& tok, const std::vector<std::string>& files, int64_t seq_len,
                            int32_t separator) {
  std::vector<int32_t> stream;
  for (const std::string& f : files) {
    const std::vector<int32_t> ids = tok.encode(read_file(f));
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(separator);
  }
  if (int64_t(stream.size()) < seq_len)
    throw_error("{}: the training text gives {} tokens, fewer than one sequence of {}",
                files.empty() ? std::string("(no files)") : files[0], stream.size(), seq_len);
  return InMemoryDataset::from_stream(stream, seq_len);
}

SftCorpus sft_corpus(const Tokenizer& tok, const std::string& path, int64_t seq_len, int32_t im_end,
                     int32_t pad) {
  std::istringstream in(read_file(path));
  std::vector<TokenSequence> seqs;
  int64_t skipped = 0, line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("prompt") || !j["prompt"].is_string() ||
        !j.contains("response") || !j["response"].is_string())
      throw_error("{}:{}: expected a JSON object with string fields \"prompt\" and \"response\"", path,
                  line_no);
    TokenSequence s;
    s.tokens = tok.encode(instruct_prompt(j["prompt"].get<std::string>()));
    s.prompt_len = int64_t(s.tokens.size());
    const std::vector<int32_t> resp = tok.encode(j["response"].get<std::string>());
    s.tokens.insert(s.tokens.end(), resp.begin(), resp.end());
    s.tokens.push_back(im_end);
    if (int64_t(s.tokens.size()) > seq_len) {
      ++skipped;
      continue;
    }
    s.tokens.resize(size_t(seq_len), pad);
    seqs.push_back(std::move(s));
  }
  if (seqs.empty())
    throw_error("{}: no sample fits in {} tokens ({} skipped as too long)", path, seq_len, skipped);
  return {InMemoryDataset(std::move(seqs)), skipped};
}

}  // namespace dc::train

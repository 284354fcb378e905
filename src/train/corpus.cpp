#include "train/corpus.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/chat_format.h"

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

TokenSequence sft_sequence(const Tokenizer& tok, const std::string& templated_prompt,
                           const std::string& response, const SftLayout& layout, int64_t seq_len) {
  TokenSequence s;
  s.tokens = tok.encode(templated_prompt);
  s.prompt_len = int64_t(s.tokens.size());
  const std::vector<int32_t> resp = tok.encode(response);
  s.tokens.insert(s.tokens.end(), resp.begin(), resp.end());
  // ChatML closes every turn with "<|im_end|>\n"; the reward's format rule (SPEC §6) expects the decoded
  // completion to end with "```\n", which is that newline once special tokens are removed.
  s.tokens.push_back(layout.end_of_turn);
  s.tokens.insert(s.tokens.end(), layout.after_turn.begin(), layout.after_turn.end());
  if (int64_t(s.tokens.size()) > seq_len) return {};
  s.tokens.resize(size_t(seq_len), layout.fill);
  return s;
}

SftLayout SftLayout::of(const Tokenizer& tok, Arch arch, int32_t fallback_fill, const std::string& source) {
  auto required = [&](const char* spelling) {
    const auto id = tok.token_id(spelling);
    if (!id) throw_error("{}: the tokenizer has no {} token (needed for sft)", source, spelling);
    return *id;
  };
  SftLayout l;
  l.arch = arch;
  l.end_of_turn = required(arch_traits(arch).end_of_turn);
  if (arch == Arch::Llada) {
    l.fill = required("<|endoftext|>");
  } else {
    l.after_turn = tok.encode("\n");
    l.fill = tok.token_id("<|dlm_pad|>").value_or(fallback_fill);
    if (l.fill < 0) throw_error("{}: the tokenizer has no <|dlm_pad|> token and the model no pad id", source);
  }
  return l;
}

std::string SftLayout::prompt(const std::string& query, const std::optional<std::string>& system) const {
  return chat_prompt(arch, query, system.value_or(""));
}

SftCorpus sft_corpus(const Tokenizer& tok, const std::string& path, int64_t seq_len,
                     const SftLayout& layout) {
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
    TokenSequence s = sft_sequence(tok, layout.prompt(j["prompt"].get<std::string>(), std::nullopt),
                                   j["response"].get<std::string>(), layout, seq_len);
    if (s.tokens.empty()) {
      ++skipped;
      continue;
    }
    seqs.push_back(std::move(s));
  }
  if (seqs.empty())
    throw_error("{}: no sample fits in {} tokens ({} skipped as too long)", path, seq_len, skipped);
  return {InMemoryDataset(std::move(seqs)), skipped};
}

}  // namespace dc::train

#include "tokenizer/bpe_trainer.h"

#include <algorithm>
#include <filesystem>
#include <queue>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace dc::tok {

std::vector<std::string> default_special_tokens() {
  return {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|mask|>", "<|dlm_pad|>"};
}

// ---------------------------------------------------------------------------------------------------------
// Word counting

WordCounter::WordCounter(std::vector<std::string> special_tokens)
    : specials_(std::move(special_tokens)), split_(kQwen2Pattern, "the Qwen2 pre-tokenizer") {
  for (const auto& s : specials_) {
    if (s.empty()) throw_error("special tokens: an empty special token");
  }
}

void WordCounter::add_piece(std::string_view piece) {
  if (piece.empty()) return;
  const std::string normal = nfc(piece);
  ranges_.clear();
  split_.split(normal, ranges_);
  for (auto [b, e] : ranges_) {
    if (e <= b) continue;
    ++counts_[normal.substr(b, e - b)];
    ++total_;
  }
}

void WordCounter::add_text(std::string_view raw) {
  const std::string text = utf8_lossy(raw);
  std::string_view rest = text;
  // Special tokens are cut out of the raw text first (leftmost, then longest), as the encoder does.
  while (!rest.empty()) {
    size_t best = std::string_view::npos, best_len = 0;
    for (const auto& s : specials_) {
      const size_t at = rest.find(s);
      if (at == std::string_view::npos) continue;
      if (at < best || (at == best && s.size() > best_len)) best = at, best_len = s.size();
    }
    if (best == std::string_view::npos) {
      add_piece(rest);
      break;
    }
    add_piece(rest.substr(0, best));
    rest.remove_prefix(best + best_len);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Training

namespace {

using PairKey = uint64_t;
inline PairKey pair_key(int32_t a, int32_t b) {
  return (uint64_t(uint32_t(a)) << 32) | uint32_t(b);
}
inline int32_t pair_left(PairKey k) {
  return int32_t(k >> 32);
}
inline int32_t pair_right(PairKey k) {
  return int32_t(k & 0xffffffffu);
}

struct Word {
  std::vector<int32_t> sym;  // current symbols (token ids)
  int64_t count = 0;
};

// Heap entry: larger count first; ties: smaller left id, then smaller right id.
struct HeapEntry {
  int64_t count;
  PairKey key;
  bool operator<(const HeapEntry& o) const {
    if (count != o.count) return count < o.count;
    return key > o.key;
  }
};

struct TrainState {
  std::vector<Word> words;
  std::unordered_map<PairKey, int64_t> pair_count;
  std::unordered_map<PairKey, std::vector<int32_t>> pair_words;  // may list a word twice or stale ones
  std::priority_queue<HeapEntry> heap;

  void add_pairs(const Word& w, int64_t sign) {
    for (size_t i = 0; i + 1 < w.sym.size(); ++i)
      pair_count[pair_key(w.sym[i], w.sym[i + 1])] += sign * w.count;
  }
};

}  // namespace

BpeModel train_bpe(const std::unordered_map<std::string, int64_t>& word_counts, const BpeTrainOptions& opt) {
  if (opt.vocab_size < 256)
    throw_error("tokenizer training: vocab size {} is below the 256 byte tokens", opt.vocab_size);
  BpeModel model;
  model.special_tokens = opt.special_tokens;
  std::unordered_map<std::string, int32_t> token_id;
  for (int b = 0; b < 256; ++b) {
    model.tokens.emplace_back(1, char(uint8_t(b)));
    token_id[model.tokens.back()] = b;
  }

  // Words in a fixed order (sorted by bytes) so that training is deterministic.
  std::vector<std::pair<std::string_view, int64_t>> sorted;
  sorted.reserve(word_counts.size());
  for (const auto& [w, c] : word_counts) {
    if (w.size() >= 2 && c > 0) sorted.emplace_back(w, c);
  }
  std::sort(sorted.begin(), sorted.end());
  TrainState st;
  st.words.resize(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    Word& w = st.words[i];
    w.count = sorted[i].second;
    for (char ch : sorted[i].first) w.sym.push_back(int32_t(uint8_t(ch)));
    for (size_t j = 0; j + 1 < w.sym.size(); ++j) {
      const PairKey k = pair_key(w.sym[j], w.sym[j + 1]);
      st.pair_count[k] += w.count;
      st.pair_words[k].push_back(int32_t(i));
    }
  }
  for (const auto& [k, c] : st.pair_count) st.heap.push({c, k});

  const int64_t min_freq = std::max<int64_t>(1, opt.min_frequency);
  std::vector<PairKey> touched;  // pairs holding the new token, to push after a merge
  while (int64_t(model.tokens.size()) < opt.vocab_size && !st.heap.empty()) {
    const HeapEntry top = st.heap.top();
    st.heap.pop();
    const auto it = st.pair_count.find(top.key);
    const int64_t current = it == st.pair_count.end() ? 0 : it->second;
    if (current != top.count) {
      // Counts of existing pairs only fall; a pair whose count rose was pushed again when it rose.
      if (current > 0 && current < top.count) st.heap.push({current, top.key});
      continue;
    }
    if (current < min_freq) break;

    const int32_t a = pair_left(top.key), b = pair_right(top.key);
    const std::string merged = model.tokens[size_t(a)] + model.tokens[size_t(b)];
    int32_t new_id;
    if (auto f = token_id.find(merged); f != token_id.end()) {
      new_id = f->second;  // another merge path already spells these bytes
    } else {
      new_id = int32_t(model.tokens.size());
      model.tokens.push_back(merged);
      token_id.emplace(merged, new_id);
    }
    model.merges.emplace_back(a, b);
    model.merge_result.push_back(new_id);

    std::vector<int32_t> where = std::move(st.pair_words[top.key]);
    st.pair_words.erase(top.key);
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    touched.clear();
    std::vector<int32_t> next;
    for (int32_t wi : where) {
      Word& w = st.words[size_t(wi)];
      bool has = false;
      for (size_t j = 0; j + 1 < w.sym.size() && !has; ++j) has = w.sym[j] == a && w.sym[j + 1] == b;
      if (!has) continue;
      st.add_pairs(w, -1);
      next.clear();
      for (size_t j = 0; j < w.sym.size(); ++j) {
        if (j + 1 < w.sym.size() && w.sym[j] == a && w.sym[j + 1] == b) {
          next.push_back(new_id);
          ++j;
        } else {
          next.push_back(w.sym[j]);
        }
      }
      w.sym.swap(next);
      st.add_pairs(w, +1);
      for (size_t j = 0; j + 1 < w.sym.size(); ++j) {
        if (w.sym[j] != new_id && w.sym[j + 1] != new_id) continue;
        const PairKey k = pair_key(w.sym[j], w.sym[j + 1]);
        st.pair_words[k].push_back(wi);
        touched.push_back(k);
      }
    }
    st.pair_count.erase(top.key);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (PairKey k : touched) {
      const int64_t c = st.pair_count[k];
      if (c > 0) st.heap.push({c, k});
    }
  }
  return model;
}

// ---------------------------------------------------------------------------------------------------------
// Writing

std::string bpe_tokenizer_json(const BpeModel& model) {
  using ojson = nlohmann::ordered_json;
  const int32_t n_bpe = int32_t(model.tokens.size());
  ojson added = ojson::array();
  for (size_t i = 0; i < model.special_tokens.size(); ++i) {
    added.push_back({{"id", n_bpe + int32_t(i)},
                     {"content", model.special_tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  const ojson byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  ojson vocab = ojson::object();
  for (int32_t id = 0; id < n_bpe; ++id) vocab[bytes_to_spelling(model.tokens[size_t(id)])] = id;
  ojson merges = ojson::array();
  for (const auto& [a, b] : model.merges) {
    merges.push_back(bytes_to_spelling(model.tokens[size_t(a)]) + " " +
                     bytes_to_spelling(model.tokens[size_t(b)]));
  }
  ojson j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", {{"type", "NFC"}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", ojson::array({{{"type", "Split"},
                                         {"pattern", {{"Regex", kQwen2Pattern}}},
                                         {"behavior", "Isolated"},
                                         {"invert", false}},
                                        byte_level})}}},
      {"post_processor", byte_level},
      {"decoder", byte_level},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", ""},
        {"end_of_word_suffix", ""},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  return j.dump() + "\n";
}

std::string bpe_tokenizer_config_json(const BpeModel& model) {
  const auto has = [&](const char* t) {
    return std::find(model.special_tokens.begin(), model.special_tokens.end(), t) !=
           model.special_tokens.end();
  };
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["bos_token"] = nullptr;
  if (has("<|endoftext|>")) j["eos_token"] = "<|endoftext|>";
  if (has("<|dlm_pad|>")) {
    j["pad_token"] = "<|dlm_pad|>";
  } else if (has("<|endoftext|>")) {
    j["pad_token"] = "<|endoftext|>";
  }
  if (has("<|mask|>")) j["mask_token"] = "<|mask|>";
  j["model_max_length"] = 131072;
  return j.dump(2) + "\n";
}

void write_bpe_tokenizer(const BpeModel& model, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_error("{}: cannot create the directory: {}", dir, ec.message());
  write_file_atomic((std::filesystem::path(dir) / "tokenizer.json").string(), bpe_tokenizer_json(model));
  write_file_atomic((std::filesystem::path(dir) / "tokenizer_config.json").string(),
                    bpe_tokenizer_config_json(model));
}

}  // namespace dc::tok

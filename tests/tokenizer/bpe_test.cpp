// BPE merging: the heap-based fast path against the textbook scalar loop (Bpe::encode_reference) on the
// Qwen merges, over words cut from the golden strings and random byte strings; plus hand-worked cases.
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/loader.h"
#include "tokenizer/pretokenizer.h"

namespace {

using namespace dc::tok;

// Builds a Bpe from loaded files (what dc::Tokenizer does internally, repeated here on purpose).
Bpe make_bpe(const TokenizerSpec& spec) {
  std::array<int32_t, 256> byte_ids;
  for (int b = 0; b < 256; ++b) {
    auto it = spec.vocab.find(bytes_to_spelling(std::string(1, char(b))));
    byte_ids[b] = it == spec.vocab.end() ? -1 : it->second;
  }
  std::vector<BpeMerge> merges;
  for (const auto& [a, b] : spec.merges) {
    merges.push_back({spec.vocab.at(a), spec.vocab.at(b), spec.vocab.at(a + b)});
  }
  return Bpe(byte_ids, merges);
}

TEST(Bpe, HandWorkedMerges) {
  // Bytes a=0, b=1, c=2 (other bytes absent); merges: (a b)->ab=3 rank 0, (b c)->bc=4 rank 1,
  // (ab c)->abc=5 rank 2, (a a)->aa=6 rank 3.
  std::array<int32_t, 256> byte_ids;
  byte_ids.fill(-1);
  byte_ids['a'] = 0, byte_ids['b'] = 1, byte_ids['c'] = 2;
  const Bpe bpe(byte_ids, {{0, 1, 3}, {1, 2, 4}, {3, 2, 5}, {0, 0, 6}});
  auto enc = [&](std::string_view w) {
    std::vector<int32_t> out;
    bpe.encode(w, out);
    return out;
  };
  EXPECT_EQ(enc("abc"), (std::vector<int32_t>{5}));  // ab first (rank 0), then ab+c
  EXPECT_EQ(enc("bc"), (std::vector<int32_t>{4}));
  EXPECT_EQ(enc("aaa"), (std::vector<int32_t>{6, 0}));  // leftmost pair first
  EXPECT_EQ(enc("abbc"), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(enc("axb"), (std::vector<int32_t>{3}));  // 'x' has no token: dropped, then a+b merge
  EXPECT_EQ(enc(""), (std::vector<int32_t>{}));
  EXPECT_EQ(bpe.encode_reference("aaa"), (std::vector<int32_t>{6, 0}));
}

TEST(Bpe, FastPathEqualsReferenceOnQwenMerges) {
  const TokenizerSpec spec = load_tokenizer_spec(std::string(DC_TESTDATA_DIR) + "/tokenizer/qwen");
  const Bpe bpe = make_bpe(spec);
  const SplitRegex split(spec.pattern, "qwen");

  std::vector<std::string> words;
  std::ifstream in(std::string(DC_TESTDATA_DIR) + "/tokenizer/golden_qwen.jsonl");
  std::string line;
  while (std::getline(in, line) && words.size() < 40000) {
    const std::string text = nlohmann::json::parse(line)["text"].get<std::string>();
    std::vector<std::pair<uint32_t, uint32_t>> ws;
    split.split(nfc(text), ws);
    const std::string norm = nfc(text);
    for (auto [b, e] : ws) words.push_back(norm.substr(b, e - b));
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {  // random bytes, long runs of one letter, long identifiers
    std::string w;
    const int n = 1 + int(rng() % 64);
    const int kind = int(rng() % 3);
    for (int k = 0; k < n; ++k)
      w.push_back(kind == 0 ? char(rng() % 256) : kind == 1 ? 'a' : char('a' + rng() % 26));
    words.push_back(w);
  }
  ASSERT_GT(words.size(), 20000u);
  size_t differ = 0;
  for (const std::string& w : words) {
    std::vector<int32_t> fast, cached;
    bpe.encode(w, fast);
    bpe.encode_cached(w, cached);
    const auto ref = bpe.encode_reference(w);
    if (fast != ref || cached != ref) ++differ;
  }
  EXPECT_EQ(differ, 0u);
}

}  // namespace

// The BPE trainer: merges by hand on a tiny corpus, the fast trainer against a naive one (every pair
// recounted after each merge), and the written tokenizer.json against Hugging Face `tokenizers`: golden ids
// for 466 strings committed by scripts/tokenizer/make_bpe_golden.js, encoded here by dc::Tokenizer from the
// committed tokenizer.json, which training again on the committed corpus must reproduce byte for byte.
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/bpe_trainer_files.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

using dc::tok::BpeModel;
using dc::tok::BpeTrainOptions;
using dc::tok::WordCounter;
using nlohmann::json;

const std::string kBpe = std::string(DC_TESTDATA_DIR) + "/tokenizer/bpe";

BpeModel train_text(const std::string& text, int64_t vocab, int64_t min_freq) {
  WordCounter wc;
  wc.add_text(text);
  BpeTrainOptions opt;
  opt.vocab_size = vocab;
  opt.min_frequency = min_freq;
  return dc::tok::train_bpe(wc.counts(), opt);
}

std::string tmp_dir(const std::string& name) {
  auto p =
      std::filesystem::temp_directory_path() / ("dc_bpe_trainer_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

TEST(BpeTrainer, MergesByHand) {
  // Words: "ab" x1, " ab" x2, " cd" x1. Pairs: (a,b) 3, (' ',a) 2, (' ',c) 1, (c,d) 1.
  const BpeModel m = train_text("ab ab ab cd", 260, 1);
  ASSERT_EQ(m.merges.size(), 4u);
  EXPECT_EQ(m.merges[0], std::make_pair(int32_t('a'), int32_t('b')));  // -> 256 "ab"
  EXPECT_EQ(m.merges[1], std::make_pair(int32_t(' '), 256));           // -> 257 " ab" (count 2)
  EXPECT_EQ(m.merges[2], std::make_pair(int32_t(' '), int32_t('c')));  // tie at 1: smaller left id
  EXPECT_EQ(m.merges[3], std::make_pair(258, int32_t('d')));
  EXPECT_EQ(m.tokens[256], "ab");
  EXPECT_EQ(m.tokens[257], " ab");
  EXPECT_EQ(m.tokens[259], " cd");

  // min_frequency 2 stops after the two pairs that occur twice.
  EXPECT_EQ(train_text("ab ab ab cd", 1000, 2).merges.size(), 2u);

  // Special tokens in the text are cut out, never learned from.
  WordCounter wc;
  wc.add_text("x<|im_end|>y<|endoftext|>");
  EXPECT_EQ(wc.counts().size(), 2u);
  EXPECT_EQ(wc.counts().count("x"), 1u);
  EXPECT_EQ(wc.counts().count("y"), 1u);

  EXPECT_THROW(train_text("ab", 255, 1), dc::Error);
}

// Naive BPE: recount every pair after each merge; same tie rule (count, then smaller left, smaller right).
std::vector<std::pair<int32_t, int32_t>> naive_merges(const std::unordered_map<std::string, int64_t>& counts,
                                                      int64_t vocab, int64_t min_freq) {
  std::vector<std::pair<std::vector<int32_t>, int64_t>> words;
  for (const auto& [w, c] : counts) {
    std::vector<int32_t> s;
    for (char ch : w) s.push_back(int32_t(uint8_t(ch)));
    words.emplace_back(s, c);
  }
  std::map<std::string, int32_t> ids;
  std::vector<std::string> toks;
  for (int b = 0; b < 256; ++b) toks.emplace_back(1, char(b)), ids[toks.back()] = b;
  std::vector<std::pair<int32_t, int32_t>> merges;
  while (int64_t(toks.size()) < vocab) {
    std::map<std::pair<int32_t, int32_t>, int64_t> pc;
    for (const auto& [s, c] : words) {
      for (size_t i = 0; i + 1 < s.size(); ++i) pc[{s[i], s[i + 1]}] += c;
    }
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_c = 0;
    for (const auto& [p, c] : pc) {
      if (c > best_c) best = p, best_c = c;  // std::map order: the first of equal counts is the smallest
    }
    if (best_c < min_freq || best_c == 0) break;
    const std::string m = toks[size_t(best.first)] + toks[size_t(best.second)];
    int32_t id;
    if (ids.count(m)) {
      id = ids[m];
    } else {
      id = int32_t(toks.size());
      toks.push_back(m);
      ids[m] = id;
    }
    merges.push_back(best);
    for (auto& [s, c] : words) {
      std::vector<int32_t> n;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          n.push_back(id);
          ++i;
        } else {
          n.push_back(s[i]);
        }
      }
      s = n;
    }
  }
  return merges;
}

TEST(BpeTrainer, MatchesNaiveTrainer) {
  const std::string corpus = dc::read_file(kBpe + "/corpus.txt").substr(0, 30000);
  WordCounter wc;
  wc.add_text(corpus);
  BpeTrainOptions opt;
  opt.vocab_size = 256 + 300;
  opt.min_frequency = 2;
  const BpeModel m = dc::tok::train_bpe(wc.counts(), opt);
  const auto expect = naive_merges(wc.counts(), opt.vocab_size, opt.min_frequency);
  ASSERT_EQ(m.merges.size(), expect.size());
  for (size_t i = 0; i < expect.size(); ++i) ASSERT_EQ(m.merges[i], expect[i]) << "merge " << i;
  // Every merge's token spells its two parts.
  for (size_t i = 0; i < m.merges.size(); ++i) {
    EXPECT_EQ(m.tokens[size_t(m.merge_result[i])],
              m.tokens[size_t(m.merges[i].first)] + m.tokens[size_t(m.merges[i].second)]);
  }
}

TEST(BpeTrainer, RetrainingReproducesFixture) {
  const auto files = dc::tok::list_corpus_files({kBpe + "/corpus.txt"}, {});
  WordCounter wc;
  dc::tok::count_corpus_words(files, 0, wc);
  BpeTrainOptions opt;
  opt.vocab_size = 1000;
  const BpeModel m = dc::tok::train_bpe(wc.counts(), opt);
  EXPECT_EQ(dc::tok::bpe_tokenizer_json(m), dc::read_file(kBpe + "/tokenizer.json"));
  EXPECT_EQ(dc::tok::bpe_tokenizer_config_json(m), dc::read_file(kBpe + "/tokenizer_config.json"));
}

TEST(BpeTrainer, EncodesAsHuggingFace) {
  const dc::Tokenizer tok = dc::Tokenizer::load(kBpe);
  EXPECT_EQ(tok.vocab_size(), 1005);
  EXPECT_EQ(tok.special_ids().mask, tok.token_id("<|mask|>"));
  EXPECT_EQ(tok.special_ids().pad, tok.token_id("<|dlm_pad|>"));
  EXPECT_EQ(tok.special_ids().eos, tok.token_id("<|endoftext|>"));
  std::ifstream in(kBpe + "/golden.jsonl");
  ASSERT_TRUE(in.good());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json row = json::parse(line);
    const std::string text = row["text"].get<std::string>();
    ASSERT_EQ(tok.encode(text), row["ids"].get<std::vector<int32_t>>()) << "line " << n + 1;
    ++n;
  }
  EXPECT_GE(n, 400);
}

TEST(BpeTrainer, WrittenTokenizerRoundTrips) {
  const std::string dir = tmp_dir("roundtrip");
  const std::string corpus = dc::read_file(kBpe + "/corpus.txt");
  dc::tok::write_bpe_tokenizer(train_text(corpus, 600, 2), dir);
  const dc::Tokenizer tok = dc::Tokenizer::load(dir);
  for (size_t at = 0; at + 500 < corpus.size(); at += 7919) {
    // Cut at ASCII positions so the piece stays valid UTF-8.
    size_t b = at, e = at + 500;
    while (b > 0 && (uint8_t(corpus[b]) & 0xC0) == 0x80) --b;
    while (e < corpus.size() && (uint8_t(corpus[e]) & 0xC0) == 0x80) ++e;
    const std::string piece = "def f():" + corpus.substr(b, e - b);
    if (piece.find("<|") != std::string::npos) continue;
    EXPECT_EQ(tok.decode(tok.encode(dc::tok::nfc(piece))), dc::tok::nfc(piece));
  }
  std::filesystem::remove_all(dir);
}

TEST(BpeTrainer, FileErrors) {
  EXPECT_THROW(dc::tok::list_corpus_files({"/nonexistent/dir"}, {".py"}), dc::Error);
  const std::string dir = tmp_dir("empty");
  std::filesystem::create_directories(dir);
  try {
    dc::tok::list_corpus_files({dir}, {".py"});
    FAIL() << "no error for an empty directory";
  } catch (const dc::Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

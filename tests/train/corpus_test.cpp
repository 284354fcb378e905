// Training sets built from user files (train/corpus.h) with the tiny model's tokenizer: SFT samples keep
// the templated prompt unmasked, end the response with <|im_end|>\n and fill with <|dlm_pad|>; text files are
// joined with the separator and cut into full sequences.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "train/corpus.h"

namespace dc::train {
namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

std::string tmp_file(const std::string& name, const std::string& text) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/corpus_test_tmp";
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/" + name, text);
  return dir + "/" + name;
}

TEST(Corpus, SftSampleLayout) {
  const Tokenizer tok = Tokenizer::load(kTiny);
  const int32_t im_end = *tok.token_id("<|im_end|>"), pad = *tok.token_id("<|dlm_pad|>");
  const std::string path = tmp_file("s.jsonl",
                                    "{\"prompt\": \"hi\", \"response\": \"ok\"}\n\n"
                                    "{\"prompt\": \"long\", \"response\": \"" +
                                        std::string(400, 'x') + "\"}\n");
  const SftCorpus c = sft_corpus(tok, path, 96, SftLayout::of(tok, Arch::Dream, -1, kTiny));
  EXPECT_EQ(c.skipped, 1);
  ASSERT_EQ(c.data.size(), 1);
  TokenSequence s;
  c.data.get(0, s);
  const std::vector<int32_t> prompt = tok.encode(instruct_prompt("hi"));
  const std::vector<int32_t> resp = tok.encode("ok");
  ASSERT_EQ(s.tokens.size(), 96u);
  EXPECT_EQ(s.prompt_len, int64_t(prompt.size()));
  EXPECT_EQ(std::vector<int32_t>(s.tokens.begin(), s.tokens.begin() + long(prompt.size())), prompt);
  size_t i = prompt.size();
  for (int32_t id : resp) EXPECT_EQ(s.tokens[i++], id);
  EXPECT_EQ(s.tokens[i++], im_end);
  for (int32_t id : tok.encode("\n")) EXPECT_EQ(s.tokens[i++], id);
  for (; i < s.tokens.size(); ++i) EXPECT_EQ(s.tokens[i], pad);
}

TEST(Corpus, SftBadLineNamesFileAndLine) {
  const Tokenizer tok = Tokenizer::load(kTiny);
  const std::string path = tmp_file("bad.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n[1, 2]\n");
  try {
    sft_corpus(tok, path, 64, SftLayout::of(tok, Arch::Dream, -1, kTiny));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2:"), std::string::npos) << e.what();
  }
}

TEST(Corpus, TextFilesAreJoinedWithTheSeparator) {
  const Tokenizer tok = Tokenizer::load(kTiny);
  const std::string a = tmp_file("a.txt", "def f(x):\n    return x\n"), b = tmp_file("b.txt", "print(1)\n");
  std::vector<int32_t> stream = tok.encode(read_file(a));
  stream.push_back(7);
  const std::vector<int32_t> tb = tok.encode(read_file(b));
  stream.insert(stream.end(), tb.begin(), tb.end());
  stream.push_back(7);
  const InMemoryDataset d = text_corpus(tok, {a, b}, 4, 7);
  EXPECT_EQ(d.size(), int64_t(stream.size()) / 4);
  TokenSequence s;
  d.get(d.size() - 1, s);
  const size_t off = size_t(d.size() - 1) * 4;
  EXPECT_EQ(s.tokens, std::vector<int32_t>(stream.begin() + long(off), stream.begin() + long(off) + 4));
  EXPECT_THROW(text_corpus(tok, {b}, 1000, 7), Error);
}

}  // namespace
}  // namespace dc::train

// Bad tokenizer files give one dc::Error line that names the offending file (never a crash or an abort).
// Each case writes a small broken copy of the tiny tokenizer into a temporary folder.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kTiny = fs::path(DC_TESTDATA_DIR) / "tiny-dream";

class TokenizerErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(DC_BINARY_DIR) / "tokenizer_errors" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  void copy_tiny() {
    for (const char* f : {"vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json",
                          "tokenizer_config.json"}) {
      fs::copy_file(kTiny / f, dir_ / f, fs::copy_options::overwrite_existing);
    }
  }
  // A minimal valid tokenizer.json (bytes 'a', 'b', merge a b -> ab), to be broken by each test.
  json fast() {
    json vocab = json::object();
    vocab["a"] = 0, vocab["b"] = 1, vocab["ab"] = 2;
    return json{{"normalizer", {{"type", "NFC"}}},
                {"pre_tokenizer",
                 {{"type", "Sequence"},
                  {"pretokenizers",
                   {{{"type", "Split"}, {"pattern", {{"Regex", "\\s+|\\S+"}}}, {"behavior", "Isolated"}},
                    {{"type", "ByteLevel"}, {"use_regex", false}}}}}},
                {"decoder", {{"type", "ByteLevel"}}},
                {"added_tokens", json::array()},
                {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"a b"}}}}};
  }
  // Loads and expects a one-line dc::Error mentioning `file` and `words`.
  void expect_error(const std::string& load_path, const std::string& file, const std::string& words) {
    try {
      dc::Tokenizer::load(load_path);
      ADD_FAILURE() << "loading " << load_path << " did not fail";
    } catch (const dc::Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(file), std::string::npos) << msg;
      EXPECT_NE(msg.find(words), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(TokenizerErrors, MissingPaths) {
  expect_error(path("nope"), path("nope"), "no such file");
  expect_error(dir_.string(), dir_.string(), "no tokenizer files");
}

TEST_F(TokenizerErrors, FastFormatProblems) {
  const std::string f = path("tokenizer.json");
  write("tokenizer.json", "{\"model\": ");
  expect_error(f, f, "not valid JSON");
  write("tokenizer.json", "");
  expect_error(f, f, "not valid JSON");
  write("tokenizer.json", "[1, 2]");
  expect_error(f, f, "top level");

  json j = fast();
  j["model"]["type"] = "Unigram";
  write("tokenizer.json", j.dump());
  expect_error(dir_.string(), f, "Unigram");

  j = fast();
  j["model"]["vocab"]["a"] = "zero";
  write("tokenizer.json", j.dump());
  expect_error(f, f, "integer id");

  j = fast();
  j["model"]["vocab"]["c"] = 0;
  write("tokenizer.json", j.dump());
  expect_error(f, f, "two vocabulary tokens");

  j = fast();
  j["model"]["vocab"]["c"] = int64_t(1) << 40;
  write("tokenizer.json", j.dump());
  expect_error(f, f, "outside");

  j = fast();
  j["model"]["merges"] = {"a c"};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "not in the vocabulary");

  j = fast();
  j["model"]["merges"] = {"b a"};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "makes 'ba'");

  j = fast();
  j["model"]["merges"] = {"ab"};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "two tokens");

  j = fast();
  j["model"]["merges"] = 3;
  write("tokenizer.json", j.dump());
  expect_error(f, f, "merges");

  j = fast();
  j["normalizer"] = {{"type", "NFKC"}};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "NFKC");

  j = fast();
  j["normalizer"] = "NFC";
  write("tokenizer.json", j.dump());
  expect_error(f, f, "normalizer");

  j = fast();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "Whitespace");

  j = fast();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  write("tokenizer.json", j.dump());
  expect_error(f, f, "does not compile");

  j = fast();
  j["added_tokens"] = {{{"id", 3}, {"special", true}}};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "content");

  j = fast();
  j["added_tokens"] = {{{"id", 3}, {"content", "<x>"}, {"special", "yes"}}};
  write("tokenizer.json", j.dump());
  expect_error(f, f, "special");

  j = fast();
  j["model"]["vocab"] = json::object();
  j["model"]["merges"] = json::array();
  write("tokenizer.json", j.dump());
  expect_error(f, f, "empty");
}

TEST_F(TokenizerErrors, SlowLayoutProblems) {
  copy_tiny();
  write("merges.txt", "#version: 0.2\n\xC4\xA0 \xC4\xA0\ni n x\n");
  expect_error(dir_.string(), path("merges.txt") + ":3", "two tokens");

  copy_tiny();
  write("merges.txt", "#version: 0.2\nq \xE2\x82\xAC\n");
  expect_error(dir_.string(), path("merges.txt"), "not in the vocabulary");

  copy_tiny();
  write("vocab.json", "[\"a\"]");
  expect_error(dir_.string(), path("vocab.json"), "JSON object");

  copy_tiny();
  write("added_tokens.json", "{\"<|mask|>\": 7}");
  expect_error(dir_.string(), path("added_tokens.json"), "<|mask|>");

  copy_tiny();
  write("special_tokens_map.json", "{\"eos_token\": \"<|nothing|>\"}");
  expect_error(dir_.string(), path("special_tokens_map.json"), "<|nothing|>");

  copy_tiny();
  write("tokenizer_config.json", "{\"bos_token\": 5}");
  expect_error(dir_.string(), path("tokenizer_config.json"), "bos_token");

  copy_tiny();
  write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"x\": {\"content\": \"<a>\"}}}");
  expect_error(dir_.string(), path("tokenizer_config.json"), "not a token id");

  copy_tiny();
  write("tokenizer_config.json", "{\"added_tokens_decoder\": []}");
  expect_error(dir_.string(), path("tokenizer_config.json"), "added_tokens_decoder");

  copy_tiny();
  write("special_tokens_map.json", "not json");
  expect_error(dir_.string(), path("special_tokens_map.json"), "not valid JSON");
}

// Tables are indexed by id: one token named 2^24 - 1 used to allocate about a gigabyte. Ids may reach
// twice the number of listed tokens plus 1,024; beyond that the file is refused.
TEST_F(TokenizerErrors, IdsFarBeyondTheEntriesAreRefused) {
  const std::string f = path("tokenizer.json");
  json j = fast();
  j["model"]["vocab"]["c"] = (1 << 24) - 1;
  write("tokenizer.json", j.dump());
  expect_error(f, f, "token id 16777215 is far beyond the 4 tokens listed (ids must stay below 1032)");

  // An added token's id in tokenizer.json is renumbered after the vocabulary (as Hugging Face does), so
  // a huge one costs nothing.
  j = fast();
  j["added_tokens"] = {{{"id", (1 << 24) - 1}, {"content", "<|x|>"}, {"special", true}}};
  write("tokenizer.json", j.dump());
  EXPECT_EQ(dc::Tokenizer::load(f).vocab_size(), 4);

  // A gap inside the allowance loads (reserved ids, as real vocabularies have).
  j = fast();
  j["model"]["vocab"]["c"] = 1031;
  write("tokenizer.json", j.dump());
  EXPECT_EQ(dc::Tokenizer::load(f).vocab_size(), 1032);
  j["model"]["vocab"]["c"] = 1032;
  write("tokenizer.json", j.dump());
  expect_error(f, f, "ids must stay below 1032");

  // The slow layout keeps the ids of added_tokens.json (the message names the file its added tokens are
  // recorded under, tokenizer_config.json).
  fs::remove(f);
  copy_tiny();
  json added = json::parse(std::ifstream(dir_ / "added_tokens.json"));
  added["<|far|>"] = (1 << 24) - 1;
  write("added_tokens.json", added.dump());
  expect_error(dir_.string(), dir_.string(), "token id 16777215 is far beyond");
}

TEST(TokenizerInput, InvalidUtf8IsRepairedNotRejected) {
  const auto tok = dc::Tokenizer::load(kTiny.string());
  EXPECT_EQ(tok.encode("a\xFF"
                       "b\xE2\x82"),
            tok.encode("a\xEF\xBF\xBD"
                       "b\xEF\xBF\xBD"));
  EXPECT_EQ(tok.encode(std::string("a\0b", 3)).size(), 3u);
  EXPECT_TRUE(tok.encode("").empty());
}

}  // namespace

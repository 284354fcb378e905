// The tokenizer against Hugging Face `tokenizers` (the oracle): ids for > 2,000 strings committed as
// fixtures by scripts/tokenizer/make_golden.js, for the Qwen vocabulary (tokenizer.json), for the tiny test
// model (slow layout) and for added tokens with lstrip/rstrip/single_word/normalized flags; and decodings of
// random id lists, including ones that form invalid UTF-8.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;

const std::string kData = std::string(DC_TESTDATA_DIR) + "/tokenizer";

std::vector<json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<json> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(json::parse(line));
  }
  return rows;
}

const dc::Tokenizer& qwen() {
  static const dc::Tokenizer t = dc::Tokenizer::load(kData + "/qwen");
  return t;
}

const dc::Tokenizer& tiny() {
  static const dc::Tokenizer t = dc::Tokenizer::load(std::string(DC_TESTDATA_DIR) + "/tiny-dream");
  return t;
}

std::string show(const std::string& s) {
  return json(s).dump();
}

// Compares encode() with the golden ids row by row; reports up to 10 mismatching strings.
void check_encodings(const dc::Tokenizer& tok, const std::vector<json>& texts, const std::vector<json>& ids,
                     size_t min_rows) {
  ASSERT_EQ(texts.size(), ids.size());
  ASSERT_GE(texts.size(), min_rows);
  int failures = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i]["text"].get<std::string>();
    const auto want = ids[i]["ids"].get<std::vector<int32_t>>();
    const auto got = tok.encode(text);
    if (got != want && failures++ < 10) {
      ADD_FAILURE() << "row " << i << " (" << texts[i].value("src", "") << ") text "
                    << show(text).substr(0, 300) << "\n  want " << json(want).dump().substr(0, 300)
                    << "\n  got  " << json(got).dump().substr(0, 300);
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << texts.size() << " strings differ";
}

TEST(TokenizerGolden, QwenMatchesHuggingFace) {
  const auto rows = read_jsonl(kData + "/golden_qwen.jsonl");
  check_encodings(qwen(), rows, rows, 2000);
}

TEST(TokenizerGolden, TinyDreamSlowLayoutMatchesHuggingFace) {
  const auto rows = read_jsonl(kData + "/golden_qwen.jsonl");
  const auto ids = read_jsonl(kData + "/golden_tiny.jsonl");
  check_encodings(tiny(), rows, ids, 2000);
}

TEST(TokenizerGolden, AddedTokenFlagsMatchHuggingFace) {
  const auto tok = dc::Tokenizer::load(kData + "/flags_tokenizer.json");
  const auto rows = read_jsonl(kData + "/golden_flags.jsonl");
  check_encodings(tok, rows, rows, 100);
}

TEST(TokenizerGolden, DecodeMatchesHuggingFace) {
  const auto rows = read_jsonl(kData + "/golden_decode.jsonl");
  ASSERT_GE(rows.size(), 100u);
  int failures = 0;
  for (const json& r : rows) {
    const auto ids = r["ids"].get<std::vector<int32_t>>();
    const std::string got = qwen().decode(ids), got_skip = qwen().decode(ids, /*skip_special=*/true);
    if ((got != r["text"].get<std::string>() || got_skip != r["text_skip"].get<std::string>()) &&
        failures++ < 10) {
      ADD_FAILURE() << "ids " << r["ids"].dump() << "\n  want " << r["text"].dump() << " / "
                    << r["text_skip"].dump() << "\n  got  " << show(got) << " / " << show(got_skip);
    }
  }
  EXPECT_EQ(failures, 0);
}

// Lossless: decoding the encoding gives the text back, for every golden string that is already in NFC
// (the NFD rows are checked to come back composed).
TEST(TokenizerGolden, DecodeInvertsEncode) {
  const auto rows = read_jsonl(kData + "/golden_qwen.jsonl");
  int checked = 0;
  for (const json& r : rows) {
    const std::string text = r["text"].get<std::string>();
    if (r["src"] == "nfd") continue;
    const auto ids = qwen().encode(text);
    const std::string back = qwen().decode(ids);
    // Strings whose NFC differs decode to the NFC form; the golden ids pin that down already.
    if (qwen().encode(back) != ids) ADD_FAILURE() << "re-encoding differs for " << show(text).substr(0, 200);
    bool ascii = true;
    for (char c : text) ascii = ascii && uint8_t(c) < 0x80;
    if (ascii) {
      EXPECT_EQ(back, text);
      ++checked;
    }
  }
  EXPECT_GT(checked, 1500);
}

}  // namespace

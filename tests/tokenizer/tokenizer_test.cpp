// The public API on the tiny test model (slow layout) and the Qwen vocabulary (tokenizer.json): role token
// ids read from the configuration files, token lookups both ways, special-token skipping, prompt layouts
// (exact strings, hand-written from SPEC §2), id-list parsing, and concurrent use.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/id_list.h"
#include "tokenizer/loader.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
const std::string kQwen = std::string(DC_TESTDATA_DIR) + "/tokenizer/qwen";

TEST(Tokenizer, TinyDreamRolesAndLookups) {
  const auto tok = dc::Tokenizer::load(kTiny);
  EXPECT_EQ(tok.vocab_size(), 1006);
  const auto& r = tok.special_ids();
  EXPECT_EQ(r.eos, 1000);
  EXPECT_EQ(r.bos, 1003);
  EXPECT_EQ(r.mask, 1004);
  EXPECT_EQ(r.pad, 1005);
  EXPECT_FALSE(r.unk.has_value());
  EXPECT_EQ(tok.token_id("<|im_start|>"), 1001);
  EXPECT_EQ(tok.token_id("<|im_end|>"), 1002);
  EXPECT_EQ(tok.token_id("\xC4\xA0t"), 259);  // "Ġt", the 4th merge
  EXPECT_FALSE(tok.token_id("<|nothing|>").has_value());
  EXPECT_EQ(tok.token_text(259), " t");
  EXPECT_EQ(tok.token_spelling(259), "\xC4\xA0t");
  EXPECT_EQ(tok.token_text(1004), "<|mask|>");
  EXPECT_TRUE(tok.is_special(1004));
  EXPECT_FALSE(tok.is_special(259));
  EXPECT_FALSE(tok.is_special(-1));
  EXPECT_FALSE(tok.is_special(5000));
  EXPECT_THROW(tok.token_text(1006), dc::Error);
  EXPECT_THROW(tok.token_text(-3), dc::Error);
}

TEST(Tokenizer, DecodeSkipsSpecialAndUnknownIds) {
  const auto tok = dc::Tokenizer::load(kTiny);
  const std::vector<int32_t> ids = tok.encode("x = 1<|dlm_pad|><|dlm_pad|>");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[ids.size() - 1], 1005);
  EXPECT_EQ(ids[ids.size() - 2], 1005);
  EXPECT_EQ(tok.decode(ids), "x = 1<|dlm_pad|><|dlm_pad|>");
  EXPECT_EQ(tok.decode(ids, /*skip_special=*/true), "x = 1");
  std::vector<int32_t> with_unknown = ids;
  with_unknown.insert(with_unknown.begin(), {1010, -4, 5000});
  EXPECT_EQ(tok.decode(with_unknown), tok.decode(ids));
  // A lone continuation byte decodes to U+FFFD.
  const auto cont = tok.token_id("\xC4\xA2");  // byte 0x80
  ASSERT_TRUE(cont.has_value());
  EXPECT_EQ(tok.decode(std::vector<int32_t>{*cont}), "\xEF\xBF\xBD");
}

TEST(Tokenizer, QwenFolderAndFileLoadAlike) {
  const auto dir = dc::Tokenizer::load(kQwen);
  const auto file = dc::Tokenizer::load(kQwen + "/tokenizer.json");
  EXPECT_EQ(dir.vocab_size(), 151669);
  EXPECT_EQ(dir.special_ids().eos, 151645);  // tokenizer_config.json: eos_token <|im_end|>
  EXPECT_EQ(dir.special_ids().pad, 151643);  // pad_token <|endoftext|>
  EXPECT_FALSE(dir.special_ids().bos.has_value());
  EXPECT_EQ(file.special_ids().eos, 151645);
  const std::string text = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n";
  EXPECT_EQ(dir.encode(text), file.encode(text));
  EXPECT_FALSE(dir.is_special(151657));  // <tool_call> is added but not special
  EXPECT_TRUE(dir.is_special(151643));
}

TEST(Tokenizer, FromSpecBuildsAnInMemoryVocabulary) {
  // Bytes 'a' 'b' 'c', merges a b -> ab, ab c -> abc; one special added token.
  dc::tok::TokenizerSpec spec;
  spec.vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}};
  spec.merges = {{"a", "b"}, {"ab", "c"}};
  dc::tok::AddedToken eos;
  eos.content = "</s>", eos.id = 5, eos.special = true;
  spec.added = {eos};
  spec.pattern = dc::tok::kQwen2Pattern;
  spec.eos = "</s>";
  const auto tok = dc::Tokenizer::from_spec(spec, "memory");
  EXPECT_EQ(tok.encode("abcab</s>c"), (std::vector<int32_t>{4, 3, 5, 2}));
  EXPECT_EQ(tok.special_ids().eos, 5);
  EXPECT_EQ(tok.decode(std::vector<int32_t>{4, 5}, /*skip_special=*/true), "abc");
  spec.merges = {{"a", "x"}};
  try {
    dc::Tokenizer::from_spec(spec, "memory");
    ADD_FAILURE() << "a merge with an unknown token was accepted";
  } catch (const dc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory: merge #0"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, InstructPromptIsExact) {
  EXPECT_EQ(dc::instruct_prompt("Write a function that reverses a list."),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite a function "
            "that reverses a list.\n<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(
      dc::instruct_prompt("q", "Be brief."),
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nq\n<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, EvaluationPromptsAreExact) {
  const std::string task = "def add(a, b):\n    \"\"\"Return a + b.\"\"\"";
  EXPECT_EQ(
      dc::humaneval_prompt(task),
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nPlease complete the "
      "following problem:\n```\ndef add(a, b):\n    \"\"\"Return a + b.\"\"\"\n```\n\n<|im_end|>\n"
      "<|im_start|>assistant\nHere is the code to solve this problem:\n```python\n");
  EXPECT_EQ(
      dc::mbpp_prompt("Write a function to add two numbers."),
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n```\nWrite a function "
      "to add two numbers.\n```\n\n<|im_end|>\n<|im_start|>assistant\nHere is the code to solve this "
      "problem:\n```python\n");
}

TEST(ChatTemplate, RoleMarkersEncodeAsSpecialTokens) {
  const auto tok = dc::Tokenizer::load(kTiny);
  const auto ids = tok.encode(dc::instruct_prompt("hi"));
  // <|im_start|> system \n You ... <|im_end|> \n <|im_start|> user \n hi \n <|im_end|> \n <|im_start|> ...
  ASSERT_GT(ids.size(), 10u);
  EXPECT_EQ(ids.front(), 1001);
  int starts = 0, ends = 0;
  for (int32_t id : ids) starts += id == 1001, ends += id == 1002;
  EXPECT_EQ(starts, 3);
  EXPECT_EQ(ends, 2);
  EXPECT_EQ(tok.decode(ids), dc::instruct_prompt("hi"));
}

TEST(IdList, ParsesJsonAndPlainLists) {
  using dc::tok::parse_id_list;
  EXPECT_EQ(parse_id_list("[1, 2, 3]", "t"), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(parse_id_list(" 4 5,6\n7 ,8 ", "t"), (std::vector<int32_t>{4, 5, 6, 7, 8}));
  EXPECT_EQ(parse_id_list("[]", "t"), (std::vector<int32_t>{}));
  EXPECT_EQ(parse_id_list("  \n", "t"), (std::vector<int32_t>{}));
  EXPECT_THROW(parse_id_list("1 two 3", "t"), dc::Error);
  EXPECT_THROW(parse_id_list("[1, 2", "t"), dc::Error);
  EXPECT_THROW(parse_id_list("-1", "t"), dc::Error);
  EXPECT_THROW(parse_id_list("99999999999", "t"), dc::Error);
  EXPECT_THROW(parse_id_list("1.5", "t"), dc::Error);
  try {
    parse_id_list("1 x2", "stdin");
  } catch (const dc::Error& e) {
    EXPECT_NE(std::string(e.what()).find("stdin: 'x2'"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, ConcurrentEncodingAgrees) {
  const auto tok = dc::Tokenizer::load(kQwen);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back("for i in range(" + std::to_string(i) + "):\n    total += values[i] * " +
                    std::to_string(i * 7) + "  # 注释 " + std::to_string(i % 13) + "\n");
  }
  std::vector<std::vector<int32_t>> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t));
  const dc::Tokenizer fresh = dc::Tokenizer::load(kQwen);  // empty word cache: threads fill it together
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i)
          bad[t] += fresh.encode(texts[(i + t * 37) % texts.size()]) != expected[(i + t * 37) % texts.size()];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

}  // namespace

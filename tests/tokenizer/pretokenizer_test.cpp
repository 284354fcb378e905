// The Qwen2 word split and NFC on hand-worked examples (the splits Hugging Face's tokens show for the same
// strings), the Oniguruma -> PCRE2 rewrite, and a white-space run long enough to exceed PCRE2's default
// match limit.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tokenizer/pretokenizer.h"

namespace {

using namespace dc::tok;

std::vector<std::string> words(const std::string& text) {
  static const SplitRegex split(kQwen2Pattern, "qwen2");
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  split.split(text, ranges);
  std::vector<std::string> out;
  for (auto [b, e] : ranges) out.push_back(text.substr(b, e - b));
  return out;
}

using W = std::vector<std::string>;

TEST(Qwen2Split, HandWorkedExamples) {
  EXPECT_EQ(words("Hello world"), (W{"Hello", " world"}));
  EXPECT_EQ(words("a  b"), (W{"a", " ", " b"}));                    // \s+(?!\S) leaves the last space to " b"
  EXPECT_EQ(words("x = 123"), (W{"x", " =", " ", "1", "2", "3"}));  // digits one at a time
  EXPECT_EQ(words("don't DON'T"), (W{"don", "'t", " DON", "'T"}));
  EXPECT_EQ(words("foo(bar);\n"), (W{"foo", "(bar", ");\n"}));
  EXPECT_EQ(words("a\n\n  b"), (W{"a", "\n\n", " ", " b"}));
  EXPECT_EQ(words("    return x\n"), (W{"   ", " return", " x", "\n"}));
  EXPECT_EQ(words("end  "), (W{"end", "  "}));
  EXPECT_EQ(words("\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C"), (W{"\xE4\xBD\xA0\xE5\xA5\xBD", "\xEF\xBC\x8C"}));
  // U+180E is not white space for Oniguruma (nor for Unicode since 6.3), so " \u180E" is one symbol run.
  EXPECT_EQ(words("x \xE1\xA0\x8E\n"), (W{"x", " \xE1\xA0\x8E\n"}));
  EXPECT_EQ(words(""), W{});
}

TEST(Qwen2Split, LongWhiteSpaceRun) {
  const std::string spaces(12'000'000, ' ');
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  SplitRegex(kQwen2Pattern, "qwen2").split(spaces + "x", ranges);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], (std::pair<uint32_t, uint32_t>{0, 11'999'999}));
  EXPECT_EQ(ranges[1], (std::pair<uint32_t, uint32_t>{11'999'999, 12'000'001}));
}

TEST(OnigToPcre2, RewritesSpaceClasses) {
  EXPECT_EQ(onig_to_pcre2("a+", "p"), "a+");
  const std::string s = onig_to_pcre2(R"(\s+(?!\S)|[^\s\p{L}])", "p");
  EXPECT_EQ(s.find("\\s"), std::string::npos) << s;
  EXPECT_EQ(s.find("\\S"), std::string::npos) << s;
  EXPECT_NE(s.find("\\x{3000}"), std::string::npos) << s;
  EXPECT_THROW(onig_to_pcre2(R"([\S])", "p"), dc::Error);
  EXPECT_THROW(SplitRegex("(unclosed", "file.json"), dc::Error);
}

TEST(Nfc, ComposesAndLeavesAsciiAlone) {
  EXPECT_EQ(nfc("cafe\xCC\x81"), "caf\xC3\xA9");                           // e + U+0301 -> é
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                              // U+212B ANGSTROM SIGN -> U+00C5
  EXPECT_EQ(nfc("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "\xED\x95\x9C");  // Hangul jamo -> 한
  EXPECT_EQ(nfc("plain ascii\n"), "plain ascii\n");
  EXPECT_EQ(nfc(std::string("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace

// UTF-8 repair, code point helpers, character classes and the byte-level alphabet, against hand-computed
// values (Unicode §3.9's worked example for U+FFFD substitution; GPT-2's byte table).
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace {

using namespace dc::tok;

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, LossyFollowsTheMaximalSubpartRule) {
  // Unicode 15 §3.9, Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c FFFD FFFD
  // d
  const std::string in = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  EXPECT_EQ(utf8_lossy(in), "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
  EXPECT_EQ(utf8_lossy("\xC0\x80"), kFffd + kFffd);              // overlong NUL: C0 never starts a sequence
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate: ED allows only 80..9F next
  EXPECT_EQ(utf8_lossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(utf8_lossy("ab\xE2\x82"), "ab" + kFffd);  // truncated at the end: one U+FFFD
  EXPECT_EQ(utf8_lossy("\xE2\x82x"), kFffd + "x");
  EXPECT_EQ(utf8_lossy("\xFF\xFE"), kFffd + kFffd);
  const std::string ok = "plain ascii, caf\xC3\xA9, \xE4\xB8\x96, \xF0\x9F\x98\x80";
  EXPECT_TRUE(utf8_is_valid(ok));
  EXPECT_EQ(utf8_lossy(ok), ok);
  EXPECT_FALSE(utf8_is_valid(in));
  EXPECT_TRUE(utf8_is_valid(""));
  EXPECT_TRUE(utf8_is_valid(std::string("a\0b", 3)));
}

TEST(Utf8, DecodeAndEncodeCodePoints) {
  const std::string s = "a\xC3\xA9\xE4\xB8\x96\xF0\x9F\x98\x80";  // a é 世 😀
  size_t len;
  EXPECT_EQ(utf8_decode_at(s, 0, &len), U'a');
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(utf8_decode_at(s, 1, &len), U'\u00E9');
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(utf8_decode_at(s, 3, &len), U'\u4E16');
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(utf8_decode_at(s, 6, &len), U'\U0001F600');
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(utf8_decode_before(s, s.size(), &len), U'\U0001F600');
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(utf8_decode_before(s, 3, &len), U'\u00E9');
  std::string out;
  for (char32_t c : {U'a', U'\u00E9', U'\u4E16', U'\U0001F600'}) utf8_append(out, c);
  EXPECT_EQ(out, s);
}

TEST(Utf8, CharacterClasses) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\r', U'\v', U'\f', U'\u0085', U'\u00A0', U'\u2003', U'\u3000'}) {
    EXPECT_TRUE(is_unicode_space(c)) << uint32_t(c);
  }
  for (char32_t c : {U'a', U'\u180E', U'\u200B', U'\uFEFF', U'_'})
    EXPECT_FALSE(is_unicode_space(c)) << uint32_t(c);
  for (char32_t c :
       {U'a', U'Z', U'0', U'_', U'\u00E9', U'\u0663', U'\u0301', U'\u4E16', U'\u24B6', U'\u200D'}) {
    EXPECT_TRUE(is_unicode_word(c)) << uint32_t(c);
  }
  for (char32_t c : {U'-', U' ', U'.', U'\u20AC', U'\U0001F600', U'\u00BD'}) {
    EXPECT_FALSE(is_unicode_word(c)) << uint32_t(c);
  }
}

TEST(ByteLevel, GptTwoTable) {
  EXPECT_EQ(byte_to_char(' '), U'\u0120');   // 'Ġ'
  EXPECT_EQ(byte_to_char('\n'), U'\u010A');  // 'Ċ'
  EXPECT_EQ(byte_to_char('\t'), U'\u0109');
  EXPECT_EQ(byte_to_char(0x00), U'\u0100');
  EXPECT_EQ(byte_to_char(0x7F), U'\u0121');
  EXPECT_EQ(byte_to_char(0xA0), U'\u0142');
  EXPECT_EQ(byte_to_char(0xAD), U'\u0143');
  EXPECT_EQ(byte_to_char('A'), U'A');
  EXPECT_EQ(byte_to_char(0xE9), U'\u00E9');
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t c = byte_to_char(uint8_t(b));
    seen.insert(c);
    ASSERT_EQ(char_to_byte(c), std::optional<uint8_t>(uint8_t(b)));
  }
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_FALSE(char_to_byte(U' ').has_value());
  EXPECT_FALSE(char_to_byte(U'\u0144').has_value());
  EXPECT_FALSE(char_to_byte(U'\u4E16').has_value());
}

TEST(ByteLevel, Spellings) {
  EXPECT_EQ(bytes_to_spelling(" hello\n"), "\xC4\xA0hello\xC4\x8A");  // "Ġhello" + "Ċ"
  EXPECT_EQ(spelling_to_bytes("\xC4\xA0hello\xC4\x8A"), " hello\n");
  // 世 = E4 B8 96 -> "ä¸ĸ": 0x96 is the 24th byte of the 127..160 run, which starts at U+0121 -> U+0138.
  EXPECT_EQ(bytes_to_spelling("\xE4\xB8\x96"), "\xC3\xA4\xC2\xB8\xC4\xB8");
  EXPECT_EQ(spelling_to_bytes("\xC3\xA4\xC2\xB8\xC4\xB8"), "\xE4\xB8\x96");
  // A character outside the alphabet (here a space) makes the decoder keep the token's own bytes.
  EXPECT_EQ(spelling_to_bytes("a b"), "a b");
  EXPECT_FALSE(spelling_to_bytes_strict("a b").has_value());
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, char(b));
    EXPECT_EQ(spelling_to_bytes(bytes_to_spelling(one)), one);
  }
}

}  // namespace

// Large inputs: NFC in pieces gives the same text as in one go (pieces end before an ASCII byte), and one
// encode call refuses a text beyond its cap with one line instead of overflowing its 32-bit offsets.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(LargeInput, NfcInPiecesEqualsNfcInOneGo) {
  // 1.8 MB of "e" + COMBINING ACUTE: every piece boundary falls before an "e", never between the two.
  EXPECT_EQ(dc::tok::nfc(repeat("e\xCC\x81", 600000)), repeat("\xC3\xA9", 600000));
  // A non-ASCII run longer than a piece is never cut: "a" + 600,000 acutes composes only the first.
  EXPECT_EQ(dc::tok::nfc("a" + repeat("\xCC\x81", 600000)), "\xC3\xA1" + repeat("\xCC\x81", 599999));
  // Marks out of canonical order are reordered within their own sequence, also across many pieces.
  EXPECT_EQ(dc::tok::nfc(repeat("q\xCC\x81\xCC\xA3 ", 500000)), repeat("q\xCC\xA3\xCC\x81 ", 500000));
}

TEST(LargeInput, EncodeRefusesTextsBeyondItsCap) {
  const dc::Tokenizer tok = dc::Tokenizer::load(std::string(DC_TESTDATA_DIR) + "/tiny-dream");
  const std::string big(dc::Tokenizer::kMaxEncodeBytes + 1, 'a');
  try {
    tok.encode(big);
    FAIL() << "a text beyond the cap was encoded";
  } catch (const dc::Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "a text of 268435457 bytes is longer than the 256 MiB one encode call takes"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(tok.encode(std::string_view(big).substr(0, 1000)).size(),
            tok.encode(std::string(1000, 'a')).size());
}

}  // namespace

// GPT-2 byte-level alphabet (see byte_level.h).
#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace dc::tok {

namespace {

bool printable(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> to_char{};
  Tables() {
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) to_char[b] = printable(b) ? char32_t(b) : next++;
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_to_char(uint8_t b) {
  return tables().to_char[b];
}

std::optional<uint8_t> char_to_byte(char32_t c) {
  if (c < 0x100) {
    if (printable(int(c))) return uint8_t(c);
    return std::nullopt;
  }
  if (c < 0x100 + 68) {
    // The k-th non-printable byte maps to U+0100 + k.
    const int k = int(c - 0x100);
    int seen = 0;
    for (int b = 0; b < 256; ++b) {
      if (printable(b)) continue;
      if (seen++ == k) return uint8_t(b);
    }
  }
  return std::nullopt;
}

std::string bytes_to_spelling(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) utf8_append(out, byte_to_char(uint8_t(ch)));
  return out;
}

std::optional<std::string> spelling_to_bytes_strict(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    const size_t n = utf8_sequence_length(token, i);
    if (n == 0) return std::nullopt;
    size_t len;
    const auto b = char_to_byte(utf8_decode_at(token, i, &len));
    if (!b) return std::nullopt;
    out.push_back(char(*b));
    i += n;
  }
  return out;
}

std::string spelling_to_bytes(std::string_view token) {
  auto b = spelling_to_bytes_strict(token);
  return b ? std::move(*b) : std::string(token);
}

}  // namespace dc::tok

// The GPT-2 byte-level alphabet: a bijection between the 256 byte values and 256 printable code points, so
// that every byte string has a printable spelling. Bytes that are printable Latin-1 ('!'..'~', U+00A1..
// U+00AC, U+00AE..U+00FF) map to themselves; the other 68 bytes map, in increasing order, to U+0100.. U+0143
// (so ' ' -> 'Ġ' U+0120, '\n' -> 'Ċ' U+010A). Vocabulary files spell tokens in this alphabet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dc::tok {

// Code point that spells byte b.
char32_t byte_to_char(uint8_t b);

// Byte spelled by code point c, or nullopt when c is not in the alphabet.
std::optional<uint8_t> char_to_byte(char32_t c);

// UTF-8 spelling of a byte string in the alphabet ("a b" -> "aĠb").
std::string bytes_to_spelling(std::string_view bytes);

// What Hugging Face's ByteLevel decoder turns one token into: when every character of the (UTF-8) token
// is in the alphabet, the bytes they spell; otherwise the token's own UTF-8 bytes, unchanged.
std::string spelling_to_bytes(std::string_view token);

// Strict inverse of bytes_to_spelling: nullopt when the token is not valid UTF-8 or has a character
// outside the alphabet.
std::optional<std::string> spelling_to_bytes_strict(std::string_view token);

}  // namespace dc::tok

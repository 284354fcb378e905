// UTF-8 helpers for the tokenizer: validation with U+FFFD replacement (the "maximal subpart" rule of
// Unicode §3.9, which Rust's String::from_utf8_lossy and Python's errors="replace" also follow), code point
// decoding/encoding, and the Unicode character classes that Hugging Face's added-token matching uses
// (Rust regex `\s` and `\w`). Knows nothing about vocabularies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dc::tok {

// Length in bytes of the well-formed UTF-8 sequence starting at s[i], or 0 when the bytes there are not a
// well-formed sequence (overlong forms, surrogates and values above U+10FFFF are ill-formed).
size_t utf8_sequence_length(std::string_view s, size_t i);

// True when every byte of s belongs to a well-formed UTF-8 sequence.
bool utf8_is_valid(std::string_view s);

// Copies s, replacing each maximal ill-formed subpart with U+FFFD (EF BF BD).
std::string utf8_lossy(std::string_view s);

// Decodes the well-formed sequence at s[i] (see utf8_sequence_length); sets *len to its byte length.
// Precondition: utf8_sequence_length(s, i) > 0.
char32_t utf8_decode_at(std::string_view s, size_t i, size_t* len);

// Decodes the code point that ends at s[end - 1]; sets *len to its byte length. Precondition: s[0, end) is
// well-formed UTF-8 and end > 0.
char32_t utf8_decode_before(std::string_view s, size_t end, size_t* len);

// Appends the UTF-8 encoding of cp (cp <= U+10FFFF, not a surrogate).
void utf8_append(std::string& out, char32_t cp);

// Unicode White_Space (what Rust's regex `\s` matches).
bool is_unicode_space(char32_t cp);

// Rust regex `\w` in Unicode mode: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control.
bool is_unicode_word(char32_t cp);

}  // namespace dc::tok

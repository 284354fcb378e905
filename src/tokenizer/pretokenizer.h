// Text normalisation and pre-tokenization for byte-level BPE: NFC (utf8proc) and the regex split that cuts
// normalised text into words before BPE (Hugging Face's `Split` pre-tokenizer with behaviour "Isolated":
// every match is a word, and so is every unmatched gap between matches). The regex is compiled with PCRE2
// (UTF + UCP, JIT); tokenizer.json stores it in Oniguruma syntax, translated by onig_to_pcre2.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dc::tok {

// The Qwen2 pre-tokenizer pattern (SPEC §2), as tokenizer.json spells it.
extern const char* const kQwen2Pattern;
// The GPT-2 pattern that Hugging Face's ByteLevel pre-tokenizer applies when `use_regex` is true.
extern const char* const kGpt2Pattern;

// NFC of valid UTF-8 text (ASCII is returned unchanged without calling utf8proc).
std::string nfc(std::string_view text);

// Rewrites an Oniguruma pattern for PCRE2 where the two engines disagree on this pattern family: PCRE2's
// `\s` also matches U+180E MONGOLIAN VOWEL SEPARATOR, which is not White_Space since Unicode 6.3 and which
// Oniguruma's `\s` does not match. Throws dc::Error (naming `source`) on constructs it cannot translate.
std::string onig_to_pcre2(std::string_view pattern, const std::string& source);

class SplitRegex {
 public:
  SplitRegex() = default;
  // Compiles `pattern` (Oniguruma syntax); throws dc::Error naming `source` when it does not compile.
  SplitRegex(const std::string& pattern, const std::string& source);

  // Appends the words of `text` (valid UTF-8) as byte ranges [begin, end), in order, covering the text.
  void split(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>& words) const;
  // The same words handed to `on_word(begin, end)` as they are found, holding none of them: a large text
  // has millions of words, and the encoder needs each only once.
  void for_each_word(std::string_view text, const std::function<void(uint32_t, uint32_t)>& on_word) const;

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
};

}  // namespace dc::tok

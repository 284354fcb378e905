// NFC and the PCRE2 word split (see pretokenizer.h).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.h"

#include <cstdint>
#include <cstdlib>

#include <pcre2.h>
#include <utf8proc.h>

#include <algorithm>

#include "core/error.h"

namespace dc::tok {

const char* const kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

// utf8proc_map works on a UTF-32 copy of its whole input (4 bytes per code point, then the result), so a
// large text is normalised in pieces of about kNfcPiece bytes. A piece ends before an ASCII byte: ASCII
// characters are starters that never combine with what precedes them, so NFC(a + b) = NFC(a) + NFC(b).
constexpr size_t kNfcPiece = size_t(1) << 20;

std::string nfc_piece(std::string_view text) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), utf8proc_ssize_t(text.size()),
                   &out, utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  DC_ASSERT(n >= 0, "utf8proc_map failed on text that was validated as UTF-8");
  std::string result(reinterpret_cast<const char*>(out), size_t(n));
  std::free(out);
  return result;
}

}  // namespace

std::string nfc(std::string_view text) {
  bool ascii = true;
  for (char c : text) ascii = ascii && uint8_t(c) < 0x80;
  if (ascii) return std::string(text);
  if (text.size() <= kNfcPiece) return nfc_piece(text);
  std::string out;
  out.reserve(text.size());
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = std::min(text.size(), begin + kNfcPiece);
    while (end < text.size() && uint8_t(text[end]) >= 0x80) ++end;  // to the next ASCII byte
    out += nfc_piece(text.substr(begin, end - begin));
    begin = end;
  }
  return out;
}

std::string onig_to_pcre2(std::string_view p, const std::string& source) {
  // \s outside a class -> [\s--U+180E]; inside a class -> the same set spelled as class items; \S the
  // complement. PCRE2 has no class subtraction, so spell White_Space explicitly.
  static const std::string kSpaceItems =
      R"(\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      ++i;
      if (e == 's') {
        out += in_class ? kSpaceItems : "[" + kSpaceItems + "]";
      } else if (e == 'S') {
        if (in_class)
          throw_error("{}: pre-tokenizer regex uses \\S inside a character class, which is not supported",
                      source);
        out += "[^" + kSpaceItems + "]";
      } else {
        out += '\\';
        out += e;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (c == '[' && in_class)
      throw_error("{}: pre-tokenizer regex uses a nested character class, which is not supported", source);
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

struct SplitRegex::Code {
  pcre2_code* code = nullptr;
  // Raised limits: PCRE2's default match limit (10 million steps) stops `\s+(?!\S)` on a run of ~10 MB of
  // spaces, which is valid input.
  pcre2_match_context* context = nullptr;
  ~Code() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

SplitRegex::SplitRegex(const std::string& pattern, const std::string& source) {
  const std::string translated = onig_to_pcre2(pattern, source);
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                   PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    throw_error("{}: pre-tokenizer regex does not compile at offset {}: {}", source, size_t(offset),
                reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  auto c = std::make_shared<Code>();
  c->code = code;
  c->context = pcre2_match_context_create(nullptr);
  DC_ASSERT(c->context != nullptr, "out of memory");
  pcre2_set_match_limit(c->context, UINT32_MAX);
  pcre2_set_depth_limit(c->context, UINT32_MAX);
  pcre2_set_heap_limit(c->context, UINT32_MAX);
  code_ = std::move(c);
}

void SplitRegex::split(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>& words) const {
  for_each_word(text, [&](uint32_t b, uint32_t e) { words.emplace_back(b, e); });
}

void SplitRegex::for_each_word(std::string_view text,
                               const std::function<void(uint32_t, uint32_t)>& on_word) const {
  DC_ASSERT(code_ != nullptr);
  struct MatchData {
    pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
    ~MatchData() { pcre2_match_data_free(md); }
  };
  thread_local MatchData data;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0, gap = 0;
  while (pos < text.size()) {
    const int rc =
        pcre2_match(code_->code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, data.md, code_->context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof(msg));
      throw_error("pre-tokenizer: cannot split a {}-byte text: {}", text.size(),
                  reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.md);
    const size_t b = ov[0], e = ov[1];
    if (e == b) {  // an empty match: no word; step over one code point
      pos = b + 1;
      while (pos < text.size() && (uint8_t(text[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (b > gap) on_word(uint32_t(gap), uint32_t(b));
    on_word(uint32_t(b), uint32_t(e));
    pos = gap = e;
  }
  if (gap < text.size()) on_word(uint32_t(gap), uint32_t(text.size()));
}

}  // namespace dc::tok

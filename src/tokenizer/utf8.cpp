// UTF-8 validation, lossy repair and character classes (see utf8.h).
#include "tokenizer/utf8.h"

#include <utf8proc.h>

namespace dc::tok {

namespace {

bool in(uint8_t b, uint8_t lo, uint8_t hi) {
  return b >= lo && b <= hi;
}

// Number of bytes, starting at s[i], that form a (possibly truncated) prefix of a well-formed sequence, and
// the full length that the lead byte announces. A result with prefix == need is a well-formed sequence.
struct Prefix {
  size_t prefix;
  size_t need;
};

Prefix scan(std::string_view s, size_t i) {
  const auto b0 = uint8_t(s[i]);
  if (b0 < 0x80) return {1, 1};
  // Allowed range of the second byte for each lead byte (Unicode Table 3-7); later bytes are 80..BF.
  uint8_t lo = 0x80, hi = 0xBF;
  size_t need;
  if (in(b0, 0xC2, 0xDF)) {
    need = 2;
  } else if (b0 == 0xE0) {
    need = 3, lo = 0xA0;
  } else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) {
    need = 3;
  } else if (b0 == 0xED) {
    need = 3, hi = 0x9F;
  } else if (b0 == 0xF0) {
    need = 4, lo = 0x90;
  } else if (in(b0, 0xF1, 0xF3)) {
    need = 4;
  } else if (b0 == 0xF4) {
    need = 4, hi = 0x8F;
  } else {
    return {0, 1};  // 80..C1, F5..FF never start a sequence
  }
  size_t k = 1;
  for (; k < need && i + k < s.size(); ++k) {
    const auto b = uint8_t(s[i + k]);
    const bool ok = (k == 1) ? in(b, lo, hi) : in(b, 0x80, 0xBF);
    if (!ok) break;
  }
  return {k, need};
}

}  // namespace

size_t utf8_sequence_length(std::string_view s, size_t i) {
  const Prefix p = scan(s, i);
  return p.prefix == p.need ? p.need : 0;
}

bool utf8_is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (uint8_t(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const Prefix p = scan(s, i);
    if (p.prefix == p.need) {
      out.append(s.substr(i, p.need));
      i += p.need;
    } else {
      // A lead byte with k valid continuation bytes and then a bad or missing byte: one U+FFFD for the
      // k + 1 bytes; a byte that cannot start a sequence: one U+FFFD for itself.
      out.append("\xEF\xBF\xBD");
      i += p.prefix == 0 ? 1 : p.prefix;
    }
  }
  return out;
}

char32_t utf8_decode_at(std::string_view s, size_t i, size_t* len) {
  const auto b0 = uint8_t(s[i]);
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  const size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  char32_t cp = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
  *len = n;
  return cp;
}

char32_t utf8_decode_before(std::string_view s, size_t end, size_t* len) {
  size_t start = end - 1;
  while (start > 0 && (uint8_t(s[start]) & 0xC0) == 0x80) --start;
  return utf8_decode_at(s, start, len);
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

bool is_unicode_space(char32_t cp) {
  // The White_Space property list (PropList.txt), which is small and stable.
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

bool is_unicode_word(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  }
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  // Other_Alphabetic symbols outside the letter and mark categories: circled and squared Latin letters.
  if ((cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F149) ||
      (cp >= 0x1F150 && cp <= 0x1F169) || (cp >= 0x1F170 && cp <= 0x1F189)) {
    return true;
  }
  switch (utf8proc_category(utf8proc_int32_t(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

}  // namespace dc::tok

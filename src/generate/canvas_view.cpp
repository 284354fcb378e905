#include "generate/canvas_view.h"

#include <string>
#include <vector>

namespace dc {

namespace {
constexpr const char* kFresh = "\x1b[1;32m";  // bold green: committed in this step
constexpr const char* kMask = "\x1b[2m";      // dim: still masked
constexpr const char* kReset = "\x1b[0m";
constexpr size_t kMinRepeat = 3;  // shortest run of one special token drawn with a count
}  // namespace

std::string render_canvas(const Tokenizer& tok, std::span<const int32_t> generated,
                          std::span<const uint8_t> fresh, int32_t mask_id, const CanvasViewStyle& style) {
  std::string out;
  size_t i = 0;
  const size_t n = generated.size();
  auto is_fresh_at = [&](size_t k) { return !fresh.empty() && fresh[k] != 0; };
  // Length of the run of generated[k] (same token, same freshness) when it is a special token repeated
  // kMinRepeat times or more, else 0: such runs (the <|dlm_pad|> fill of an instruct answer) are drawn
  // once with their count.
  auto counted_run = [&](size_t k) -> size_t {
    if (generated[k] == mask_id || !tok.is_special(generated[k])) return 0;
    size_t e = k;
    while (e < n && generated[e] == generated[k] && is_fresh_at(e) == is_fresh_at(k)) ++e;
    return e - k >= kMinRepeat ? e - k : 0;
  };
  while (i < n) {
    if (generated[i] == mask_id) {
      size_t j = i;
      while (j < n && generated[j] == mask_id) ++j;
      if (style.color) out += kMask;
      for (size_t k = i; k < j; ++k) out += style.mask_glyph;
      if (style.color) out += kReset;
      i = j;
      continue;
    }
    const bool is_fresh = is_fresh_at(i);
    if (const size_t run = counted_run(i); run > 0) {
      if (style.color && is_fresh) out += kFresh;
      out += tok.decode(generated.subspan(i, 1)) + "×" + std::to_string(run);
      if (style.color && is_fresh) out += kReset;
      i += run;
      continue;
    }
    // A run of committed tokens with the same freshness, decoded as one piece.
    size_t j = i + 1;
    while (j < n && generated[j] != mask_id && is_fresh_at(j) == is_fresh && counted_run(j) == 0) ++j;
    const std::string text = tok.decode(generated.subspan(i, j - i));
    if (style.color && is_fresh) out += kFresh;
    out += text;
    if (style.color && is_fresh) out += kReset;
    i = j;
  }
  return out;
}

}  // namespace dc

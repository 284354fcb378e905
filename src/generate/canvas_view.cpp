#include "generate/canvas_view.h"

#include <vector>

namespace dc {

namespace {
constexpr const char* kFresh = "\x1b[1;32m";  // bold green: committed in this step
constexpr const char* kMask = "\x1b[2m";      // dim: still masked
constexpr const char* kReset = "\x1b[0m";
}  // namespace

std::string render_canvas(const Tokenizer& tok, std::span<const int32_t> generated,
                          std::span<const uint8_t> fresh, int32_t mask_id, const CanvasViewStyle& style) {
  std::string out;
  size_t i = 0;
  const size_t n = generated.size();
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
    // A run of committed tokens with the same freshness, decoded as one piece.
    const bool is_fresh = !fresh.empty() && fresh[i];
    size_t j = i;
    while (j < n && generated[j] != mask_id && (!fresh.empty() && fresh[j]) == is_fresh) ++j;
    const std::string text = tok.decode(generated.subspan(i, j - i));
    if (style.color && is_fresh) out += kFresh;
    out += text;
    if (style.color && is_fresh) out += kReset;
    i = j;
  }
  return out;
}

}  // namespace dc

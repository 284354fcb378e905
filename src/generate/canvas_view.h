// The `--visual` view: the canvas of one prompt drawn as text while it is denoised. Masked slots show as
// a shaded block, tokens committed in the latest step are highlighted, earlier ones are plain. The view
// only builds strings (tested without a terminal); the CLI decides where and how often to draw them.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tokenizer/tokenizer.h"

namespace dc {

struct CanvasViewStyle {
  bool color = true;             // ANSI colours (off when the output is not a terminal)
  std::string mask_glyph = "░";  // drawn for each masked slot
};

// Renders the generated region of one canvas row: `generated` are the L slots (mask id where still
// masked), `fresh[i]` != 0 marks slots committed in the latest step. Runs of committed tokens are decoded
// together, so multi-token characters come out whole; a special token repeated three times or more (the
// <|dlm_pad|> fill of an instruct answer) is drawn once followed by "×count".
std::string render_canvas(const Tokenizer& tok, std::span<const int32_t> generated,
                          std::span<const uint8_t> fresh, int32_t mask_id, const CanvasViewStyle& style);

}  // namespace dc

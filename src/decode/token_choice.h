// One masked position's prediction -> (token, confidence), exactly as Dream's `sample_tokens` does it
// (SPEC §3, steps 2 and 3): temperature, top-p, top-k on the logits, softmax, argmax or a draw, then the
// confidence of the remasking rule. Works on one row of V logits; knows nothing of canvases or models.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "decode/params.h"

namespace dc {

struct LogitFilter {
  float temperature = 0;  // > 0: logits are divided by it (0 leaves them as they are)
  float top_p = 1;        // < 1: nucleus filter
  int top_k = 0;          // > 0: keep the top_k largest
};

// Scratch space reused across calls (one per thread): index and probability buffers of size V.
struct ChoiceScratch {
  std::vector<int32_t> order;  // (V) token indices, partially sorted
  std::vector<float> probs;    // (V) probabilities
  std::vector<float> raw;      // (V) unfiltered logits (low_confidence only)
};

// Value written into filtered-out logits: float32 lowest, as Dream's masked_fill(finfo.min), not -inf.
constexpr float kRemovedLogit = -3.40282347e+38f;

// Applies temperature, then top-p, then top-k to logits (V) in place, as Dream's sample_tokens.
// top-p: sort descending, cumulative softmax probability; a token is removed when the cumulative
// probability of the tokens strictly before it already exceeds top_p (the top-1 always stays).
// top-k: every logit strictly below the k-th largest is removed (ties with it stay).
void filter_logits(std::span<float> logits, const LogitFilter& filter, ChoiceScratch& scratch);

// probs (V) = softmax(logits) in float32 (max-subtracted; the sum accumulated in double).
void softmax_f32(std::span<const float> logits, std::span<float> probs);

struct TokenChoice {
  int32_t token = 0;
  float confidence = 0;
};

// The full per-position rule: filter `logits` (modified in place), softmax, token = argmax (first maximum)
// when temperature == 0, else the inverse-CDF draw at `u_token` in [0, 1); confidence per `alg`:
//   maskgit_plus: p(token); topk_margin: p_top1 - p_top2; entropy: sum p*log(p + 1e-10);
//   low_confidence: softmax(unfiltered, untempered logits)[token]; random: u_random;
//   origin: p(token) (origin ignores confidences).
TokenChoice choose_token(std::span<float> logits, Alg alg, const LogitFilter& filter, double u_token,
                         float u_random, ChoiceScratch& scratch);

}  // namespace dc

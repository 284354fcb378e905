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

// Scratch space reused across calls (one per thread).
struct ChoiceScratch {
  std::vector<int32_t> order;        // token indices: top-p candidates, top-k selection
  std::vector<float> probs;          // (V) exponentials, then probabilities
  std::vector<float> raw;            // (V) unfiltered logits (low_confidence with a temperature only)
  std::vector<double> bucket_mass;   // top-p histograms
  std::vector<uint16_t> bucket_ids;  // (V) top-p bucket of every token
  std::vector<double> block_sums;    // probability per block of kernels::kProbBlock tokens
};

// Value written into filtered-out logits: float32 lowest, as Dream's masked_fill(finfo.min), not -inf.
constexpr float kRemovedLogit = -3.40282347e+38f;

// Applies temperature, then top-p, then top-k to logits (V) in place, as Dream's sample_tokens, writing
// kRemovedLogit into the removed ones. top-p: sort descending (equal logits: lower index first), cumulative
// softmax probability; a token is removed when the cumulative probability of the tokens strictly before it
// already exceeds top_p (the top-1 always stays). top-k: every logit strictly below the k-th largest is
// removed (ties with it stay). Linear in V: nothing is sorted but the k largest (top-k) or the few tokens
// around the top-p boundary (decode/token_choice_ref.h has the sorting reference).
void filter_logits(std::span<float> logits, const LogitFilter& filter, ChoiceScratch& scratch);

// probs (V) = softmax(logits) in float32 (max-subtracted; the same kernels as choose_token).
void softmax_f32(std::span<const float> logits, std::span<float> probs);

struct TokenChoice {
  int32_t token = 0;
  float confidence = 0;
};

// The full per-position rule: filter as filter_logits, softmax, token = argmax (first maximum) when
// temperature == 0, else the inverse-CDF draw at `u_token` in [0, 1); confidence per `alg`:
//   maskgit_plus: p(token); topk_margin: p_top1 - p_top2; entropy: sum p*log(p + 1e-10);
//   low_confidence: softmax(unfiltered, untempered logits)[token] in double; random: u_random;
//   origin: p(token) (origin ignores confidences).
// The logits are divided by the temperature in place (filtered tokens are not written); about eight
// vectorised passes over the row, plus the top-p histogram when top-p is on without top-k.
TokenChoice choose_token(std::span<float> logits, Alg alg, const LogitFilter& filter, double u_token,
                         float u_random, ChoiceScratch& scratch);

}  // namespace dc

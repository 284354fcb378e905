// The per-position rule of decode/token_choice.h written the plain way: sort the vocabulary for top-p,
// nth_element for top-k, a second softmax over the filtered logits, a sequential draw. Slow (a sort of V per
// position with top-p on) but obviously the reference's order of operations: it is the oracle the engine's
// selection is tested against and the baseline of bench_sampler.
#pragma once

#include <span>

#include "decode/token_choice.h"

namespace dc::ref {

// filter_logits by sorting the whole row (same probabilities: softmax_f32 of the tempered logits).
void filter_logits(std::span<float> logits, const LogitFilter& filter);

// choose_token on top of ref::filter_logits.
TokenChoice choose_token(std::span<float> logits, Alg alg, const LogitFilter& filter, double u_token,
                         float u_random);

}  // namespace dc::ref

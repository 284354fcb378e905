// Which of a row's candidate positions a step commits (SPEC §3, step 5), given their confidences.
// Candidates are passed in canvas order; the results are candidate indices sorted ascending.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"
#include "decode/params.h"

namespace dc {

// The k largest confidences (torch.topk); among equal confidences the lower index wins. k is clamped to
// the number of candidates.
std::vector<int32_t> select_top_k(std::span<const float> confidence, int64_t k);

// k indices drawn without replacement from softmax(confidence / alg_temp) (torch.multinomial with
// replacement=False): one draw at a time, each renormalised over the indices not yet drawn. When fewer
// than k indices have non-zero probability (tiny alg_temp underflows the softmax), the rest are taken
// by confidence as select_top_k would (the reference raises an error there).
std::vector<int32_t> select_sampled(std::span<const float> confidence, int64_t k, float alg_temp, Rng& rng);

// Parallel commits (SPEC §4) over certainties in [0, 1] (see certainty()): threshold > 0 takes every
// index with certainty >= threshold; factor > 0 sorts them descending, c_1 >= c_2 >= ..., and takes the
// largest n with c_j >= 1 - factor / (j + 1) for every j <= n. Either way at least one: the most certain
// (lower index among equals). Exactly one of threshold, factor is > 0.
std::vector<int32_t> select_confident(std::span<const float> certainty, float threshold, float factor);

// A remasking rule's confidence on the [0, 1] scale the parallel rules compare against: exp of the
// entropy rule's sum p log p (1 for a one-hot prediction), the other rules' confidence as it is.
float certainty(Alg alg, float confidence);

}  // namespace dc

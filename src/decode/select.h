// Which of a row's candidate positions a step commits (SPEC §3, step 5), given their confidences.
// Candidates are passed in canvas order; the results are candidate indices sorted ascending.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"

namespace dc {

// The k largest confidences (torch.topk); among equal confidences the lower index wins. k is clamped to
// the number of candidates.
std::vector<int32_t> select_top_k(std::span<const float> confidence, int64_t k);

// k indices drawn without replacement from softmax(confidence / alg_temp) (torch.multinomial with
// replacement=False): one draw at a time, each renormalised over the indices not yet drawn. When fewer
// than k indices have non-zero probability (tiny alg_temp underflows the softmax), the rest are taken
// by confidence as select_top_k would (the reference raises an error there).
std::vector<int32_t> select_sampled(std::span<const float> confidence, int64_t k, float alg_temp, Rng& rng);

}  // namespace dc

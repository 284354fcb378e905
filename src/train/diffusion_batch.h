// The masked-diffusion training batch (SPEC §5): per sequence t ~ U(eps, 1); every maskable position is
// replaced by <|mask|> independently with probability t; the loss is sum over masked positions p of
// (1/t) * CE(raw row p-1, clean token p), divided by the number of masked tokens in the batch.
//
// Maskable positions are 1..N-1 (position 0 has no raw row before it, so with the logit shift it can never
// be scored) and, in SFT, only positions >= prompt_len. Attention annealing (AR -> diffusion adaptation):
// with anneal_p < 1 each (query, key) pair above the diagonal is allowed with probability anneal_p, drawn
// per sequence; pairs on or below the diagonal are always allowed.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "model/training_pass.h"
#include "train/token_dataset.h"

namespace dc::train {

struct DiffusionBatch {
  int64_t B = 0, N = 0;
  std::vector<int32_t> tokens;  // (B, N) noisy input: clean tokens with masked positions = mask id
  HeadTargets head;             // one row per masked position p: raw row b*N + p - shift, clean token, weight
  std::vector<float> t;         // (B) masking ratio of each sequence
  std::vector<uint8_t> allow;   // (B, N, N) attention mask, empty = full attention
  int64_t masked = 0;           // number of masked tokens
};

// Builds a batch from B clean sequences with randomness from `rng` only. `shift` is the architecture's
// logit_shift (architecture.h): with 1, position 0 is never masked (no row predicts it). eps in (0, 1);
// anneal_p in [0, 1] (1 = full attention, no mask stored). Weights are 1 / (t * masked) so the returned loss
// of loss_and_grad is the SPEC's normalised loss (0 rows when nothing got masked).
DiffusionBatch make_diffusion_batch(const std::vector<TokenSequence>& seqs, int32_t mask_id, int shift,
                                    double eps, double anneal_p, Rng& rng);

}  // namespace dc::train

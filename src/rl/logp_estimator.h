// Per-token log-probabilities of a completion under a masked diffusion model (SPEC §6), estimated from
// masked forward passes over prompt + completion with the prompt never masked (except for d1):
//
//   coupled    passes 0..2K: (0) the whole completion masked; for each of K pairs j, one uniform R_jk per
//              completion token and the batch's t ~ U(t_min, t_max): pass 1+2j masks the tokens with
//              R_jk < t, pass 2+2j masks exactly the others (the complement). Every completion token is
//              masked in exactly one pass of each pair, and
//                logp_k = 0.5 * (logp0_k + (1/K) sum_j (R_jk < t ? logp^(1+2j)_k / t : logp^(2+2j)_k /
//                (1-t)))
//   decoupled  the same passes and formula, but pass 2+2j masks R'_jk >= t with R' drawn independently of
//              R (a token may be masked in both passes of a pair, or in neither); both terms are then
//              added when they apply. Same expectation as coupled, no antithetic pairing.
//   full-mask  one pass, the whole completion masked: logp_k = logp0_k.
//   d1         one pass, the whole completion masked and each prompt token masked with probability
//              prompt_mask_ratio (diffu-GRPO): logp_k = logp0_k.
//
// logp^(j)_k is log softmax of the shifted logits of pass j at the raw row predicting completion token k
// (row P + k - 1 of the sequence). Only the first `scored` completion tokens (up to and including the first
// end-of-turn token) get an estimate; masks cover the whole completion. A plan is drawn once per inner
// iteration and reused for the old, reference and current log-probs (shared mask seed).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/training_pass.h"

namespace dc::rl {

enum class Estimator { Coupled, Decoupled, FullMask, D1 };
const char* estimator_name(Estimator);               // "coupled", "decoupled", "full-mask", "d1"
Estimator parse_estimator(const std::string& name);  // throws dc::Error naming the choices

struct EstimatorOptions {
  Estimator kind = Estimator::Coupled;
  int mask_pairs = 1;  // K (coupled, decoupled)
  double t_min = 0.2, t_max = 0.8;
  double prompt_mask_ratio = 0.15;  // d1
};

// Throws dc::Error with one line for an impossible setting.
void validate(const EstimatorOptions&);

// The batch's masking ratio t ~ U(t_min, t_max).
double draw_mask_ratio(const EstimatorOptions&, Rng& rng);

// One term of an estimate: coef * logp^(pass)_k.
struct LogpTerm {
  int32_t pass = 0;
  float coef = 0;
};

// The masked passes of one sequence and how each scored completion token's estimate combines them.
struct MaskPlan {
  int64_t prompt_length = 0;                 // P
  std::vector<std::vector<int32_t>> inputs;  // [passes] (P + L) tokens, masked positions = mask id
  std::vector<std::vector<LogpTerm>> terms;  // [scored] the terms of logp_k
  int passes() const { return int(inputs.size()); }
};

// Draws the plan of one sequence (randomness from `rng` only; t from draw_mask_ratio, shared by the
// batch). 0 <= scored <= completion.size(); the prompt must not be empty (position 0 has no row before it).
MaskPlan make_mask_plan(const EstimatorOptions& o, std::span<const int32_t> prompt,
                        std::span<const int32_t> completion, int64_t scored, int32_t mask_id, double t,
                        Rng& rng);

// One forward over G sequences of equal length N (the completions of one prompt), all passes stacked:
// batch row g * passes + j is pass j of sequence g. Head row r feeds logp of (seq[r], token[r]) with coef[r].
struct LogpBatch {
  int64_t B = 0, N = 0;
  std::vector<int32_t> tokens;  // (B, N)
  HeadTargets head;             // rows, targets (the completion tokens), weights (unused: 0)
  std::vector<int32_t> seq, token;
  std::vector<float> coef;
  std::vector<int64_t> scored;  // [G] scored tokens of each sequence
};

// The plans must share prompt length, pass count and input length. `completions[g]` are the clean tokens.
// `shift` is the model's logit_shift (architecture.h): completion token k is scored at raw row P + k - shift.
LogpBatch make_logp_batch(const std::vector<MaskPlan>& plans,
                          const std::vector<std::vector<int32_t>>& completions, int shift);

// logp[g][k] = sum over head rows r of (g, k): coef[r] * -row_loss[r] (row_loss = cross-entropy = -logp).
std::vector<std::vector<double>> combine_logp(const LogpBatch& b, std::span<const double> row_loss);

// Head-row weights for train_backward_from_head that give the gradient of a loss with dLoss/dlogp[g][k]
// = dlogp[g][k]: weight[r] = -coef[r] * dlogp[seq[r]][token[r]] (row_loss is -logp).
std::vector<float> head_weights(const LogpBatch& b, const std::vector<std::vector<double>>& dlogp);

}  // namespace dc::rl

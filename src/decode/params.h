// Parameters of the diffusion samplers (SPEC §3) and their validation. The defaults follow Dream's
// `diffusion_generate` except `alg` (entropy, the DiffuCoder setting) and `steps` (equal to max_new_tokens).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/ops.h"

namespace dc {

// Remasking rule: which masked positions are committed at each step (SPEC §3, step 3 and 5).
enum class Alg {
  Origin,         // every masked position revealed independently with probability 1 - s/t
  MaskgitPlus,    // confidence = p(chosen token)
  TopkMargin,     // confidence = p_top1 - p_top2
  Entropy,        // confidence = sum p log(p + 1e-10) (negative entropy)
  LowConfidence,  // LLaDA: confidence = softmax(raw logits)[chosen token]
  Random,         // confidence = uniform(0, 1)
};

// "origin", "maskgit_plus", "topk_margin", "entropy", "low_confidence", "random".
std::string_view alg_name(Alg alg);
// Parses one of the names above; throws dc::Error naming the accepted values otherwise.
Alg parse_alg(std::string_view name);

// Key/value caching with semi-AR blocks (SPEC §4): none recomputes every position at every step; prefix
// and dual run a refresh at a block's first model call and then only the block and what follows it
// (prefix) or the block alone (dual) against the keys/values the refresh stored. The generation's first
// refresh is a full pass; later ones keep the prompt's keys/values and run the answer slots. Sparse is
// dual with delayed caching (dKV-Cache): a step runs only the rows that predict the block's masks and
// the positions committed at the step before (their stored keys/values still hold the mask), so a step
// costs about (masks left + commits) rows instead of the block's; its later refreshes also keep the
// earlier blocks' keys/values and run the block and what follows it.
enum class CacheMode { None, Prefix, Dual, Sparse };

// "exact", "fast" (kernels::Precision).
std::string_view precision_name(kernels::Precision precision);
// Parses one of the names above; throws dc::Error naming the accepted values otherwise.
kernels::Precision parse_precision(std::string_view name);

// "none", "prefix", "dual", "sparse".
std::string_view cache_name(CacheMode mode);
// Parses one of the names above; throws dc::Error naming the accepted values otherwise.
CacheMode parse_cache(std::string_view name);

struct GenerationParams {
  int max_new_tokens = 256;  // L: masks appended after the prompt; the whole canvas is always filled
  int steps = 256;           // denoising steps (model calls) over the whole generation
  Alg alg = Alg::Entropy;
  float temperature = 0;  // 0: greedy argmax; > 0: logits / temperature, then sample
  float top_p = 1;        // nucleus filter; >= 1 disables it
  int top_k = 0;          // keep the k largest logits; 0 disables it
  float alg_temp = 0;     // 0: commit the k most confident; > 0: draw k from softmax(confidence / alg_temp)
  float eps = 1e-3f;      // last point of the time grid linspace(1, eps, steps + 1)
  int block_length = 0;   // > 0: semi-autoregressive blocks (LLaDA schedule); 0: one Dream-style pass
  uint64_t seed = 0;      // every random draw derives from it (one stream per batch row)
  // Per-row random streams: when not empty (one entry per row), row b draws from
  // Rng(row_seeds[b].seed).fork(row_seeds[b].stream) instead of Rng(seed).fork(b), so that a row's draws do
  // not depend on the rows it shares the batch with (a server decoding independent requests together).
  struct RowSeed {
    uint64_t seed = 0;
    uint64_t stream = 0;
  };
  std::vector<RowSeed> row_seeds;
  int32_t pad_token_id = 0;   // written into left-padding slots (the model never attends to them)
  bool keep_history = false;  // store the canvas after every step in GenerationResult::history
  // Parallel commits (SPEC §4), replacing the schedule's count: each step commits every candidate whose
  // certainty is >= threshold (0: off), or by the factor rule (0: off), at least one per step; the last
  // step of the run (or of a block) still commits everything left, so `steps` becomes a cap. The
  // certainty is the rule's confidence on a [0, 1] scale: p(token), the margin, exp(-entropy), LLaDA's
  // softmax confidence, or the random draw.
  float threshold = 0;
  float factor = 0;
  // Early stop: once a row's committed tokens hold one of end_tokens with no mask before it, the masks
  // after it are filled with that token and the row is finished; the run ends when every row is.
  bool early_stop = false;
  std::vector<int32_t> end_tokens;    // filled in by the caller that knows the tokenizer
  CacheMode cache = CacheMode::None;  // needs block_length > 0
  // How the model multiplies activations with BF16 weights (kernels/ops.h). The sampler does not read it:
  // the model's owner (TextGenerator) sets it on the model before each run.
  kernels::Precision precision = kernels::Precision::Exact;
};

// Checks the parameters; throws dc::Error with one line naming the offending field. Decisions where
// Dream's reference accepts degenerate values:
//  * steps < 1 is rejected (the reference would return the canvas still full of masks);
//  * steps > max_new_tokens is accepted (those steps commit 0 tokens, the last step commits the rest);
//  * max_new_tokens == 0 is accepted and generates nothing;
//  * block_length > 0 must divide max_new_tokens and the number of blocks must divide steps (as LLaDA);
//  * temperature, alg_temp >= 0; top_p > 0; top_k >= 0; 0 < eps < 1;
//  * a cache needs blocks (block_length > 0).
void validate(const GenerationParams& params);

}  // namespace dc

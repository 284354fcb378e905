// Decoding prompts for the analysis (SPEC §7, issue 5 item 1): one token per step (steps = max_new_tokens,
// any remasking algorithm), keeping each sample's commit order and the confidence of every generated
// position at the first decoding step (the entropy sink). Works on any dc::Denoiser and token-id prompts;
// loading models, tokenising and choosing prompts is the caller's job.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "analysis/summary.h"
#include "decode/params.h"
#include "model/denoiser.h"

namespace dc::analysis {

// The per-position confidence of the remasking rule `params.alg` at the first model call of a generation:
// the canvas prompt + [mask] * L, every generated position predicted, logits filtered by temperature / top-p
// / top-k and the confidence taken exactly as the sampler does (decode/token_choice.h). With steps == L the
// sampler's step 0 commits nothing and skips the model, so this is the canvas its first model call sees.
// For entropy, topk_margin and low_confidence the values equal the sampler's; maskgit_plus with
// temperature > 0 and random draw from Rng(params.seed) and so are samples of the same distribution.
// Returns (L) values; throws dc::Error for an empty prompt or bad parameters.
std::vector<double> first_step_confidence(Denoiser& model, std::span<const int32_t> prompt,
                                          const GenerationParams& params);

// Decodes every prompt with `params`, steps forced to max_new_tokens, `batch_size` prompts per call of
// dc::generate (the batch starting at prompt i uses seed params.seed + i), and returns one Sample per
// prompt: its commit order and first-step confidences. Those are the sampler's own values at its first
// model call (StepEvent::confidence), so they are exact for every algorithm and temperature; a row whose
// generated positions were not all scored then falls back to first_step_confidence. `progress(done, total)`
// is called after each batch.
std::vector<Sample> decode_samples(Denoiser& model, const std::vector<std::vector<int32_t>>& prompts,
                                   const GenerationParams& params, int batch_size = 1,
                                   const std::function<void(size_t, size_t)>& progress = {});

// One run per temperature over the same prompts (`diffucoder analyze --model ...`): decode_samples with
// params.temperature set to each value, summarised as "T=<t>". `samples_out` (optional) receives each run's
// samples, e.g. to save them as JSON lines. `progress(run, done, total)` reports each finished batch.
std::vector<RunSummary> analyze_temperatures(
    Denoiser& model, const std::vector<std::vector<int32_t>>& prompts, const GenerationParams& params,
    const std::vector<float>& temperatures, int batch_size, int max_local_k, int max_global_k,
    std::vector<std::vector<Sample>>* samples_out = nullptr,
    const std::function<void(const std::string&, size_t, size_t)>& progress = {});

}  // namespace dc::analysis

// The diffusion samplers (SPEC §3): Dream's `diffusion_generate` loop over a batch of prompts, every
// remasking rule, the exact transfer schedule, and LLaDA-style semi-autoregressive blocks. The network is
// reached only through dc::Denoiser, so a scripted fake can stand in for it in tests.
//
// Canvas: each row is [pad]*(P - len) + prompt + [mask]*L, left-padded to the longest prompt P; N = P + L.
// Every step asks the denoiser for the masked positions it needs (position 0 is never requested: every
// prompt must hold at least one token and must not start with the mask token), chooses a token and a
// confidence per position (token_choice.h), and commits k positions per row (select.h, schedule.h).
// Mask tokens inside a prompt are filled like the generated slots (the reference treats them alike).
// One deliberate difference: k is clamped to each row's own masked count. Rows can only hold unequal
// counts when a committed token is the mask token itself or `origin` ran; the reference's torch.topk then
// picks -inf slots at random and writes the mask token over decoded tokens, which nothing can reproduce.
//
// Reproducibility: row b draws from Rng(seed).fork(b); draws happen in a fixed order (row by row, position
// by position) before any parallel work, so the output depends on the seed and the batch, never on the
// thread count. (A row's stream depends on its index b, so the same prompt in another batch slot draws
// different numbers.)
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "decode/params.h"
#include "model/denoiser.h"

namespace dc {

// One committed token: `position` counts from the first generated slot (negative for a mask inside the
// prompt); `step` is the global step index, 0-based.
struct Commit {
  int32_t step = 0;
  int32_t position = 0;
  int32_t token = 0;
};

// What a step committed, in canvas coordinates.
struct CommitRef {
  int32_t row = 0;
  int32_t position = 0;  // canvas position (0 .. N-1)
  int32_t token = 0;
};

struct StepEvent {
  int step = 0;                                      // 0-based
  int steps = 0;                                     // total
  int64_t batch = 0, length = 0, prompt_length = 0;  // B, N, P
  std::span<const int32_t> canvas;                   // (B, N) after this step's commits
  std::span<const uint8_t> valid;                    // (B, N) 0 on left padding
  std::span<const CommitRef> committed;              // this step's commits, by row then position
  // What the model scored this step (empty when the step skipped the model): (R) positions, by row then
  // position, and the remasking rule's confidence of each, as the commit choice used it.
  std::span<const PredictionRef> scored;
  std::span<const float> confidence;
  // A hook ends decoding after this step with request_stop() (an embedder's "stop" button, a deadline):
  // the slots still masked stay masked, and the result says so (GenerationStats::stopped_early).
  bool* stop = nullptr;  // the sampler's flag, which request_stop() sets
  void request_stop() const {
    if (stop) *stop = true;
  }
};
using StepCallback = std::function<void(const StepEvent&)>;

struct GenerationStats {
  int steps = 0;                    // steps run (fewer than asked when a hook stopped early)
  bool stopped_early = false;       // a step hook called StepEvent::request_stop()
  int64_t model_calls = 0;          // Denoiser::predict calls (steps committing nothing skip the model)
  int64_t refresh_calls = 0;        // of which refreshes of a cache (0 without a cache)
  int64_t predicted_positions = 0;  // rows of logits requested, summed over calls
  // Query rows the model ran (Denoiser::query_rows; 0 for a model that does not count them), in refreshes
  // and in the other calls.
  int64_t refresh_rows = 0;
  int64_t window_rows = 0;
  int64_t new_tokens = 0;        // B * L
  double seconds = 0;            // wall time of generate()
  double model_seconds = 0;      // time inside Denoiser::predict
  double tokens_per_second = 0;  // new_tokens / seconds
  int64_t answer_tokens = 0;     // generated tokens before each row's first end token, summed over rows
  double answer_tokens_per_second = 0;  // answer_tokens / seconds
};

struct GenerationResult {
  int64_t batch = 0, length = 0, prompt_length = 0;  // B, N, P
  std::vector<int32_t> canvas;                       // (B, N) final canvas, left-padded
  std::vector<std::vector<int32_t>> tokens;          // [b] the L generated tokens of row b
  std::vector<std::vector<Commit>> order;            // [b] every commit of row b, by step then position
  std::vector<std::vector<int32_t>> history;         // [step] (B, N) canvas after it (keep_history)
  GenerationStats stats;
};

// Runs the sampler on a batch of prompts (token ids). Throws dc::Error for bad parameters or prompts.
GenerationResult generate(Denoiser& model, const std::vector<std::vector<int32_t>>& prompts,
                          const GenerationParams& params, const StepCallback& on_step = {});

}  // namespace dc

// Checks that a generation fits before anything is allocated: the canvas must fit the model's positions
// (prompt + new tokens <= max_position_embeddings) and the working memory of one decode call must fit the
// memory this process can still get. Without the check a large --max-new-tokens ran for minutes into an
// address-space cap and died with nothing to show; now it is one line naming the numbers.
#pragma once

#include <cstdint>

#include "decode/params.h"
#include "model/config.h"

namespace dc {

// Bytes a decode call of `batch` canvases of `prompt_tokens` + `new_tokens` positions allocates besides the
// weights (all fp32): the keys/values of every layer, one layer's activations for every position, the
// logits of every masked position at the first step (the largest step), per-thread sampling scratch for
// `threads` workers, and the canvas after every step when params.keep_history.
uint64_t decode_memory_bytes(const ModelConfig& cfg, int64_t batch, int64_t prompt_tokens, int64_t new_tokens,
                             const GenerationParams& params, int threads);

// What this process can still allocate: the smaller of MemAvailable (/proc/meminfo) and the room left under
// RLIMIT_AS (its soft limit minus the current address-space size). UINT64_MAX when neither is known.
uint64_t available_memory_bytes();

// Throws dc::Error (one line) when prompt_tokens + new_tokens exceeds cfg.max_position_embeddings, or when
// decode_memory_bytes(...) exceeds `available` (default: available_memory_bytes()).
void check_generation_fits(const ModelConfig& cfg, int64_t batch, int64_t prompt_tokens, int64_t new_tokens,
                           const GenerationParams& params, int threads, uint64_t available);
void check_generation_fits(const ModelConfig& cfg, int64_t batch, int64_t prompt_tokens, int64_t new_tokens,
                           const GenerationParams& params, int threads);

}  // namespace dc

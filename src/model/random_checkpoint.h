// Random-weight Dream checkpoints of any shape, for benchmarks and tests that need a realistic size (e.g.
// the Qwen2.5-0.5B shape) without downloading one. Not a trained model: its text is noise.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "model/config.h"

namespace dc {

// The Qwen2.5-0.5B shape as a Dream config: hidden 896, 24 layers, 14 query / 2 KV heads of 64, FFN 4864,
// vocab 151936, tied embeddings, rope theta 1e6, eps 1e-6, Dream's special ids.
ModelConfig qwen25_05b_dream_config();

// DiffuCoder-7B's geometry (the Qwen2.5-7B shape): hidden 3584, 28 layers, 28 query / 4 KV heads of 128,
// FFN 18944, vocab 152064, untied head, rope theta 1e6, 131072 positions, BF16, Dream's special ids.
ModelConfig diffucoder_7b_config();

// Writes `dir`/config.json and sharded safetensors (+ index) holding random weights for `cfg` in `dtype`
// (F32 or BF16). Values are drawn as bf16 numbers and stored exactly in either dtype, so the F32 and BF16
// checkpoints of one seed hold the same weights. Matrices are uniform with std 1/sqrt(fan_in), the
// embedding uniform with std 1, norm weights 1, biases uniform with std 0.1. Throws dc::Error on I/O errors.
void write_random_checkpoint(const std::string& dir, const ModelConfig& cfg, DType dtype, uint64_t seed,
                             int64_t layers_per_shard = 6);

// Writes `dir`/config.json and `shards` BF16 safetensors shards (+ index) for `cfg` whose data are holes:
// headers only, each file extended to its full length, so every weight reads as zero and the files take no
// disk. For benchmarks of load time, memory and step time, which do not depend on the values.
void write_sparse_checkpoint(const std::string& dir, const ModelConfig& cfg, int shards);

// True if `dir` holds a checkpoint this function wrote for exactly (cfg, dtype, seed): it reuses the files.
bool random_dream_checkpoint_exists(const std::string& dir, const ModelConfig& cfg, DType dtype,
                                    uint64_t seed);

}  // namespace dc

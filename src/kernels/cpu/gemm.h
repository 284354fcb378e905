// Internal: packed weight layouts and the per-ISA GEMM kernels behind kernels::linear.
//
// All kernels compute y[M, N] (row stride ldy) = x[M, K] (row stride ldx, fp32) * W^T (+ bias[N]), where W
// [N, K] was packed by the matching pack_* function. Columns of W^T (= rows of W) are grouped in panels of
// NR; the last panel is zero-padded, so kernels never read past a panel. Layouts:
//  * avx512_bf16: NR = 32, K padded to even Kp. Panel p, pair kk: 64 uint16 =
//      {W[32p+c, 2kk], W[32p+c, 2kk+1]} for c = 0..31, i.e. one zmm of bf16 pairs for vdpbf16ps.
//      Panel stride Kp * 32 uint16.
//  * avx512_f32: NR = 32, panel p, row k: 32 floats W[32p+c, k]. Panel stride K * 32 floats. F16 input is
//      widened exactly.
//  * avx2: NR = 16, element type of the source (F32 / F16 / BF16), panel p, row k: 16 elements
//      W[16p+c, k]. Panel stride K * 16 elements.
// The GEMM kernels share work over dc::global_pool() (parallel.h); each output is computed by one thread in a
// fixed order, so results do not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/tensor.h"

namespace dc::kernels::cpu {

struct PackResult {
  std::shared_ptr<void> storage;  // 64-byte aligned
  size_t bytes = 0;
};

constexpr int64_t kAvx512Nr = 32;
constexpr int64_t kAvx2Nr = 16;

PackResult pack_avx512_bf16(const TensorView& w);
PackResult pack_avx512_f32(const TensorView& w);
PackResult pack_avx2(const TensorView& w);

// exact: fp32 activations against the widened weights; otherwise activations rounded to bf16 (vdpbf16ps).
void gemm_avx512_bf16(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, int64_t M,
                      int64_t N, int64_t K, const float* bias, bool exact);
void gemm_avx512_f32(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, int64_t M,
                     int64_t N, int64_t K, const float* bias);
void gemm_avx2(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, DType dtype, int64_t M,
               int64_t N, int64_t K, const float* bias);

// W [N, K] as ggml rows of blocks (Q8_0 / Q4_0 / Q4_K / Q6_K, K whole blocks): x quantized to int8 blocks
// of 32 (kernels/act_quant.h), integer dot products with vpdpbusd, fp32 accumulation of the scaled block
// results. Needs AVX512-VNNI.
void gemm_blocks_vnni(float* y, int64_t ldy, const float* x, int64_t ldx, const void* w, DType dtype,
                      int64_t M, int64_t N, int64_t K, const float* bias);

// 64-byte aligned scratch, owned by the calling thread and grown on demand (never shrinks).
// slot selects one of a few independent buffers per thread.
void* thread_scratch(int slot, size_t bytes);

}  // namespace dc::kernels::cpu

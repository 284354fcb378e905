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

// Block-quantized weights (Q8_0 / Q4_0 / Q4_K / Q6_K) repacked into panels of 16 weight rows whose int8 dot
// products run one row per int32 lane, so one vpdpbusd adds 4 values of 16 rows against one broadcast
// activation word, and a block's sum is whole in its lane when the block's scale is applied (no horizontal
// reduction). Panel p holds rows
// 16p .. 16p + 15 (the last panel zero-padded, zero scales) and is vnni_panel_bytes(dtype, K) long (a
// multiple of 64, so every vector below is 64-byte aligned). Along K a panel is a sequence of units of 32
// values (one block, or one Q4_K sub-block); group g of a unit is its values 4g .. 4g + 3.
//  * Q8_0: the units' quants, 512 bytes each: 8 vectors of 64 bytes, vector g lane r = the 4 quants of
//    group g of row r plus 128 (unsigned); then, for every unit, the 16 rows' fp16 scales (32 bytes).
//  * Q4_0: the units' quants, 256 bytes each: 4 vectors, vector j lane r = 4 bytes whose low nibbles are
//    group j and high nibbles group j + 4 of row r (the source bytes 4j .. 4j + 3 as stored); then the
//    fp16 scales as for Q8_0.
//  * Q4_K, per group of 256 values (2432 bytes): d[16] and dmin[16] as fp32, the 6-bit scales sc[8][16]
//    and mins m[8][16] as bytes (sub-block j, row r), then 8 units of quants like Q4_0's.
//  * Q6_K, per group of 256 values (4416 bytes): d[16] as fp32, the int8 scales sc[16][16] (sub-block of 16
//    values i, row r), then 8 units of quants like Q8_0's but one 6-bit quant (0..63, offset 32) a byte.
// Memory: 34, 18, 19 and 34.5 bytes per 32 values (plus the rounding of a panel to 64 bytes), against 34,
// 18, 18 and 26.25 stored: Q6_K's quants take a byte each so that they need no unpacking.
constexpr int64_t kVnniPanelRows = 16;
constexpr size_t kVnniQ8_0UnitQuants = 512, kVnniQ4UnitQuants = 256, kVnniUnitScales = 32;
constexpr size_t kVnniQ4_KHeaderBytes = 384, kVnniQ4_KGroupBytes = 384 + 8 * 256;
constexpr size_t kVnniQ6_KHeaderBytes = 320, kVnniQ6_KGroupBytes = 320 + 8 * 512;
// Q8_0, Q4_0, Q4_K and Q6_K: every block type.
size_t vnni_panel_bytes(DType dtype, int64_t K);
PackResult pack_blocks_vnni_panels(const TensorView& w);

// y = x W^T on panels from pack_blocks_vnni_panels: x quantized to int8 blocks of 32 (kernels/act_quant.h),
// the integer block products of ref::linear_quant (only the fp32 summation order differs). Needs
// AVX512-VNNI.
void gemm_vnni_panels(float* y, int64_t ldy, const float* x, int64_t ldx, const void* panels, DType dtype,
                      int64_t M, int64_t N, int64_t K, const float* bias);

// 64-byte aligned scratch, owned by the calling thread and grown on demand (never shrinks).
// slot selects one of a few independent buffers per thread.
void* thread_scratch(int slot, size_t bytes);

}  // namespace dc::kernels::cpu

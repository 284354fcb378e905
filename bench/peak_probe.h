// Peak arithmetic rates of this machine, measured at run time for the GEMM benchmarks' "% of peak": each
// probe runs 16 independent register-resident chains of one instruction on every thread of the global pool
// (enough chains to cover the latency of 2 issue ports) and counts its arithmetic:
//  * vfmadd231ps zmm: 16 lanes x 2 = 32 flop (ymm on AVX2-only CPUs: 16 flop);
//  * vdpbf16ps zmm: 16 lanes x 2 bf16 products x 2 = 64 flop (AVX512-BF16);
//  * vpdpbusd zmm: 16 lanes x 4 u8 x s8 products x 2 = 128 int ops (AVX512-VNNI);
//  * the same with the block kernels' scale epilogue mixed in: per 8 vpdpbusd one convert, one multiply and
//    one fused add in fp32 (kernels/cpu/gemm_panels_avx512.cpp), counting only the vpdpbusd ops; its ratio
//    to the pure rate is the ceiling those kernels can reach where the epilogue shares the vector pipes.
// A rate is 0 where the CPU lacks the instruction.
#pragma once

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their internal _mm512_undefined_* (GCC PR 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstdint>
#include <vector>

#include "bench_timing.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"

namespace dc::bench {

struct Peaks {
  double fma_f32 = 0;        // GFLOP/s
  double dpbf16 = 0;         // GFLOP/s
  double dpbusd = 0;         // GOP/s
  double dpbusd_scaled = 0;  // GOP/s of the vpdpbusd ops, with 3 fp32 operations per 8 of them
};

namespace probe {

constexpr int kChains = 16;

// Each returns a value depending on every chain, so that nothing is optimised away.
__attribute__((target("avx512f,fma"))) inline float fma_zmm(int64_t iters) {
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(float(j));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  __m512 s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_ps(s, acc[j]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) inline float fma_ymm(int64_t iters) {
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_set1_ps(float(j));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  float out[8];
  _mm256_storeu_ps(out, acc[kChains - 1]);
  return out[0] + out[7];
}

__attribute__((target("avx512f,avx512bf16"))) inline float dpbf16_zmm(int64_t iters) {
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(float(j));
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], a, a);
  __m512 s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_ps(s, acc[j]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f,avx512vnni"))) inline float dpbusd_zmm(int64_t iters) {
  __m512i acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_epi32(j);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
  __m512i s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_epi32(s, acc[j]);
  return float(_mm512_reduce_add_epi32(s));
}

// 16 vpdpbusd chains per iteration; chains 0 and 8 are then converted, scaled (a product of two scales, as
// the kernels form it) and added into fp32 chains. The empty asm keeps the products inside the loop.
__attribute__((target("avx512f,avx512vnni"))) inline float dpbusd_scaled_zmm(int64_t iters) {
  __m512i acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_epi32(j);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  __m512 out0 = _mm512_setzero_ps(), out1 = _mm512_setzero_ps(), s = _mm512_set1_ps(1e-3f);
  const __m512 d = _mm512_set1_ps(0.5f);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
    asm volatile("" : "+v"(s));
    out0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[0]), _mm512_mul_ps(s, d), out0);
    out1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[8]), _mm512_mul_ps(s, d), out1);
  }
  __m512i t = acc[0];
  for (int j = 1; j < kChains; ++j) t = _mm512_add_epi32(t, acc[j]);
  return float(_mm512_reduce_add_epi32(t)) + _mm512_reduce_add_ps(_mm512_add_ps(out0, out1));
}

// Ops per second of `loop` (ops_per_instr per instruction) run on every thread of the pool at once.
template <typename Loop>
double rate(Loop loop, double ops_per_instr, double min_seconds) {
  constexpr int64_t kIters = 1 << 20;
  std::vector<float> results(size_t(global_pool().size()));
  const double sec = time_best(
      [&] { global_pool().run_on_all([&](int t) { results[size_t(t)] += loop(kIters); }); }, min_seconds);
  volatile float sink = results[0];
  (void)sink;
  return double(global_pool().size()) * double(kIters) * kChains * ops_per_instr / sec;
}

}  // namespace probe

// Peaks with the pool's current thread count, in G(FL)OP/s.
inline Peaks measure_peaks(double min_seconds = 0.2) {
  using kernels::Isa;
  Peaks p;
  if (kernels::detected_isa() == Isa::Avx512) {
    p.fma_f32 = probe::rate(probe::fma_zmm, 32, min_seconds) * 1e-9;
    if (kernels::has_avx512_bf16()) p.dpbf16 = probe::rate(probe::dpbf16_zmm, 64, min_seconds) * 1e-9;
    if (kernels::has_avx512_vnni()) {
      p.dpbusd = probe::rate(probe::dpbusd_zmm, 128, min_seconds) * 1e-9;
      p.dpbusd_scaled = probe::rate(probe::dpbusd_scaled_zmm, 128, min_seconds) * 1e-9;
    }
  } else if (kernels::detected_isa() == Isa::Avx2) {
    p.fma_f32 = probe::rate(probe::fma_ymm, 16, min_seconds) * 1e-9;
  }
  return p;
}

}  // namespace dc::bench

#pragma GCC diagnostic pop

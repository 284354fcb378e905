// AVX2 GEMM kernel for linear layers (layout in gemm.h): fp32 FMA with fp32 accumulation; the weight panel
// keeps its stored type (F32, F16 or BF16) and is widened in registers. Register tile: up to kMr rows x 16
// columns (2 x kMr ymm accumulators); K blocked so a panel slice stays in L1. Threads split column panels
// (or row tiles when there are too few panels) dynamically (parallel.h).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace dc::kernels::cpu {

namespace {

constexpr int kMr = 6;
constexpr int64_t kNr = kAvx2Nr;  // 16 columns = 2 ymm
constexpr int64_t kKc = 256;      // 16 x 256 x 4 B = 16 KiB of widened panel per block

// Eight consecutive panel elements widened to fp32.
template <DType T>
inline __m256 load8(const void* p) {
  if constexpr (T == DType::F32) {
    return _mm256_load_ps(static_cast<const float*>(p));
  } else if constexpr (T == DType::F16) {
    return _mm256_cvtph_ps(_mm_load_si128(static_cast<const __m128i*>(p)));
  } else {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_load_si128(static_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
}

// Lane mask for the first n (<= 8) of 8 floats.
inline __m256i lane_mask(int64_t n) {
  n = std::clamp<int64_t>(n, 0, 8);
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), idx);
}

// c[MR, ncols] (+)= a[MR, nk] (row stride lda) . b where b is a panel slice of nk rows x 16 elements.
template <DType T, int MR>
void micro(const float* a, int64_t lda, const void* bv, int64_t nk, float* c, int64_t ldc, int64_t ncols,
           bool first, const float* bias) {
  constexpr size_t esize = T == DType::F32 ? 4 : 2;
  const uint8_t* b = static_cast<const uint8_t*>(bv);
  const __m256i m0 = lane_mask(ncols), m1 = lane_mask(ncols - 8);
  __m256 acc[MR][2];
  if (first) {
    const __m256 b0 = bias ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
    const __m256 b1 = bias ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      acc[r][0] = b0;
      acc[r][1] = b1;
    }
  } else {
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      acc[r][0] = _mm256_maskload_ps(c + r * ldc, m0);
      acc[r][1] = _mm256_maskload_ps(c + r * ldc + 8, m1);
    }
  }
  for (int64_t k = 0; k < nk; ++k) {
    const __m256 w0 = load8<T>(b + size_t(k) * 16 * esize);
    const __m256 w1 = load8<T>(b + size_t(k) * 16 * esize + 8 * esize);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + k);
      acc[r][0] = _mm256_fmadd_ps(av, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, w1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    _mm256_maskstore_ps(c + r * ldc, m0, acc[r][0]);
    _mm256_maskstore_ps(c + r * ldc + 8, m1, acc[r][1]);
  }
}

using Micro = void (*)(const float*, int64_t, const void*, int64_t, float*, int64_t, int64_t, bool,
                       const float*);

template <DType T, size_t... I>
constexpr auto table(std::index_sequence<I...>) {
  return std::array<Micro, sizeof...(I)>{&micro<T, int(I) + 1>...};
}

template <DType T>
void gemm(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, int64_t M, int64_t N,
          int64_t K, const float* bias) {
  static constexpr auto kernels = table<T>(std::make_index_sequence<kMr>());
  constexpr size_t esize = T == DType::F32 ? 4 : 2;
  // Row tile t covers rows [t M / tiles, (t + 1) M / tiles): heights differ by at most one (M = 16 runs as
  // 8 + 8, not 12 + 4), so no tile is too short to hide the FMA latency.
  const int64_t panels = (N + kNr - 1) / kNr, tiles = (M + kMr - 1) / kMr;
  const uint8_t* w = static_cast<const uint8_t*>(packed);
  auto body = [&](int64_t p0, int64_t p1, int64_t t0, int64_t t1) {
    for (int64_t p = p0; p < p1; ++p) {
      const uint8_t* panel = w + size_t(p * K * kNr) * esize;
      const int64_t ncols = std::min(kNr, N - p * kNr);
      const float* bp = bias ? bias + p * kNr : nullptr;
      for (int64_t k0 = 0; k0 < K; k0 += kKc) {
        const int64_t nk = std::min(kKc, K - k0);
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t r0 = t * M / tiles, rows = (t + 1) * M / tiles - r0;
          kernels[size_t(rows - 1)](x + r0 * ldx + k0, ldx, panel + size_t(k0 * kNr) * esize, nk,
                                    y + r0 * ldy + p * kNr, ldy, ncols, k0 == 0, bp);
        }
      }
    }
  };
  parallel_panels_or_tiles(panels, tiles, body);
}

}  // namespace

void gemm_avx2(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, DType dtype, int64_t M,
               int64_t N, int64_t K, const float* bias) {
  switch (dtype) {
    case DType::F32:
      gemm<DType::F32>(y, ldy, x, ldx, packed, M, N, K, bias);
      return;
    case DType::F16:
      gemm<DType::F16>(y, ldy, x, ldx, packed, M, N, K, bias);
      return;
    case DType::BF16:
      gemm<DType::BF16>(y, ldy, x, ldx, packed, M, N, K, bias);
      return;
    default:
      break;
  }
}

}  // namespace dc::kernels::cpu

// AVX-512 GEMM kernels for linear layers (layouts in gemm.h):
//  * BF16 weights, fast precision: activations rounded to bf16 once per call, vdpbf16ps (AVX512-BF16) with
//    fp32 accumulation. Each instruction multiplies 16 columns x one pair of K.
//  * BF16 weights, exact precision: fp32 activations, each weight widened to fp32 in the kernel, fp32 FMA.
//  * F32 weights (and F16 widened at pack time): fp32 FMA with fp32 accumulation.
// Both use a register tile of up to kMr rows x 32 columns (2 x kMr zmm accumulators), K blocked so the
// 32-column slice of the weight panel stays in L1 while all row tiles pass over it. Threads split the
// column panels (or the row tiles, when there are too few panels) dynamically (parallel.h).

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their internal _mm512_undefined_* (GCC PR 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace dc::kernels::cpu {

namespace {

constexpr int kMr = 12;             // rows per register tile
constexpr int64_t kNr = kAvx512Nr;  // 32 columns per panel = 2 zmm
constexpr int64_t kKcPairs = 192;   // bf16: K pairs per block: 32 x 192 x 4 B = 24 KiB of panel
constexpr int64_t kKcF32 = 192;     // f32: K per block: 32 x 192 x 4 B = 24 KiB of panel

inline __mmask16 tail_mask(int64_t n) {
  if (n <= 0) return 0;
  if (n >= 16) return 0xffff;
  return __mmask16((1u << n) - 1);
}

// Loads the starting accumulators of an MR x 32 tile: bias (or zero) for the first K block, else the
// partial sums already in y.
template <int MR>
inline void tile_init(__m512 (&acc)[MR][2], const float* c, int64_t ldc, __mmask16 m0, __mmask16 m1,
                      bool first, const float* bias) {
  if (first) {
    const __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
    const __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      acc[r][0] = b0;
      acc[r][1] = b1;
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      acc[r][0] = _mm512_maskz_loadu_ps(m0, c + r * ldc);
      acc[r][1] = _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
    }
  }
}

template <int MR>
inline void tile_store(const __m512 (&acc)[MR][2], float* c, int64_t ldc, __mmask16 m0, __mmask16 m1) {
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
  }
}

// c[MR, ncols] (+)= a[MR, pairs] . b where a holds bf16 pairs (row stride lda uint32) and b is a panel
// slice of nkk pairs x 32 columns x 2 bf16.
template <int MR>
void micro_bf16(const uint32_t* a, int64_t lda, const uint16_t* b, int64_t nkk, float* c, int64_t ldc,
                int64_t ncols, bool first, const float* bias) {
  const __mmask16 m0 = tail_mask(ncols), m1 = tail_mask(ncols - 16);
  __m512 acc[MR][2];
  tile_init<MR>(acc, c, ldc, m0, m1, first, bias);
  for (int64_t kk = 0; kk < nkk; ++kk) {
    const __m512bh w0 = (__m512bh)_mm512_load_si512(b + kk * 64);
    const __m512bh w1 = (__m512bh)_mm512_load_si512(b + kk * 64 + 32);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(int(a[r * lda + kk]));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, w0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, w1);
    }
  }
  tile_store<MR>(acc, c, ldc, m0, m1);
}

// The exact variant for BF16 weights: c[MR, ncols] (+)= a[MR, nk] . b with a in fp32 (row stride lda) and
// b a panel slice of bf16 pairs (nk elements of K, rounded up to pairs). Each weight is widened to fp32
// exactly (a bf16 is the top half of its fp32) and multiplied with fp32 FMAs in K order: the result of an
// fp32 GEMM against the widened weights, without storing them wide.
template <int MR>
void micro_bf16_wide(const float* a, int64_t lda, const uint16_t* b, int64_t nk, float* c, int64_t ldc,
                     int64_t ncols, bool first, const float* bias) {
  const __mmask16 m0 = tail_mask(ncols), m1 = tail_mask(ncols - 16);
  const __m512i high = _mm512_set1_epi32(int(0xffff0000u));
  __m512 acc[MR][2];
  tile_init<MR>(acc, c, ldc, m0, m1, first, bias);
  const int64_t pairs = nk / 2;
  for (int64_t kk = 0; kk < pairs; ++kk) {
    const __m512i p0 = _mm512_load_si512(b + kk * 64);       // columns 0..15: {W[c, 2kk], W[c, 2kk+1]}
    const __m512i p1 = _mm512_load_si512(b + kk * 64 + 32);  // columns 16..31
    const __m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(p0, 16)),
                 o0 = _mm512_castsi512_ps(_mm512_and_si512(p0, high));
    const __m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(p1, 16)),
                 o1 = _mm512_castsi512_ps(_mm512_and_si512(p1, high));
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 ae = _mm512_set1_ps(a[r * lda + 2 * kk]);
      const __m512 ao = _mm512_set1_ps(a[r * lda + 2 * kk + 1]);
      acc[r][0] = _mm512_fmadd_ps(ae, e0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ae, e1, acc[r][1]);
      acc[r][0] = _mm512_fmadd_ps(ao, o0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ao, o1, acc[r][1]);
    }
  }
  if (nk % 2) {  // odd K: the last pair holds one element (its partner weight is the zero padding)
    const __m512i p0 = _mm512_load_si512(b + pairs * 64);
    const __m512i p1 = _mm512_load_si512(b + pairs * 64 + 32);
    const __m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(p0, 16));
    const __m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(p1, 16));
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 ae = _mm512_set1_ps(a[r * lda + 2 * pairs]);
      acc[r][0] = _mm512_fmadd_ps(ae, e0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ae, e1, acc[r][1]);
    }
  }
  tile_store<MR>(acc, c, ldc, m0, m1);
}

// c[MR, ncols] (+)= a[MR, nk] (row stride lda) . b where b is a panel slice of nk rows x 32 floats.
template <int MR>
void micro_f32(const float* a, int64_t lda, const float* b, int64_t nk, float* c, int64_t ldc, int64_t ncols,
               bool first, const float* bias) {
  const __mmask16 m0 = tail_mask(ncols), m1 = tail_mask(ncols - 16);
  __m512 acc[MR][2];
  tile_init<MR>(acc, c, ldc, m0, m1, first, bias);
  for (int64_t k = 0; k < nk; ++k) {
    const __m512 w0 = _mm512_load_ps(b + k * 32);
    const __m512 w1 = _mm512_load_ps(b + k * 32 + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + k]);
      acc[r][0] = _mm512_fmadd_ps(av, w0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, w1, acc[r][1]);
    }
  }
  tile_store<MR>(acc, c, ldc, m0, m1);
}

using MicroBf16 = void (*)(const uint32_t*, int64_t, const uint16_t*, int64_t, float*, int64_t, int64_t, bool,
                           const float*);
using MicroF32 = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t, bool,
                          const float*);

template <size_t... I>
constexpr auto bf16_table(std::index_sequence<I...>) {
  return std::array<MicroBf16, sizeof...(I)>{&micro_bf16<int(I) + 1>...};
}
using MicroWide = void (*)(const float*, int64_t, const uint16_t*, int64_t, float*, int64_t, int64_t, bool,
                           const float*);
template <size_t... I>
constexpr auto f32_table(std::index_sequence<I...>) {
  return std::array<MicroF32, sizeof...(I)>{&micro_f32<int(I) + 1>...};
}
template <size_t... I>
constexpr auto wide_table(std::index_sequence<I...>) {
  return std::array<MicroWide, sizeof...(I)>{&micro_bf16_wide<int(I) + 1>...};
}
constexpr auto kBf16Kernels = bf16_table(std::make_index_sequence<kMr>());  // [rows - 1]
constexpr auto kF32Kernels = f32_table(std::make_index_sequence<kMr>());
constexpr auto kWideKernels = wide_table(std::make_index_sequence<kMr>());

// Rounds x[M, K] (row stride ldx) to bf16 pairs: a[m, kk] = {bf16(x[m, 2kk]), bf16(x[m, 2kk+1])} with a zero
// for the missing element of odd K. a has row stride kp2 = ceil(K / 2) uint32.
void convert_rows_bf16(uint32_t* a, int64_t kp2, const float* x, int64_t ldx, int64_t m0, int64_t m1,
                       int64_t K) {
  for (int64_t m = m0; m < m1; ++m) {
    const float* xr = x + m * ldx;
    uint32_t* ar = a + m * kp2;
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
      const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(xr + k + 16), _mm512_loadu_ps(xr + k));
      _mm512_storeu_si512(ar + k / 2, (__m512i)v);
    }
    if (k < K) {
      const __m512 lo = _mm512_maskz_loadu_ps(tail_mask(K - k), xr + k);
      const __m512 hi = _mm512_maskz_loadu_ps(tail_mask(K - k - 16), xr + k + 16);
      const __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);
      const int64_t pairs = (K - k + 1) / 2;
      _mm512_mask_storeu_epi32(ar + k / 2, tail_mask(pairs), (__m512i)v);
    }
  }
}

}  // namespace

void gemm_avx512_bf16(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, int64_t M,
                      int64_t N, int64_t K, const float* bias, bool exact) {
  const int64_t kp2 = (K + 1) / 2;
  // Row tile t covers rows [t M / tiles, (t + 1) M / tiles): heights differ by at most one (M = 16 runs as
  // 8 + 8, not 12 + 4), so no tile is too short to hide the FMA latency.
  const int64_t panels = (N + kNr - 1) / kNr, tiles = (M + kMr - 1) / kMr;
  const uint16_t* w = static_cast<const uint16_t*>(packed);
  if (exact) {
    // fp32 activations as they are; the weights widened in the kernel (K blocked in the same pairs).
    parallel_panels_or_tiles(panels, tiles, [&](int64_t p0, int64_t p1, int64_t t0, int64_t t1) {
      for (int64_t p = p0; p < p1; ++p) {
        const uint16_t* panel = w + p * kp2 * 2 * kNr;
        const int64_t ncols = std::min(kNr, N - p * kNr);
        const float* bp = bias ? bias + p * kNr : nullptr;
        for (int64_t kk0 = 0; kk0 < kp2; kk0 += kKcPairs) {
          const int64_t nk = std::min(2 * kKcPairs, K - 2 * kk0);
          for (int64_t t = t0; t < t1; ++t) {
            const int64_t r0 = t * M / tiles, rows = (t + 1) * M / tiles - r0;
            kWideKernels[size_t(rows - 1)](x + r0 * ldx + 2 * kk0, ldx, panel + kk0 * 2 * kNr, nk,
                                           y + r0 * ldy + p * kNr, ldy, ncols, kk0 == 0, bp);
          }
        }
      }
    });
    return;
  }
  // a[M, kp2]: the activations as bf16 pairs, shared read-only by all threads.
  uint32_t* a = static_cast<uint32_t*>(thread_scratch(0, size_t(M * kp2) * 4));
  global_pool().parallel_for(
      M, [&](int64_t m0, int64_t m1, int) { convert_rows_bf16(a, kp2, x, ldx, m0, m1, K); }, 8);
  parallel_panels_or_tiles(panels, tiles, [&](int64_t p0, int64_t p1, int64_t t0, int64_t t1) {
    for (int64_t p = p0; p < p1; ++p) {
      const uint16_t* panel = w + p * kp2 * 2 * kNr;
      const int64_t ncols = std::min(kNr, N - p * kNr);
      const float* bp = bias ? bias + p * kNr : nullptr;
      for (int64_t kk0 = 0; kk0 < kp2; kk0 += kKcPairs) {
        const int64_t nkk = std::min(kKcPairs, kp2 - kk0);
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t r0 = t * M / tiles, rows = (t + 1) * M / tiles - r0;
          kBf16Kernels[size_t(rows - 1)](a + r0 * kp2 + kk0, kp2, panel + kk0 * 2 * kNr, nkk,
                                         y + r0 * ldy + p * kNr, ldy, ncols, kk0 == 0, bp);
        }
      }
    }
  });
}

void gemm_avx512_f32(float* y, int64_t ldy, const float* x, int64_t ldx, const void* packed, int64_t M,
                     int64_t N, int64_t K, const float* bias) {
  // Row tile t covers rows [t M / tiles, (t + 1) M / tiles): heights differ by at most one (M = 16 runs as
  // 8 + 8, not 12 + 4), so no tile is too short to hide the FMA latency.
  const int64_t panels = (N + kNr - 1) / kNr, tiles = (M + kMr - 1) / kMr;
  const float* w = static_cast<const float*>(packed);
  parallel_panels_or_tiles(panels, tiles, [&](int64_t p0, int64_t p1, int64_t t0, int64_t t1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* panel = w + p * K * kNr;
      const int64_t ncols = std::min(kNr, N - p * kNr);
      const float* bp = bias ? bias + p * kNr : nullptr;
      for (int64_t k0 = 0; k0 < K; k0 += kKcF32) {
        const int64_t nk = std::min(kKcF32, K - k0);
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t r0 = t * M / tiles, rows = (t + 1) * M / tiles - r0;
          kF32Kernels[size_t(rows - 1)](x + r0 * ldx + k0, ldx, panel + k0 * kNr, nk, y + r0 * ldy + p * kNr,
                                        ldy, ncols, k0 == 0, bp);
        }
      }
    }
  });
}

}  // namespace dc::kernels::cpu

// AVX-512 vector primitives for the non-GEMM ops (see ops_table.h): a small row-major GEMM for attention,
// exp-based softmax and SwiGLU, RMSNorm and RoPE loops. Tails use masked loads and stores.

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their internal _mm512_undefined_* (GCC PR 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "kernels/cpu/gemm_nn_driver.h"
#include "kernels/cpu/ops_table.h"

namespace dc::kernels::cpu {

namespace {

inline __mmask16 tail_mask(int64_t n) {
  if (n <= 0) return 0;
  if (n >= 16) return 0xffff;
  return __mmask16((1u << n) - 1);
}

// Horizontal sum / max of 16 lanes (GCC 12's _mm512_reduce_* warn about an uninitialised temporary).
inline float hsum512(__m512 v) {
  const __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax512(__m512 v) {
  const __m256 a = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// exp(x) with ~1 ulp error (Cephes expf polynomial), exact 0 below -104 and +inf above 88.8 via scalef.
inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.8f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}

// c[MR, ncols <= 32] = a[MR, K] * b[K, ncols].
template <int MR>
void micro_nn(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t K,
              int64_t ncols) {
  const __mmask16 m0 = tail_mask(ncols), m1 = tail_mask(ncols - 16);
  __m512 acc[MR][2];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, b + k * ldb);
    const __m512 b1 = _mm512_maskz_loadu_ps(m1, b + k * ldb + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + k]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
  }
}

constexpr auto kMicroNN = micro_table<12>([](auto rows) { return &micro_nn<decltype(rows)::value>; });

void gemm_nn(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t M,
             int64_t N, int64_t K) {
  gemm_nn_blocked<32>(kMicroNN, c, ldc, a, lda, b, ldb, M, N, K);
}

float exp_shifted(float* x, int64_t n, float scale) {
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (int64_t i = 0; i < n; i += 16)
    vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail_mask(n - i), x + i));
  const __m512 mx = _mm512_set1_ps(hmax512(vmax));
  const __m512 s = _mm512_set1_ps(scale);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 e = exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mx), s));
    sum = _mm512_mask_add_ps(sum, m, sum, e);
    _mm512_mask_storeu_ps(x + i, m, e);
  }
  return hsum512(sum);
}

void scale(float* x, int64_t n, float s) {
  const __m512 v = _mm512_set1_ps(s);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), v));
  }
}

void swiglu(float* out, const float* gate, const float* up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 u = _mm512_maskz_loadu_ps(m, up + i);
    const __m512 sig = _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_mul_ps(g, sig), u));
  }
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m,
                          _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + i), _mm512_maskz_loadu_ps(m, x + i)));
  }
}

float sum_squares(const float* x, int64_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    a0 = _mm512_fmadd_ps(v0, v0, a0);
    a1 = _mm512_fmadd_ps(v1, v1, a1);
  }
  for (; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
    a0 = _mm512_fmadd_ps(v, v, a0);
  }
  return hsum512(_mm512_add_ps(a0, a1));
}

void scale_mul(float* y, const float* x, float s, const float* w, int64_t n) {
  const __m512 vs = _mm512_set1_ps(s);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vs);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i)));
  }
}

// Hides a product from the optimiser so it is rounded on its own and never fused into an FMA (GCC contracts
// mul + add in C++ by default); RoPE then rounds exactly like ref::rope and PyTorch.
inline __m512 rounded(__m512 v) {
  __asm__("" : "+v"(v));
  return v;
}

void rope_row(float* x, const float* cos, const float* sin, int64_t H, int64_t D) {
  const int64_t half = D / 2;
  for (int64_t h = 0; h < H; ++h) {
    float* xa = x + h * D;
    float* xb = xa + half;
    for (int64_t j = 0; j < half; j += 16) {
      const __mmask16 m = tail_mask(half - j);
      const __m512 a = _mm512_maskz_loadu_ps(m, xa + j), b = _mm512_maskz_loadu_ps(m, xb + j);
      const __m512 c = _mm512_maskz_loadu_ps(m, cos + j), s = _mm512_maskz_loadu_ps(m, sin + j);
      _mm512_mask_storeu_ps(xa + j, m,
                            _mm512_sub_ps(rounded(_mm512_mul_ps(a, c)), rounded(_mm512_mul_ps(b, s))));
      _mm512_mask_storeu_ps(xb + j, m,
                            _mm512_add_ps(rounded(_mm512_mul_ps(b, c)), rounded(_mm512_mul_ps(a, s))));
    }
  }
}

}  // namespace

// log(x) for normal x > 0: x = m 2^e with m in [0.75, 1.5) (getmant), then log m = 2 atanh(t),
// t = (m - 1) / (m + 1) in [-1/7, 1/5], by its odd series to t^11 (truncation below 1e-8 relative).
static inline __m512 log512(__m512 x) {
  const __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_src);
  const __m512 e = _mm512_getexp_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.0f / 0.75f)));
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 t = _mm512_div_ps(_mm512_sub_ps(m, one), _mm512_add_ps(m, one));
  const __m512 t2 = _mm512_mul_ps(t, t);
  __m512 poly = _mm512_set1_ps(2.0f / 11.0f);
  poly = _mm512_fmadd_ps(poly, t2, _mm512_set1_ps(2.0f / 9.0f));
  poly = _mm512_fmadd_ps(poly, t2, _mm512_set1_ps(2.0f / 7.0f));
  poly = _mm512_fmadd_ps(poly, t2, _mm512_set1_ps(2.0f / 5.0f));
  poly = _mm512_fmadd_ps(poly, t2, _mm512_set1_ps(2.0f / 3.0f));
  poly = _mm512_fmadd_ps(poly, t2, _mm512_set1_ps(2.0f));
  return _mm512_fmadd_ps(e, _mm512_set1_ps(0.693147180559945f), _mm512_mul_ps(poly, t));
}

static double sum_p_log_p(const float* p, int64_t n, float eps) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  const __m512 ve = _mm512_set1_ps(eps);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(k, p + i);  // masked lanes: p = 0, a zero term
    const __m512 term = _mm512_mul_ps(v, log512(_mm512_add_ps(v, ve)));
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(term)));
    hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(term, 1)));
  }
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, _mm512_add_pd(lo, hi));
  double sum = 0;
  for (double d : lanes) sum += d;
  return sum;
}

static RowRange divide_and_range(float* x, int64_t n, float divisor) {
  __m512 vmax = _mm512_set1_ps(-INFINITY), vmin = _mm512_set1_ps(INFINITY);
  const __m512 d = _mm512_set1_ps(divisor);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    if (divisor > 0) {
      v = _mm512_div_ps(v, d);
      _mm512_mask_storeu_ps(x + i, k, v);
    }
    vmax = _mm512_mask_max_ps(vmax, k, vmax, v);
    vmin = _mm512_mask_min_ps(vmin, k, vmin, v);
  }
  return {hmax512(vmax), -hmax512(_mm512_sub_ps(_mm512_setzero_ps(), vmin))};
}

// Sum of 16 floats widened to double into two accumulators of 8.
inline void add_widened(__m512d& lo, __m512d& hi, __m512 v) {
  lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

inline double hsum512d(__m512d lo, __m512d hi) {
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, _mm512_add_pd(lo, hi));
  double sum = 0;
  for (double d : lanes) sum += d;
  return sum;
}

static double exp_sum_f64(const float* x, int64_t n, float shift) {
  __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
  const __m512 vs = _mm512_set1_ps(shift);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    add_widened(lo, hi, _mm512_maskz_mov_ps(k, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vs))));
  }
  return hsum512d(lo, hi);
}

// The loop and accumulation order of exp_shifted, over the kept values.
static float keep_and_sum(float* e, const float* x, int64_t n, float t, int64_t last_tied) {
  const __m512 vt = _mm512_set1_ps(t);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const int64_t tied_end = std::min<int64_t>(last_tied, n - 1);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    const __m512 xv = _mm512_maskz_loadu_ps(k, x + i);
    __mmask16 keep = _mm512_mask_cmp_ps_mask(k, xv, vt, _CMP_GT_OQ);
    if (i <= tied_end) {
      const __mmask16 tied = _mm512_mask_cmp_ps_mask(k, xv, vt, _CMP_EQ_OQ);
      const __mmask16 early = _mm512_cmple_epi32_mask(lane, _mm512_set1_epi32(int(tied_end - i)));
      keep |= __mmask16(tied & early);
    }
    const __m512 v = _mm512_maskz_loadu_ps(keep, e + i);
    sum = _mm512_mask_add_ps(sum, k, sum, v);
    _mm512_mask_storeu_ps(e + i, k, v);
  }
  return hsum512(sum);
}

static ProbStats scale_and_stats(float* p, int64_t n, float s, double* block_sums) {
  const __m512 vs = _mm512_set1_ps(s);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512 m1 = _mm512_set1_ps(-1.0f), m2 = m1;  // per lane: largest, second largest (p >= 0)
  __m512i arg = _mm512_setzero_si512();        // per lane: first index of its largest
  ProbStats st;
  for (int64_t b0 = 0; b0 < n; b0 += kProbBlock) {
    const int64_t b1 = std::min(n, b0 + kProbBlock);
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (int64_t i = b0; i < b1; i += 16) {
      const __mmask16 k = tail_mask(b1 - i);
      const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), vs);
      _mm512_mask_storeu_ps(p + i, k, v);
      const __mmask16 gt = _mm512_mask_cmp_ps_mask(k, v, m1, _CMP_GT_OQ);
      m2 = _mm512_mask_max_ps(m2, k, m2, _mm512_min_ps(m1, v));
      m1 = _mm512_mask_mov_ps(m1, gt, v);
      arg = _mm512_mask_mov_epi32(arg, gt, _mm512_add_epi32(lane, _mm512_set1_epi32(int(i))));
      add_widened(lo, hi, v);
    }
    const double block = hsum512d(lo, hi);
    if (block_sums) block_sums[b0 / kProbBlock] = block;
    st.total += block;
  }
  alignas(64) float top[16], second[16];
  alignas(64) int32_t index[16];
  _mm512_store_ps(top, m1);
  _mm512_store_ps(second, m2);
  _mm512_store_si512(index, arg);
  merge_lane_top2(top, second, index, 16, st);
  return st;
}

static void bucket_histogram(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                             float inv, double* mass, uint16_t* ids) {
  const __m512 vlo = _mm512_set1_ps(lo), vscale = _mm512_set1_ps(scale), vinv = _mm512_set1_ps(inv);
  const __m512 top = _mm512_set1_ps(float(buckets - 1));
  double* const copy[2] = {mass, mass + buckets};
  alignas(64) int32_t id[16];
  alignas(64) float w[16];
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    __m512 f = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vlo), vscale);
    f = _mm512_min_ps(_mm512_max_ps(f, _mm512_setzero_ps()), top);  // max(NaN, 0) is 0
    const __m512i b = _mm512_cvttps_epi32(f);
    _mm512_store_si512(id, b);
    _mm512_store_ps(w, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, e + i), vinv));
    _mm256_mask_storeu_epi16(ids + i, k, _mm512_cvtepi32_epi16(b));
    const int m = int(std::min<int64_t>(16, n - i));
    for (int j = 0; j < m; ++j) copy[j & 1][id[j]] += double(w[j]);
  }
}

static int64_t indices_equal(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out) {
  const __m512i v = _mm512_set1_epi16(short(value));
  int64_t count = 0, i = 0;
  for (; i < n; i += 32) {
    const __mmask32 k = n - i >= 32 ? ~__mmask32(0) : __mmask32((1u << (n - i)) - 1);
    uint32_t hits = _mm512_mask_cmpeq_epi16_mask(k, _mm512_maskz_loadu_epi16(k, ids + i), v);
    while (hits) {
      out[count++] = int32_t(i + __builtin_ctz(hits));
      hits &= hits - 1;
    }
  }
  return count;
}

const OpsTable& ops_avx512() {
  static const OpsTable table{gemm_nn,     exp_shifted,  scale,           swiglu,           add,
                              sum_squares, scale_mul,    rope_row,        sum_p_log_p,      divide_and_range,
                              exp_sum_f64, keep_and_sum, scale_and_stats, bucket_histogram, indices_equal};
  return table;
}

}  // namespace dc::kernels::cpu

// AVX2 vector primitives for the non-GEMM ops (see ops_table.h): a small row-major GEMM for attention,
// exp-based softmax and SwiGLU, RMSNorm and RoPE loops. Tails use maskload / maskstore.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "kernels/cpu/gemm_nn_driver.h"
#include "kernels/cpu/ops_table.h"

namespace dc::kernels::cpu {

namespace {

// Lane mask for the first n of 8 floats.
inline __m256i lane_mask(int64_t n) {
  n = std::clamp<int64_t>(n, 0, 8);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// exp(x) with ~1 ulp error (Cephes expf polynomial); exactly 0 below -86.5 (so 2^n stays a normal number),
// +inf above 88.7.
inline __m256 exp256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-86.5f), hi = _mm256_set1_ps(88.7f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  const __m256 overflow = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
  // 2^n for n in [-126, 128): the exponent field. n = 128 (x near 88.7) is handled by splitting 2^n =
  // 2^(n-1)*2.
  const __m256i ni = _mm256_cvtps_epi32(_mm256_sub_ps(n, _mm256_set1_ps(1.0f)));
  const __m256 pow2 =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
  __m256 out = _mm256_mul_ps(_mm256_mul_ps(y, pow2), _mm256_set1_ps(2.0f));
  out = _mm256_andnot_ps(underflow, out);
  return _mm256_blendv_ps(out, _mm256_set1_ps(INFINITY), overflow);
}

// c[MR, ncols <= 16] = a[MR, K] * b[K, ncols].
template <int MR>
void micro_nn(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t K,
              int64_t ncols) {
  const __m256i m0 = lane_mask(ncols), m1 = lane_mask(ncols - 8);
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_maskload_ps(b + k * ldb, m0);
    const __m256 b1 = _mm256_maskload_ps(b + k * ldb + 8, m1);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + k);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    _mm256_maskstore_ps(c + r * ldc, m0, acc[r][0]);
    _mm256_maskstore_ps(c + r * ldc + 8, m1, acc[r][1]);
  }
}

constexpr auto kMicroNN = micro_table<6>([](auto rows) { return &micro_nn<decltype(rows)::value>; });

void gemm_nn(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t M,
             int64_t N, int64_t K) {
  gemm_nn_blocked<16>(kMicroNN, c, ldc, a, lda, b, ldb, M, N, K);
}

float exp_shifted(float* x, int64_t n, float scale) {
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  float mx = hmax(vmax);
  for (; i < n; ++i) mx = std::max(mx, x[i]);
  const __m256 vm = _mm256_set1_ps(mx), s = _mm256_set1_ps(scale);
  __m256 sum = _mm256_setzero_ps();
  for (i = 0; i < n; i += 8) {
    const __m256i m = lane_mask(n - i);
    __m256 e = exp256(_mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), vm), s));
    e = _mm256_and_ps(e, _mm256_castsi256_ps(m));
    sum = _mm256_add_ps(sum, e);
    _mm256_maskstore_ps(x + i, m, e);
  }
  return hsum(sum);
}

void scale(float* x, int64_t n, float s) {
  const __m256 v = _mm256_set1_ps(s);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), v));
  }
}

void swiglu(float* out, const float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = lane_mask(n - i);
    const __m256 g = _mm256_maskload_ps(gate + i, m);
    const __m256 u = _mm256_maskload_ps(up + i, m);
    const __m256 sig = _mm256_div_ps(one, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(_mm256_mul_ps(g, sig), u));
  }
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(y + i, m, _mm256_add_ps(_mm256_maskload_ps(y + i, m), _mm256_maskload_ps(x + i, m)));
  }
}

float sum_squares(const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    a0 = _mm256_fmadd_ps(v0, v0, a0);
    a1 = _mm256_fmadd_ps(v1, v1, a1);
  }
  for (; i < n; i += 8) {
    const __m256 v = _mm256_maskload_ps(x + i, lane_mask(n - i));
    a0 = _mm256_fmadd_ps(v, v, a0);
  }
  return hsum(_mm256_add_ps(a0, a1));
}

void scale_mul(float* y, const float* x, float s, const float* w, int64_t n) {
  const __m256 vs = _mm256_set1_ps(s);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = lane_mask(n - i);
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, m), vs);
    _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(v, _mm256_maskload_ps(w + i, m)));
  }
}

// Hides a product from the optimiser so it is rounded on its own and never fused into an FMA (GCC contracts
// mul + add in C++ by default); RoPE then rounds exactly like ref::rope and PyTorch.
inline __m256 rounded(__m256 v) {
  __asm__("" : "+x"(v));
  return v;
}

void rope_row(float* x, const float* cos, const float* sin, int64_t H, int64_t D) {
  const int64_t half = D / 2;
  for (int64_t h = 0; h < H; ++h) {
    float* xa = x + h * D;
    float* xb = xa + half;
    for (int64_t j = 0; j < half; j += 8) {
      const __m256i m = lane_mask(half - j);
      const __m256 a = _mm256_maskload_ps(xa + j, m), b = _mm256_maskload_ps(xb + j, m);
      const __m256 c = _mm256_maskload_ps(cos + j, m), s = _mm256_maskload_ps(sin + j, m);
      _mm256_maskstore_ps(xa + j, m,
                          _mm256_sub_ps(rounded(_mm256_mul_ps(a, c)), rounded(_mm256_mul_ps(b, s))));
      _mm256_maskstore_ps(xb + j, m,
                          _mm256_add_ps(rounded(_mm256_mul_ps(b, c)), rounded(_mm256_mul_ps(a, s))));
    }
  }
}

}  // namespace

// log(x) for normal x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)) from the exponent bits, then
// log m = 2 atanh(t), t = (m - 1) / (m + 1) in [-0.172, 0.172], by its odd series to t^11.
static inline __m256 log256(__m256 x) {
  const __m256i bits = _mm256_castps_si256(x);
  __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127));
  __m256 m = _mm256_castsi256_ps(
      _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f800000)));
  const __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(1.41421356f), _CMP_GE_OQ);
  m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
  e = _mm256_add_epi32(e, _mm256_and_si256(_mm256_castps_si256(big), _mm256_set1_epi32(1)));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
  const __m256 t2 = _mm256_mul_ps(t, t);
  __m256 poly = _mm256_set1_ps(2.0f / 11.0f);
  poly = _mm256_fmadd_ps(poly, t2, _mm256_set1_ps(2.0f / 9.0f));
  poly = _mm256_fmadd_ps(poly, t2, _mm256_set1_ps(2.0f / 7.0f));
  poly = _mm256_fmadd_ps(poly, t2, _mm256_set1_ps(2.0f / 5.0f));
  poly = _mm256_fmadd_ps(poly, t2, _mm256_set1_ps(2.0f / 3.0f));
  poly = _mm256_fmadd_ps(poly, t2, _mm256_set1_ps(2.0f));
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(e), _mm256_set1_ps(0.693147180559945f), _mm256_mul_ps(poly, t));
}

static double sum_p_log_p(const float* p, int64_t n, float eps) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  const __m256 ve = _mm256_set1_ps(eps);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lane_mask(n - i);
    const __m256 v = _mm256_maskload_ps(p + i, k);  // masked lanes read 0: a zero term
    const __m256 term = _mm256_mul_ps(v, log256(_mm256_add_ps(v, ve)));
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(term)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(term, 1)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(lo, hi));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

static RowRange divide_and_range(float* x, int64_t n, float divisor) {
  __m256 vmax = _mm256_set1_ps(-INFINITY), vmin = _mm256_set1_ps(INFINITY);
  const __m256 d = _mm256_set1_ps(divisor);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lane_mask(n - i);
    __m256 v = _mm256_maskload_ps(x + i, k);
    if (divisor > 0) {
      v = _mm256_div_ps(v, d);
      _mm256_maskstore_ps(x + i, k, v);
    }
    const __m256 kf = _mm256_castsi256_ps(k);
    vmax = _mm256_blendv_ps(vmax, _mm256_max_ps(vmax, v), kf);
    vmin = _mm256_blendv_ps(vmin, _mm256_min_ps(vmin, v), kf);
  }
  return {hmax(vmax), -hmax(_mm256_sub_ps(_mm256_setzero_ps(), vmin))};
}

// Sum of 8 floats widened to double into two accumulators of 4.
inline void add_widened(__m256d& lo, __m256d& hi, __m256 v) {
  lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline double hsum256d(__m256d lo, __m256d hi) {
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(lo, hi));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

static double exp_sum_f64(const float* x, int64_t n, float shift) {
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  const __m256 vs = _mm256_set1_ps(shift);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lane_mask(n - i);
    const __m256 e = exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, k), vs));
    add_widened(lo, hi, _mm256_and_ps(e, _mm256_castsi256_ps(k)));
  }
  return hsum256d(lo, hi);
}

// The loop and accumulation order of exp_shifted, over the kept values.
static float keep_and_sum(float* e, const float* x, int64_t n, float t, int64_t last_tied) {
  const __m256 vt = _mm256_set1_ps(t);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int64_t tied_end = std::min<int64_t>(last_tied, n - 1);
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lane_mask(n - i);
    const __m256 xv = _mm256_maskload_ps(x + i, k);
    __m256 keep = _mm256_cmp_ps(xv, vt, _CMP_GT_OQ);
    if (i <= tied_end) {
      const __m256 early = _mm256_castsi256_ps(
          _mm256_cmpgt_epi32(_mm256_set1_epi32(int(tied_end - i + 1)), lane));  // lane <= tied_end - i
      keep = _mm256_or_ps(keep, _mm256_and_ps(_mm256_cmp_ps(xv, vt, _CMP_EQ_OQ), early));
    }
    keep = _mm256_and_ps(keep, _mm256_castsi256_ps(k));
    const __m256 v = _mm256_and_ps(_mm256_maskload_ps(e + i, k), keep);
    sum = _mm256_add_ps(sum, v);
    _mm256_maskstore_ps(e + i, k, v);
  }
  return hsum(sum);
}

static ProbStats scale_and_stats(float* p, int64_t n, float s, double* block_sums) {
  const __m256 vs = _mm256_set1_ps(s);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256 m1 = _mm256_set1_ps(-1.0f), m2 = m1;  // per lane: largest, second largest (p >= 0)
  __m256i arg = _mm256_setzero_si256();        // per lane: first index of its largest
  ProbStats st;
  for (int64_t b0 = 0; b0 < n; b0 += kProbBlock) {
    const int64_t b1 = std::min(n, b0 + kProbBlock);
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    for (int64_t i = b0; i < b1; i += 8) {
      const __m256i k = lane_mask(b1 - i);
      const __m256 kf = _mm256_castsi256_ps(k);
      const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(p + i, k), vs);
      _mm256_maskstore_ps(p + i, k, v);
      const __m256 gt = _mm256_and_ps(_mm256_cmp_ps(v, m1, _CMP_GT_OQ), kf);
      m2 = _mm256_blendv_ps(m2, _mm256_max_ps(m2, _mm256_min_ps(m1, v)), kf);
      m1 = _mm256_blendv_ps(m1, v, gt);
      arg = _mm256_castps_si256(
          _mm256_blendv_ps(_mm256_castsi256_ps(arg),
                           _mm256_castsi256_ps(_mm256_add_epi32(lane, _mm256_set1_epi32(int(i)))), gt));
      add_widened(lo, hi, v);
    }
    const double block = hsum256d(lo, hi);
    if (block_sums) block_sums[b0 / kProbBlock] = block;
    st.total += block;
  }
  alignas(32) float top[8], second[8];
  alignas(32) int32_t index[8];
  _mm256_store_ps(top, m1);
  _mm256_store_ps(second, m2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(index), arg);
  merge_lane_top2(top, second, index, 8, st);
  return st;
}

static void bucket_histogram(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                             float inv, double* mass, uint16_t* ids) {
  const __m256 vlo = _mm256_set1_ps(lo), vscale = _mm256_set1_ps(scale), vinv = _mm256_set1_ps(inv);
  const __m256 top = _mm256_set1_ps(float(buckets - 1));
  double* const copy[2] = {mass, mass + buckets};
  alignas(32) int32_t id[8];
  alignas(32) float w[8];
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lane_mask(n - i);
    __m256 f = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, k), vlo), vscale);
    f = _mm256_min_ps(_mm256_max_ps(f, _mm256_setzero_ps()), top);  // max(NaN, 0) is 0
    _mm256_store_si256(reinterpret_cast<__m256i*>(id), _mm256_cvttps_epi32(f));
    _mm256_store_ps(w, _mm256_mul_ps(_mm256_maskload_ps(e + i, k), vinv));
    const int m = int(std::min<int64_t>(8, n - i));
    for (int j = 0; j < m; ++j) {
      ids[i + j] = uint16_t(id[j]);
      copy[j & 1][id[j]] += double(w[j]);
    }
  }
}

static int64_t indices_equal(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out) {
  const __m256i v = _mm256_set1_epi16(short(value));
  int64_t count = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i c = _mm256_cmpeq_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ids + i)), v);
    uint32_t hits = uint32_t(_mm256_movemask_epi8(c)) & 0x55555555u;  // one bit per 16-bit lane
    while (hits) {
      out[count++] = int32_t(i + __builtin_ctz(hits) / 2);
      hits &= hits - 1;
    }
  }
  for (; i < n; ++i) {
    if (ids[i] == value) out[count++] = int32_t(i);
  }
  return count;
}

const OpsTable& ops_avx2() {
  static const OpsTable table{gemm_nn,     exp_shifted,  scale,           swiglu,           add,
                              sum_squares, scale_mul,    rope_row,        sum_p_log_p,      divide_and_range,
                              exp_sum_f64, keep_and_sum, scale_and_stats, bucket_histogram, indices_equal};
  return table;
}

}  // namespace dc::kernels::cpu

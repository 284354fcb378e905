// Internal: the vector primitives behind the non-GEMM ops, one table per ISA. The drivers in kernels/ops.cpp
// and kernels/attention.cpp do the threading, shapes and masks; these functions are single-threaded loops
// over contiguous fp32 data.
#pragma once

#include <cstdint>

#include "kernels/ops.h"

namespace dc::kernels::cpu {

struct OpsTable {
  // c[M, N] = a[M, K] * b[K, N]; all row-major with the given row strides; c is overwritten.
  void (*gemm_nn)(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb, int64_t M,
                  int64_t N, int64_t K);
  // x[i] = exp((x[i] - max(x)) * scale) for i < n (n > 0); returns the sum of the new values.
  float (*exp_shifted)(float* x, int64_t n, float scale);
  // x[i] *= s.
  void (*scale)(float* x, int64_t n, float s);
  // out[i] = gate[i] / (1 + exp(-gate[i])) * up[i].
  void (*swiglu)(float* out, const float* gate, const float* up, int64_t n);
  // y[i] += x[i].
  void (*add)(float* y, const float* x, int64_t n);
  // sum of x[i]^2.
  float (*sum_squares)(const float* x, int64_t n);
  // y[i] = (x[i] * s) * w[i]  (two roundings, like HF's RMSNorm).
  void (*scale_mul)(float* y, const float* x, float s, const float* w, int64_t n);
  // One position of RoPE over H heads of x[H, D]: for j < D/2, (a, b) = (x[j], x[j + D/2]) becomes
  // (a cos[j] - b sin[j], b cos[j] + a sin[j]), products rounded before the add (bit-equal to ref::rope).
  void (*rope_row)(float* x, const float* cos, const float* sin, int64_t H, int64_t D);
  // sum of p[i] * log(p[i] + eps) for p[i] in [0, 1], eps > 0 normal: a vector log (relative error about
  // 1e-7), products widened to double before they are summed.
  double (*sum_p_log_p)(const float* p, int64_t n, float eps);
  // The one-row sampler primitives of kernels/ops.h (exp_shifted_row is exp_shifted with scale 1).
  RowRange (*divide_and_range)(float* x, int64_t n, float divisor);
  double (*exp_sum_f64)(const float* x, int64_t n, float shift);
  float (*keep_and_sum)(float* e, const float* x, int64_t n, float t, int64_t last_tied);
  ProbStats (*scale_and_stats)(float* p, int64_t n, float s, double* block_sums);
  void (*bucket_histogram)(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                           float inv, double* mass, uint16_t* ids);
  int64_t (*indices_equal)(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out);
};

// Merges per-lane (largest, second largest, first index of the largest) of scale_and_stats into st's top1,
// argmax and top2 (ties counted; never below 0).
inline void merge_lane_top2(const float* top, const float* second, const int32_t* index, int lanes,
                            ProbStats& st) {
  int best = 0;
  for (int l = 1; l < lanes; ++l) {
    if (top[l] > top[best] || (top[l] == top[best] && index[l] < index[best])) best = l;
  }
  float top2 = 0;
  for (int l = 0; l < lanes; ++l) {
    if (second[l] > top2) top2 = second[l];
    if (l != best && top[l] > top2) top2 = top[l];
  }
  st.top1 = top[best];
  st.argmax = index[best];
  st.top2 = top2;
}

const OpsTable& ops_avx512();
const OpsTable& ops_avx2();

}  // namespace dc::kernels::cpu

namespace dc::kernels::cpu {

// kernels::attention with the primitives of `ops`, query rows in blocks of block_rows (attention.cpp).
void attention_blocked(const OpsTable& ops, int64_t block_rows, float* out, const float* q, const float* k,
                       const float* v, int64_t Nq, int64_t Nk, int64_t H, int64_t Hkv, int64_t D,
                       const uint8_t* key_valid, const uint8_t* query_valid);

}  // namespace dc::kernels::cpu

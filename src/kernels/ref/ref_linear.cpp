// Scalar reference GEMM for linear layers: y = x W^T + b with double accumulation (see ref_ops.h).
#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels::ref {

namespace {
// One output row: y[n] = sum_k x[k] * W[n, k] (+ bias[n]). T is the stored element type of W.
template <typename Widen>
void linear_row(float* y, const float* x, const uint16_t* w, int64_t N, int64_t K, const float* bias,
                Widen widen) {
  for (int64_t n = 0; n < N; ++n) {
    const uint16_t* wr = w + n * K;
    double acc = bias ? double(bias[n]) : 0.0;
    for (int64_t k = 0; k < K; ++k) acc += double(x[k]) * double(widen(wr[k]));
    y[n] = float(acc);
  }
}
}  // namespace

void linear(float* y, int64_t ldy, const float* x, int64_t ldx, const TensorView& w, const float* bias,
            int64_t M) {
  DC_ASSERT(w.shape.size() == 2);
  const int64_t N = w.dim(0), K = w.dim(1);
  DC_ASSERT(ldx >= K && ldy >= N);
  // Rows are independent; split them over the pool (the partition does not change any sum).
  global_pool().parallel_for(M, [&](int64_t m0, int64_t m1, int) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* xr = x + m * ldx;
      float* yr = y + m * ldy;
      switch (w.dtype) {
        case DType::F32:
          for (int64_t n = 0; n < N; ++n) {
            const float* wr = w.f32() + n * K;
            double acc = bias ? double(bias[n]) : 0.0;
            for (int64_t k = 0; k < K; ++k) acc += double(xr[k]) * double(wr[k]);
            yr[n] = float(acc);
          }
          break;
        case DType::BF16:
          linear_row(yr, xr, w.u16(), N, K, bias, bf16_to_f32);
          break;
        case DType::F16:
          linear_row(yr, xr, w.u16(), N, K, bias, f16_to_f32);
          break;
        default:
          DC_ASSERT(false, "linear weights must be F32, F16 or BF16");
      }
    }
  });
}

}  // namespace dc::kernels::ref

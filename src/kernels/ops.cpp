// Dispatch of the public ops (kernels/ops.h) to the scalar references or the ISA-specific kernels.
#include "kernels/ops.h"

#include "core/error.h"
#include "kernels/cpu/gemm.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels {

void linear(float* y, const float* x, const PackedWeight& w, const float* bias, int64_t M) {
  linear(y, w.rows(), x, w.cols(), w, bias, M);
}

void linear(float* y, int64_t ldy, const float* x, int64_t ldx, const PackedWeight& w, const float* bias,
            int64_t M) {
  DC_ASSERT(!w.empty(), "linear: weight was never packed");
  DC_ASSERT(ldx >= w.cols() && ldy >= w.rows());
  if (M <= 0) return;
  const int64_t N = w.rows(), K = w.cols();
  switch (w.layout()) {
    case PackedWeight::Layout::View: {
      TensorView view{w.dtype(), {N, K}, w.data()};
      ref::linear(y, ldy, x, ldx, view, bias, M);
      return;
    }
    case PackedWeight::Layout::Avx512Bf16:
      cpu::gemm_avx512_bf16(y, ldy, x, ldx, w.data(), M, N, K, bias);
      return;
    case PackedWeight::Layout::Avx512F32:
      cpu::gemm_avx512_f32(y, ldy, x, ldx, w.data(), M, N, K, bias);
      return;
    case PackedWeight::Layout::Avx2Panel:
      cpu::gemm_avx2(y, ldy, x, ldx, w.data(), w.dtype(), M, N, K, bias);
      return;
    case PackedWeight::Layout::None:
      break;
  }
  DC_ASSERT(false, "linear: unknown weight layout");
}

void rmsnorm(float* y, const float* x, const TensorView& weight, int64_t M, int64_t C, float eps) {
  ref::rmsnorm(y, x, weight, M, C, eps);
}

void rope(float* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta) {
  ref::rope(x, pos, M, H, D, theta);
}

void attention(float* out, const float* q, const float* k, const float* v, int64_t Nq, int64_t Nk, int64_t H,
               int64_t Hkv, int64_t D, const uint8_t* key_valid, const uint8_t* query_valid) {
  ref::attention(out, q, k, v, Nq, Nk, H, Hkv, D, key_valid, query_valid);
}

void swiglu(float* out, const float* gate, const float* up, int64_t n) {
  ref::swiglu(out, gate, up, n);
}

void add_inplace(float* y, const float* x, int64_t n) {
  ref::add_inplace(y, x, n);
}

void softmax_rows(float* x, int64_t M, int64_t N) {
  ref::softmax_rows(x, M, N);
}

}  // namespace dc::kernels

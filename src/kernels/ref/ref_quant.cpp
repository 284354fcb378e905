// Scalar references for linear layers on block-quantized weights (see ref_ops.h): the int8 scheme of the
// kernels with exact integer dot products, and the fp32 product with the dequantized weights.
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/act_quant.h"
#include "kernels/quant.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels::ref {

namespace {

// The weight side of activation block b (values 32b .. 32b + 31) of one weight row against the int8 block
// qa with quant sum sa: the exact integer dot product of the quants times the weight scales, i.e. the
// block's contribution to the output divided by the activation scale.
double block_term(DType type, const uint8_t* row, int64_t b, const int8_t* qa, int32_t sa) {
  switch (type) {
    case DType::Q8_0: {
      const uint8_t* blk = row + b * 34;
      int32_t t = 0;
      for (int i = 0; i < 32; ++i) t += int32_t(int8_t(blk[qblock::kQ8_0Quants + size_t(i)])) * qa[i];
      return double(load_f16(blk)) * t;
    }
    case DType::Q4_0: {
      const uint8_t* blk = row + b * 18;
      const uint8_t* qs = blk + qblock::kQ4_0Quants;
      int32_t t = 0;
      for (int i = 0; i < 16; ++i) t += ((qs[i] & 0xF) - 8) * qa[i] + ((qs[i] >> 4) - 8) * qa[i + 16];
      return double(load_f16(blk)) * t;
    }
    case DType::Q4_K: {
      const uint8_t* blk = row + (b / 8) * 144;
      const int j = int(b % 8);
      int sc = 0, mn = 0;
      q4_k_scale_min(blk + qblock::kQ4_KScales, j, &sc, &mn);
      const uint8_t* qs = blk + qblock::kQ4_KQuants + 32 * (j / 2);
      int32_t t = 0;
      for (int l = 0; l < 32; ++l) t += ((qs[l] >> (4 * (j % 2))) & 0xF) * qa[l];
      return double(load_f16(blk)) * sc * t - double(load_f16(blk + qblock::kQ4_KDmin)) * mn * sa;
    }
    case DType::Q6_K: {
      const uint8_t* blk = row + (b / 8) * 210;
      const int j = int(b % 8);  // values 32j .. 32j + 31 of the block: scales 2j and 2j + 1
      int32_t t[2] = {0, 0};
      for (int l = 0; l < 32; ++l) t[l / 16] += (q6_k_quant(blk, 32 * j + l) - 32) * qa[l];
      const int8_t* sc = reinterpret_cast<const int8_t*>(blk + qblock::kQ6_KScales);
      return double(load_f16(blk + qblock::kQ6_KD)) *
             (int32_t(sc[2 * j]) * t[0] + int32_t(sc[2 * j + 1]) * t[1]);
    }
    default:
      DC_ASSERT(false, "not a block type");
  }
  return 0.0;
}

}  // namespace

void linear_quant(float* y, int64_t ldy, const float* x, int64_t ldx, const TensorView& w, const float* bias,
                  int64_t M) {
  DC_ASSERT(w.shape.size() == 2 && dtype_is_block(w.dtype));
  const int64_t N = w.dim(0), K = w.dim(1);
  DC_ASSERT(K % dtype_block_elems(w.dtype) == 0 && ldx >= K && ldy >= N);
  std::vector<uint8_t> storage(act_blocks_bytes(M, K) + 64);
  const uintptr_t base = reinterpret_cast<uintptr_t>(storage.data());
  const ActBlocks a = act_blocks_in(storage.data() + ((64 - base % 64) % 64), M, K);
  quantize_acts(x, ldx, a);
  const size_t row_bytes = quantized_bytes(w.dtype, K);
  const uint8_t* wb = static_cast<const uint8_t*>(w.data);
  const int64_t nb = a.blocks();
  global_pool().parallel_for(M, [&](int64_t m0, int64_t m1, int) {
    for (int64_t m = m0; m < m1; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = bias ? double(bias[n]) : 0.0;
        for (int64_t b = 0; b < nb; ++b)
          acc += double(a.d[m * nb + b]) * block_term(w.dtype, wb + size_t(n) * row_bytes, b,
                                                      a.q + m * K + b * kActBlock, a.sum[m * nb + b]);
        y[m * ldy + n] = float(acc);
      }
  });
}

void linear_dequantized(float* y, int64_t ldy, const float* x, int64_t ldx, const TensorView& w,
                        const float* bias, int64_t M) {
  DC_ASSERT(w.shape.size() == 2 && dtype_is_block(w.dtype));
  const int64_t N = w.dim(0), K = w.dim(1);
  std::vector<float> wf(size_t(N * K));
  const size_t row_bytes = quantized_bytes(w.dtype, K);
  for (int64_t n = 0; n < N; ++n)
    dequantize_row(w.dtype, static_cast<const uint8_t*>(w.data) + size_t(n) * row_bytes, wf.data() + n * K,
                   K);
  linear(y, ldy, x, ldx, TensorView{DType::F32, {N, K}, wf.data()}, bias, M);
}

}  // namespace dc::kernels::ref

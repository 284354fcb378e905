// Scalar reference implementations: plain loops, fp32 inputs and outputs, double accumulation where a sum
// is long. They are the oracle the optimised kernels are tested against and the Scalar-ISA path. Same
// contracts as kernels/ops.h; single-threaded except ref::linear, which may use the pool over rows.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace dc::kernels::ref {

// Element i of a 1-D or 2-D F32/F16/BF16 tensor, widened to fp32.
float load_element(const TensorView& t, int64_t i);

// y[M, N] (row stride ldy) = x[M, K] (row stride ldx) * W^T + bias; W [N, K] F32/F16/BF16.
void linear(float* y, int64_t ldy, const float* x, int64_t ldx, const TensorView& w, const float* bias,
            int64_t M);
// Block-quantized weights W [N, K] (Q8_0 / Q4_0 / Q4_K / Q6_K, ggml layout): (a) the int8 scheme of the
// kernels, integer-exact: x quantized into int8 blocks of 32 (kernels/act_quant.h), each block's integer
// dot product with the weight quants exact, scaled by the fp32 scales and summed in double. This is also the
// path used on CPUs without AVX512-VNNI. (b) fp32 x against the dequantized weights, double accumulation.
void linear_quant(float* y, int64_t ldy, const float* x, int64_t ldx, const TensorView& w, const float* bias,
                  int64_t M);
void linear_dequantized(float* y, int64_t ldy, const float* x, int64_t ldx, const TensorView& w,
                        const float* bias, int64_t M);
void rmsnorm(float* y, const float* x, const TensorView& weight, int64_t M, int64_t C, float eps);
// The fp32 cos/sin HF uses for position pos and frequency index j < D/2.
void rope_cos_sin(int32_t pos, int64_t j, int64_t D, double theta, float* cos_out, float* sin_out);
void rope(float* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta);
void attention(float* out, const float* q, const float* k, const float* v, int64_t Nq, int64_t Nk, int64_t H,
               int64_t Hkv, int64_t D, const uint8_t* key_valid, const uint8_t* query_valid);
void swiglu(float* out, const float* gate, const float* up, int64_t n);
void add_inplace(float* y, const float* x, int64_t n);
void softmax_rows(float* x, int64_t M, int64_t N);
// sum_i p[i] * log(p[i] + eps), each term and the sum in double.
double sum_p_log_p(const float* p, int64_t n, float eps);
// The one-row sampler primitives (kernels/ops.h), with sums in double.
RowRange divide_and_range(float* x, int64_t n, float divisor);
float exp_shifted_row(float* x, int64_t n);
double exp_sum_f64(const float* x, int64_t n, float shift);
float keep_and_sum(float* e, const float* x, int64_t n, float t, int64_t last_tied);
ProbStats scale_and_stats(float* p, int64_t n, float s, double* block_sums);
void bucket_histogram(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                      float inv, double* mass, uint16_t* ids);
int64_t indices_equal(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out);

}  // namespace dc::kernels::ref

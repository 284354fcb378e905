// Double-precision scalar forwards of the ops that have a backward in kernels/backward.h. They are the
// oracle of the gradient tests: central finite differences of these functions (in double, so the step can
// be small without cancellation) are compared against the fp32 backward kernels. Plain loops, one thread.
#pragma once

#include <cstdint>

namespace dc::kernels::ref {

// y[M, N] = x[M, K] W[N, K]^T + b (b nullable).
void linear_f64(double* y, const double* x, const double* W, const double* b, int64_t M, int64_t N,
                int64_t K);
// y = x * rsqrt(mean(x^2) + eps) * w over rows of C.
void rmsnorm_f64(double* y, const double* x, const double* w, int64_t M, int64_t C, double eps);
// Rotate-half RoPE in place on x[M, H, D] with angles pos * theta^(-2j/D) in double.
void rope_f64(double* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta);
// out[i] = silu(gate[i]) * up[i].
void swiglu_f64(double* out, const double* gate, const double* up, int64_t n);
// GQA attention over one sequence, q[N, H, D], k, v[N, Hkv, D], allow[N * N] nullable (see
// kernels::attention_train); rows without an allowed key give 0.
void attention_f64(double* out, const double* q, const double* k, const double* v, int64_t N, int64_t H,
                   int64_t Hkv, int64_t D, const uint8_t* allow);
// sum_r weight[r] * (-log softmax(logits[r])[target[r]]) over R rows of V.
double cross_entropy_f64(const double* logits, const int32_t* target, const float* weight, int64_t R,
                         int64_t V);

}  // namespace dc::kernels::ref

// Backward passes of the kernels in ops.h, plus the training-only forward pieces they need (attention with a
// per-(query, key) mask that also returns each row's log-sum-exp, cross-entropy). All fp32 row-major,
// arguments in the order outputs, inputs, sizes (the forward's mirror). Gradients named d<x> are dLoss/d<x>.
//
// Conventions: "dx =" kernels overwrite their input gradient; weight gradients ("dw +=") accumulate, so a
// caller zeroes them once per optimizer step and gradient accumulation is free. Every output element is
// computed by one thread in a fixed order (weight gradients are split over columns, never summed across
// threads), so results are bit-identical for any thread count. Scalar oracles: kernels/ref/backward_ref.h.
#pragma once

#include <cstdint>

namespace dc::kernels {

// Linear y[M, N] = x[M, K] W[N, K]^T + b. Backward:
//   dx[M, K] = dy W (overwritten; nullable to skip), dW[N, K] += dy^T x, db[N] += sum_m dy (nullable).
// W, dW fp32. The products run on the packed GEMM of ops.h (the operands are transposed and packed per
// call; O(MN + MK + NK) extra work against O(MNK)).
void linear_backward(float* dx, float* dW, float* db, const float* dy, const float* x, const float* W,
                     int64_t M, int64_t N, int64_t K);

// Forward GEMM against an fp32 weight that changes every step: y[M, N] = x W^T (+ b). Packs W per call.
void linear_f32(float* y, const float* x, const float* W, const float* b, int64_t M, int64_t N, int64_t K);

// RMSNorm y = x * r * w with r = rsqrt(mean(x^2) + eps), rows of C. Backward:
//   dx = r * (dy*w - x * r^2 * mean(dy*w*x))   (overwritten; dx may not alias dy or x)
//   dw[C] += sum_m dy * x * r
void rmsnorm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w, int64_t M,
                      int64_t C, float eps);
// The same forward as ops.h's rmsnorm for an fp32 weight.
void rmsnorm_f32(float* y, const float* x, const float* w, int64_t M, int64_t C, float eps);

// Backward of rotate-half RoPE in place on dx[M, H, D]: the transposed rotation (angle -pos * inv_freq),
// with the same fp32 cos/sin as the forward.
void rope_backward(float* dx, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta);

// SwiGLU out = silu(g) * u. Backward: dg = dout * u * s (1 + g (1 - s)), du = dout * g s, s = sigmoid(g).
// dg, du overwritten; they may alias neither dout, gate nor up.
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t n);

// Scaled dot-product attention with GQA over one sequence of N positions (training: queries = keys):
// q[N, H, D], k, v[N, Hkv, D] -> out[N, H, D], lse[H, N] = log sum_j exp(s_ij) of each (head, row).
// allow[N * N] (nullable = all pairs): allow[i * N + j] = 0 removes key j from query i's softmax. A row
// with no allowed key gets out = 0 and lse = -inf. Scale 1/sqrt(D). Per-head GEMMs on the packed linear()
// (backward_attention.cpp), each split over the pool.
void attention_train(float* out, float* lse, const float* q, const float* k, const float* v, int64_t N,
                     int64_t H, int64_t Hkv, int64_t D, const uint8_t* allow);
// Backward, given out and lse of the forward: dq[N, H, D], dk, dv[N, Hkv, D] overwritten.
// P_ij = exp(s_ij - lse_i); dP = dout v^T; dS = P (dP - rowsum(dout * out)); dq = scale dS k;
// dk = scale dS^T q (summed over the query heads sharing the KV head); dv = P^T dout (same).
// P is recomputed from q, k and lse (nothing N x N is kept between the passes).
void attention_train_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                              const float* k, const float* v, const float* out, const float* lse, int64_t N,
                              int64_t H, int64_t Hkv, int64_t D, const uint8_t* allow);

// Weighted softmax cross-entropy over R rows of V logits, in place: on return logits[r] holds
// dLoss/dlogits = weight[r] * (softmax - onehot(target[r])), and loss[r] = -log softmax[target[r]]
// (unweighted, double accumulation). Threads over rows.
void cross_entropy_backward(float* logits, double* loss, const int32_t* target, const float* weight,
                            int64_t R, int64_t V);

// The same in two phases, for losses whose weights depend on the forward's values (reinforcement
// learning): cross_entropy_rows leaves the logits as they are and writes loss[r] = -log softmax[target[r]]
// with each row's max and sum of exp(x - max); cross_entropy_grad then turns the logits into
// weight[r] * (softmax - onehot) from them. The two give exactly what cross_entropy_backward gives.
void cross_entropy_rows(const float* logits, double* loss, float* row_max, double* row_sum,
                        const int32_t* target, int64_t R, int64_t V);
void cross_entropy_grad(float* logits, const float* row_max, const double* row_sum, const int32_t* target,
                        const float* weight, int64_t R, int64_t V);

}  // namespace dc::kernels

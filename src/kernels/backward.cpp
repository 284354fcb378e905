// Backward kernels and training-only forward pieces; see backward.h. GEMMs go through ops.h's packed
// linear(); everything else is plain loops the compiler vectorises, split over the global pool so that
// each output element has exactly one writer.
#include "kernels/backward.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels {

namespace {

// dst[C, R] = src[R, C]^T, in 8x8 tiles (few enough lines that power-of-two strides do not thrash the L1
// sets), threads over tile rows of src.
void transpose(float* dst, const float* src, int64_t R, int64_t C) {
  constexpr int64_t T = 8;
  global_pool().parallel_for((R + T - 1) / T,
                             [&](int64_t b0, int64_t b1, int) {
                               for (int64_t rb = b0 * T; rb < std::min(R, b1 * T); rb += T)
                                 for (int64_t cb = 0; cb < C; cb += T)
                                   for (int64_t r = rb; r < std::min(R, rb + T); ++r)
                                     for (int64_t c = cb; c < std::min(C, cb + T); ++c)
                                       dst[c * R + r] = src[r * C + c];
                             },
                             16);
}

PackedWeight pack_f32(const float* w, int64_t rows, int64_t cols) {
  TensorView v;
  v.dtype = DType::F32;
  v.shape = {rows, cols};
  v.data = w;
  return PackedWeight::pack(v);
}

// Per-thread scratch of the GEMM wrappers (the calling thread only; kernels are called one at a time).
struct Scratch {
  std::vector<float> a, b, c;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

void linear_f32(float* y, const float* x, const float* W, const float* b, int64_t M, int64_t N, int64_t K) {
  if (M == 0) return;
  const PackedWeight pw = pack_f32(W, N, K);
  linear(y, x, pw, b, M);
}

void linear_backward(float* dx, float* dW, float* db, const float* dy, const float* x, const float* W,
                     int64_t M, int64_t N, int64_t K) {
  if (M == 0) return;
  Scratch& s = scratch();
  if (dx) {
    // dx (M, K) = dy (M, N) x Wt^T where Wt = W^T is (K, N).
    s.a.resize(size_t(K * N));
    transpose(s.a.data(), W, N, K);
    const PackedWeight wt = pack_f32(s.a.data(), K, N);
    linear(dx, dy, wt, nullptr, M);
  }
  // dW (N, K) += dyT (N, M) x xT^T where xT = x^T is (K, M).
  s.a.resize(size_t(N * M));
  s.b.resize(size_t(K * M));
  s.c.resize(size_t(N * K));
  transpose(s.a.data(), dy, M, N);
  transpose(s.b.data(), x, M, K);
  const PackedWeight xt = pack_f32(s.b.data(), K, M);
  linear(s.c.data(), s.a.data(), xt, nullptr, N);
  const float* c = s.c.data();
  const float* dyT = s.a.data();
  global_pool().parallel_for(
      N,
      [&](int64_t n0, int64_t n1, int) {
        for (int64_t n = n0; n < n1; ++n) {
          float* dst = dW + n * K;
          const float* src = c + n * K;
          for (int64_t j = 0; j < K; ++j) dst[j] += src[j];
          if (db) {
            // Row n of dy^T holds dy[:, n]: sum in a fixed order.
            float acc = 0.f;
            for (int64_t m = 0; m < M; ++m) acc += dyT[n * M + m];
            db[n] += acc;
          }
        }
      },
      4);
}

void rmsnorm_f32(float* y, const float* x, const float* w, int64_t M, int64_t C, float eps) {
  global_pool().parallel_for(
      M,
      [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) {
          const float* xr = x + m * C;
          double ss = 0;
          for (int64_t c = 0; c < C; ++c) ss += double(xr[c]) * xr[c];
          const float r = float(1.0 / std::sqrt(ss / double(C) + double(eps)));
          float* yr = y + m * C;
          for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] * r * w[c];
        }
      },
      8);
}

void rmsnorm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w, int64_t M,
                      int64_t C, float eps) {
  // r (M): the forward's inverse RMS, recomputed.
  std::vector<float> r(static_cast<size_t>(M));
  global_pool().parallel_for(
      M,
      [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) {
          const float* xr = x + m * C;
          const float* dyr = dy + m * C;
          double ss = 0, dot = 0;
          for (int64_t c = 0; c < C; ++c) {
            ss += double(xr[c]) * xr[c];
            dot += double(dyr[c]) * w[c] * xr[c];
          }
          const double rr = 1.0 / std::sqrt(ss / double(C) + double(eps));
          r[size_t(m)] = float(rr);
          // d/dx_c of x_c r: r (dy_c w_c) - x_c r^3 mean(dy w x).
          const float k = float(rr * rr * rr * dot / double(C));
          float* dxr = dx + m * C;
          for (int64_t c = 0; c < C; ++c) dxr[c] = float(rr) * dyr[c] * w[c] - xr[c] * k;
        }
      },
      8);
  // dw: columns split over threads, rows summed in order.
  global_pool().parallel_for(
      C,
      [&](int64_t c0, int64_t c1, int) {
        for (int64_t c = c0; c < c1; ++c) {
          double acc = 0;
          for (int64_t m = 0; m < M; ++m) acc += double(dy[m * C + c]) * x[m * C + c] * r[size_t(m)];
          dw[c] += float(acc);
        }
      },
      16);
}

void rope_backward(float* dx, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta) {
  DC_ASSERT(D % 2 == 0, "rope needs an even head dimension");
  const int64_t half = D / 2;
  global_pool().parallel_for(
      M,
      [&](int64_t m0, int64_t m1, int) {
        std::vector<float> cs(static_cast<size_t>(D));
        for (int64_t m = m0; m < m1; ++m) {
          for (int64_t j = 0; j < half; ++j)
            ref::rope_cos_sin(pos[m], j, D, theta, &cs[size_t(j)], &cs[size_t(half + j)]);
          for (int64_t h = 0; h < H; ++h) {
            float* xh = dx + (m * H + h) * D;
            for (int64_t j = 0; j < half; ++j) {
              const float c = cs[size_t(j)], s = cs[size_t(half + j)];
              const float a = xh[j], b = xh[j + half];
              // Transpose of [[c, -s], [s, c]].
              xh[j] = a * c + b * s;
              xh[j + half] = b * c - a * s;
            }
          }
        }
      },
      8);
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                     int64_t n) {
  global_pool().parallel_for(
      n,
      [&](int64_t i0, int64_t i1, int) {
        for (int64_t i = i0; i < i1; ++i) {
          const float g = gate[i];
          const float s = 1.0f / (1.0f + std::exp(-g));
          dup[i] = dout[i] * g * s;
          dgate[i] = dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
        }
      },
      1024);
}

// attention_train and attention_train_backward: backward_attention.cpp.

void cross_entropy_rows(const float* logits, double* loss, float* row_max, double* row_sum,
                        const int32_t* target, int64_t R, int64_t V) {
  global_pool().parallel_for(
      R,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          const float* x = logits + r * V;
          float mx = x[0];
          for (int64_t j = 1; j < V; ++j) mx = std::max(mx, x[j]);
          double sum = 0;
          for (int64_t j = 0; j < V; ++j) sum += std::exp(double(x[j] - mx));
          const int32_t t = target[r];
          DC_ASSERT(t >= 0 && t < V, "cross-entropy target outside the vocabulary");
          loss[r] = std::log(sum) + double(mx) - double(x[t]);
          row_max[r] = mx;
          row_sum[r] = sum;
        }
      },
      1);
}

void cross_entropy_grad(float* logits, const float* row_max, const double* row_sum, const int32_t* target,
                        const float* weight, int64_t R, int64_t V) {
  global_pool().parallel_for(
      R,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          float* x = logits + r * V;
          const float mx = row_max[r];
          const double inv = 1.0 / row_sum[r];
          const float w = weight[r];
          for (int64_t j = 0; j < V; ++j) x[j] = float(w * (std::exp(double(x[j] - mx)) * inv));
          x[target[r]] -= w;
        }
      },
      1);
}

void cross_entropy_backward(float* logits, double* loss, const int32_t* target, const float* weight,
                            int64_t R, int64_t V) {
  std::vector<float> mx(static_cast<size_t>(R));
  std::vector<double> sum(static_cast<size_t>(R));
  cross_entropy_rows(logits, loss, mx.data(), sum.data(), target, R, V);
  cross_entropy_grad(logits, mx.data(), sum.data(), target, weight, R, V);
}

}  // namespace dc::kernels

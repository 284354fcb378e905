// Training attention, forward and backward (kernels/backward.h), written as per-head GEMMs on the packed
// linear() of ops.h plus row-wise softmax work. One sequence of N positions; for head h (KV head kh):
//   S = Q_h K_kh^T (N, N);  P = softmax(scale * S, masked);  O_h = P V_kh           (forward, keeps lse)
//   P again from S and lse; dP = dO_h V_kh^T; dS = scale * P (dP - rowsum(dO_h * O_h))
//   dQ_h = dS K_kh;  dK_kh += dS^T Q_h;  dV_kh += P^T dO_h  (summed over the heads of the group in order)
// Heads run one after another; each GEMM and row pass is split over the pool, one writer per element, so
// results are bit-identical for any thread count.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/backward.h"
#include "kernels/ops.h"

namespace dc::kernels {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

PackedWeight pack_rows(const float* w, int64_t rows, int64_t cols) {
  TensorView v;
  v.dtype = DType::F32;
  v.shape = {rows, cols};
  v.data = w;
  return PackedWeight::pack(v);
}

// dst (N, D) = the D-wide column slice at `offset` of src rows with stride `ld`.
void gather(float* dst, const float* src, int64_t N, int64_t D, int64_t ld, int64_t offset) {
  for (int64_t i = 0; i < N; ++i) std::memcpy(dst + i * D, src + i * ld + offset, size_t(D) * 4);
}

// dst (C, R) = src (R, C)^T.
void transpose_small(float* dst, const float* src, int64_t R, int64_t C) {
  global_pool().parallel_for(
      C,
      [&](int64_t c0, int64_t c1, int) {
        for (int64_t c = c0; c < c1; ++c)
          for (int64_t r = 0; r < R; ++r) dst[c * R + r] = src[r * C + c];
      },
      8);
}

// P (N, N) in place from raw scores S: exp(scale * s - lse_i) where allowed, else 0 (also for rows with
// no allowed key, lse = -inf).
void probabilities(float* S, const float* lse, const uint8_t* allow, int64_t N, float scale) {
  global_pool().parallel_for(
      N,
      [&](int64_t i0, int64_t i1, int) {
        for (int64_t i = i0; i < i1; ++i) {
          float* row = S + i * N;
          const float l = lse[i];
          for (int64_t j = 0; j < N; ++j)
            row[j] = (l == kNegInf || (allow && !allow[i * N + j])) ? 0.f : std::exp(row[j] * scale - l);
        }
      },
      8);
}

}  // namespace

void attention_train(float* out, float* lse, const float* q, const float* k, const float* v, int64_t N,
                     int64_t H, int64_t Hkv, int64_t D, const uint8_t* allow) {
  const int64_t G = H / Hkv, HD = H * D, KD = Hkv * D;
  const float scale = 1.0f / std::sqrt(float(D));
  std::vector<float> kh_buf(static_cast<size_t>(N * D)), vt(static_cast<size_t>(D * N)),
      vh(static_cast<size_t>(N * D)), S(static_cast<size_t>(N * N));
  for (int64_t kh = 0; kh < Hkv; ++kh) {
    gather(kh_buf.data(), k, N, D, KD, kh * D);
    gather(vh.data(), v, N, D, KD, kh * D);
    transpose_small(vt.data(), vh.data(), N, D);
    const PackedWeight Kp = pack_rows(kh_buf.data(), N, D);  // [N keys, D]
    const PackedWeight Vt = pack_rows(vt.data(), D, N);      // [D, N keys]
    for (int64_t h = kh * G; h < (kh + 1) * G; ++h) {
      // S (N, N) = Q_h K^T.
      linear(S.data(), N, q + h * D, HD, Kp, nullptr, N);
      // Row softmax with the mask; P overwrites S, lse kept.
      float* lse_h = lse + h * N;
      global_pool().parallel_for(
          N,
          [&](int64_t i0, int64_t i1, int) {
            for (int64_t i = i0; i < i1; ++i) {
              float* row = S.data() + i * N;
              float mx = kNegInf;
              for (int64_t j = 0; j < N; ++j) {
                row[j] = (!allow || allow[i * N + j]) ? row[j] * scale : kNegInf;
                mx = std::max(mx, row[j]);
              }
              if (mx == kNegInf) {
                std::memset(row, 0, size_t(N) * 4);
                lse_h[i] = kNegInf;
                continue;
              }
              double l = 0;
              for (int64_t j = 0; j < N; ++j) {
                row[j] = row[j] == kNegInf ? 0.f : std::exp(row[j] - mx);
                l += row[j];
              }
              const float inv = float(1.0 / l);
              for (int64_t j = 0; j < N; ++j) row[j] *= inv;
              lse_h[i] = mx + float(std::log(l));
            }
          },
          8);
      // O_h (N, D) = P V.
      linear(out + h * D, HD, S.data(), N, Vt, nullptr, N);
    }
  }
}

void attention_train_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                              const float* k, const float* v, const float* out, const float* lse, int64_t N,
                              int64_t H, int64_t Hkv, int64_t D, const uint8_t* allow) {
  const int64_t G = H / Hkv, HD = H * D, KD = Hkv * D;
  const float scale = 1.0f / std::sqrt(float(D));
  std::vector<float> kh_buf(static_cast<size_t>(N * D)), kt(static_cast<size_t>(D * N)),
      vh(static_cast<size_t>(N * D)), qt(static_cast<size_t>(D * N)), dot_t(static_cast<size_t>(D * N)),
      tmp(static_cast<size_t>(N * D)), P(static_cast<size_t>(N * N)), dS(static_cast<size_t>(N * N)),
      T(static_cast<size_t>(N * N)), rowdot(static_cast<size_t>(N));
  for (int64_t kh = 0; kh < Hkv; ++kh) {
    gather(kh_buf.data(), k, N, D, KD, kh * D);
    gather(vh.data(), v, N, D, KD, kh * D);
    transpose_small(kt.data(), kh_buf.data(), N, D);
    const PackedWeight Kp = pack_rows(kh_buf.data(), N, D);  // [N, D]: S = Q K^T
    const PackedWeight Vp = pack_rows(vh.data(), N, D);      // [N, D]: dP = dO V^T
    const PackedWeight Kt = pack_rows(kt.data(), D, N);      // [D, N]: dQ = dS K
    for (int64_t j = 0; j < N; ++j) {
      std::memset(dk + j * KD + kh * D, 0, size_t(D) * 4);
      std::memset(dv + j * KD + kh * D, 0, size_t(D) * 4);
    }
    for (int64_t h = kh * G; h < (kh + 1) * G; ++h) {
      const float* lse_h = lse + h * N;
      // P (N, N) from S = Q_h K^T and the forward's lse.
      linear(P.data(), N, q + h * D, HD, Kp, nullptr, N);
      probabilities(P.data(), lse_h, allow, N, scale);
      // dP (N, N) = dO_h V^T; dS = scale * P * (dP - rowdot).
      linear(dS.data(), N, dout + h * D, HD, Vp, nullptr, N);
      for (int64_t i = 0; i < N; ++i) {
        const float* a = dout + i * HD + h * D;
        const float* b = out + i * HD + h * D;
        float acc = 0.f;
        for (int64_t d = 0; d < D; ++d) acc += a[d] * b[d];
        rowdot[size_t(i)] = acc;
      }
      global_pool().parallel_for(
          N,
          [&](int64_t i0, int64_t i1, int) {
            for (int64_t i = i0; i < i1; ++i)
              for (int64_t j = 0; j < N; ++j)
                dS[size_t(i * N + j)] =
                    scale * P[size_t(i * N + j)] * (dS[size_t(i * N + j)] - rowdot[size_t(i)]);
          },
          8);
      // dQ_h (N, D) = dS K.
      linear(dq + h * D, HD, dS.data(), N, Kt, nullptr, N);
      // dK (N, D) += dS^T Q_h.
      gather(tmp.data(), q, N, D, HD, h * D);
      transpose_small(qt.data(), tmp.data(), N, D);
      transpose_small(T.data(), dS.data(), N, N);
      linear(tmp.data(), T.data(), pack_rows(qt.data(), D, N), nullptr, N);
      for (int64_t j = 0; j < N; ++j) add_inplace(dk + j * KD + kh * D, tmp.data() + j * D, D);
      // dV (N, D) += P^T dO_h.
      gather(tmp.data(), dout, N, D, HD, h * D);
      transpose_small(dot_t.data(), tmp.data(), N, D);
      transpose_small(T.data(), P.data(), N, N);
      linear(tmp.data(), T.data(), pack_rows(dot_t.data(), D, N), nullptr, N);
      for (int64_t j = 0; j < N; ++j) add_inplace(dv + j * KD + kh * D, tmp.data() + j * D, D);
    }
  }
}

}  // namespace dc::kernels

// Double-precision reference forwards; see backward_ref.h.
#include "kernels/ref/backward_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace dc::kernels::ref {

void linear_f64(double* y, const double* x, const double* W, const double* b, int64_t M, int64_t N,
                int64_t K) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = b ? b[n] : 0.0;
      for (int64_t j = 0; j < K; ++j) acc += x[m * K + j] * W[n * K + j];
      y[m * N + n] = acc;
    }
}

void rmsnorm_f64(double* y, const double* x, const double* w, int64_t M, int64_t C, double eps) {
  for (int64_t m = 0; m < M; ++m) {
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += x[m * C + c] * x[m * C + c];
    const double r = 1.0 / std::sqrt(ss / double(C) + eps);
    for (int64_t c = 0; c < C; ++c) y[m * C + c] = x[m * C + c] * r * w[c];
  }
}

void rope_f64(double* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta) {
  const int64_t half = D / 2;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < half; ++j) {
      const double a = double(pos[m]) * std::pow(theta, -double(2 * j) / double(D));
      const double c = std::cos(a), s = std::sin(a);
      for (int64_t h = 0; h < H; ++h) {
        double* xh = x + (m * H + h) * D;
        const double u = xh[j], w = xh[j + half];
        xh[j] = u * c - w * s;
        xh[j + half] = w * c + u * s;
      }
    }
}

void swiglu_f64(double* out, const double* gate, const double* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
}

void attention_f64(double* out, const double* q, const double* k, const double* v, int64_t N, int64_t H,
                   int64_t Hkv, int64_t D, const uint8_t* allow) {
  const int64_t G = H / Hkv;
  const double scale = 1.0 / std::sqrt(double(D));
  std::vector<double> s(static_cast<size_t>(N));
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < N; ++i) {
      const int64_t kh = h / G;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t d = 0; d < D; ++d) acc += q[(i * H + h) * D + d] * k[(j * Hkv + kh) * D + d];
        s[size_t(j)] = (!allow || allow[i * N + j]) ? acc * scale : -std::numeric_limits<double>::infinity();
        mx = std::max(mx, s[size_t(j)]);
      }
      double* o = out + (i * H + h) * D;
      for (int64_t d = 0; d < D; ++d) o[d] = 0;
      if (mx == -std::numeric_limits<double>::infinity()) continue;
      double l = 0;
      for (int64_t j = 0; j < N; ++j) l += std::exp(s[size_t(j)] - mx);
      for (int64_t j = 0; j < N; ++j) {
        const double p = std::exp(s[size_t(j)] - mx) / l;
        for (int64_t d = 0; d < D; ++d) o[d] += p * v[(j * Hkv + kh) * D + d];
      }
    }
}

double cross_entropy_f64(const double* logits, const int32_t* target, const float* weight, int64_t R,
                         int64_t V) {
  double total = 0;
  for (int64_t r = 0; r < R; ++r) {
    const double* x = logits + r * V;
    double mx = x[0];
    for (int64_t j = 1; j < V; ++j) mx = std::max(mx, x[j]);
    double sum = 0;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(x[j] - mx);
    total += double(weight[r]) * (std::log(sum) + mx - x[target[r]]);
  }
  return total;
}

}  // namespace dc::kernels::ref

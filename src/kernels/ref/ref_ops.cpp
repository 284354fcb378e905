// Scalar references for the element-wise and row-wise ops (see ref_ops.h).
#include "kernels/ref/ref_ops.h"

#include <cmath>

#include "core/error.h"

namespace dc::kernels::ref {

float load_element(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::F32:
      return t.f32()[i];
    case DType::BF16:
      return bf16_to_f32(t.u16()[i]);
    case DType::F16:
      return f16_to_f32(t.u16()[i]);
    default:
      DC_ASSERT(false, "kernels accept F32, F16 and BF16 tensors only");
  }
  return 0.0f;
}

// HF Qwen2RMSNorm: variance = mean(x^2) in fp32; x * rsqrt(variance + eps), then times weight.
void rmsnorm(float* y, const float* x, const TensorView& weight, int64_t M, int64_t C, float eps) {
  DC_ASSERT(weight.numel() == C);
  for (int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * C;
    float* yr = y + m * C;
    double ss = 0.0;
    for (int64_t c = 0; c < C; ++c) ss += double(xr[c]) * double(xr[c]);
    const float inv = float(1.0 / std::sqrt(ss / double(C) + double(eps)));
    for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] * inv) * load_element(weight, c);
  }
}

// HF: inv_freq = 1 / theta^(arange(0, D, 2).float() / D) in fp32; angle = inv_freq * float(pos) in fp32;
// cos/sin taken in fp32 (here: in double, then rounded, which is within an ulp of torch's).
void rope_cos_sin(int32_t pos, int64_t j, int64_t D, double theta, float* cos_out, float* sin_out) {
  const float expo = float(2 * j) / float(D);
  const float inv_freq = 1.0f / std::pow(float(theta), expo);
  const float angle = inv_freq * float(pos);
  *cos_out = float(std::cos(double(angle)));
  *sin_out = float(std::sin(double(angle)));
}

// out[j] = x[j] cos - x[j + D/2] sin; out[j + D/2] = x[j + D/2] cos + x[j] sin  (rotate_half).
void rope(float* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta) {
  DC_ASSERT(D % 2 == 0, "rope needs an even head dimension");
  const int64_t half = D / 2;
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t j = 0; j < half; ++j) {
      float c, s;
      rope_cos_sin(pos[m], j, D, theta, &c, &s);
      for (int64_t h = 0; h < H; ++h) {
        float* xh = x + (m * H + h) * D;
        const float a = xh[j], b = xh[j + half];
        xh[j] = a * c - b * s;
        xh[j + half] = b * c + a * s;
      }
    }
  }
}

// silu(g) = g * sigmoid(g) = g / (1 + exp(-g)).
void swiglu(float* out, const float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = float(g / (1.0 + std::exp(-g)) * double(up[i]));
  }
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void softmax_rows(float* x, int64_t M, int64_t N) {
  for (int64_t m = 0; m < M; ++m) {
    float* r = x + m * N;
    double mx = -INFINITY;
    for (int64_t i = 0; i < N; ++i) mx = std::fmax(mx, double(r[i]));
    double sum = 0.0;
    for (int64_t i = 0; i < N; ++i) sum += std::exp(double(r[i]) - mx);
    for (int64_t i = 0; i < N; ++i) r[i] = float(std::exp(double(r[i]) - mx) / sum);
  }
}

double sum_p_log_p(const float* p, int64_t n, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += double(p[i]) * std::log(double(p[i]) + double(eps));
  return sum;
}

}  // namespace dc::kernels::ref

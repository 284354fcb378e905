// Scalar references for the element-wise and row-wise ops (see ref_ops.h).
#include "kernels/ref/ref_ops.h"

#include <algorithm>
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

namespace dc::kernels::ref {

RowRange divide_and_range(float* x, int64_t n, float divisor) {
  RowRange r{-INFINITY, INFINITY};
  for (int64_t i = 0; i < n; ++i) {
    if (divisor > 0) x[i] = x[i] / divisor;
    r.max = std::max(r.max, x[i]);
    r.min = std::min(r.min, x[i]);
  }
  return r;
}

float exp_shifted_row(float* x, int64_t n) {
  double mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::fmax(mx, double(x[i]));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (x[i] = float(std::exp(double(x[i]) - mx)));
  return float(sum);
}

double exp_sum_f64(const float* x, int64_t n, float shift) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(x[i]) - double(shift));
  return sum;
}

float keep_and_sum(float* e, const float* x, int64_t n, float t, int64_t last_tied) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] > t || (x[i] == t && i <= last_tied))
      sum += e[i];
    else
      e[i] = 0;
  }
  return float(sum);
}

ProbStats scale_and_stats(float* p, int64_t n, float s, double* block_sums) {
  ProbStats st;
  st.top1 = -1;
  float top2 = -1;
  double block = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = p[i] = p[i] * s;
    if (v > st.top1) {
      top2 = st.top1;
      st.top1 = v;
      st.argmax = i;
    } else if (v > top2) {
      top2 = v;
    }
    block += v;
    if ((i + 1) % kProbBlock == 0 || i + 1 == n) {
      if (block_sums) block_sums[i / kProbBlock] = block;
      st.total += block;
      block = 0;
    }
  }
  st.top2 = std::max(top2, 0.0f);
  return st;
}

void bucket_histogram(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                      float inv, double* mass, uint16_t* ids) {
  for (int64_t i = 0; i < n; ++i) {
    float f = (x[i] - lo) * scale;
    f = f > 0.0f ? f : 0.0f;
    f = f < float(buckets - 1) ? f : float(buckets - 1);
    ids[i] = uint16_t(f);
    mass[(i & 1) * buckets + ids[i]] += double(e[i] * inv);
  }
}

int64_t indices_equal(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] == value) out[count++] = int32_t(i);
  }
  return count;
}

}  // namespace dc::kernels::ref

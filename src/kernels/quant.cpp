// Scalar encoders and decoders of the ggml block types (see quant.h and core/dtype.h for the layouts).
#include "kernels/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace dc::kernels {

namespace {

void store_f16(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

// Signed value of largest magnitude among x[0, n) (the first one on ties); 0 for an all-zero run.
float signed_max(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  return max;
}

int clamp_round(float v, int lo, int hi) {
  return std::clamp(int(std::round(v)), lo, hi);
}

// ---- Q8_0: fp16 d, int8 q[32].

void quantize_q8_0(const float* x, uint8_t* b) {
  float amax = 0.0f;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  store_f16(b, amax / 127.0f);
  const float d = load_f16(b);
  for (int i = 0; i < 32; ++i) {
    const int q = d != 0.0f ? clamp_round(x[i] / d, -127, 127) : 0;
    b[qblock::kQ8_0Quants + size_t(i)] = uint8_t(int8_t(q));
  }
}

void dequantize_q8_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  for (int i = 0; i < 32; ++i) y[i] = d * float(int8_t(b[qblock::kQ8_0Quants + size_t(i)]));
}

// ---- Q4_0: fp16 d, 16 bytes: byte j = value j (low nibble) | value j + 16 (high nibble).

void quantize_q4_0(const float* x, uint8_t* b) {
  store_f16(b, signed_max(x, 32) / -8.0f);
  const float d = load_f16(b);
  uint8_t* qs = b + qblock::kQ4_0Quants;
  for (int j = 0; j < 16; ++j) {
    const int q0 = d != 0.0f ? clamp_round(x[j] / d + 8.0f, 0, 15) : 8;
    const int q1 = d != 0.0f ? clamp_round(x[j + 16] / d + 8.0f, 0, 15) : 8;
    qs[j] = uint8_t(q0 | (q1 << 4));
  }
}

void dequantize_q4_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + qblock::kQ4_0Quants;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * float((qs[j] & 0xF) - 8);
    y[j + 16] = d * float((qs[j] >> 4) - 8);
  }
}

// ---- Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles. Sub-blocks 2i and
// 2i + 1 share bytes qs[32i, 32i + 32): low nibbles for the first, high nibbles for the second.

struct ScaleMin {
  float scale = 0.0f;  // >= 0
  float min = 0.0f;    // >= 0; value = scale * q - min
};

// Fits x[32] ~ scale * q - min with q in [0, 15] and min >= 0 (the range always includes 0, as ggml's
// format assumes). Tries grids of 15 + delta steps over [min(x, 0), max(x)] for delta in [-1, 1]; for each,
// rounds q and refits scale and offset by least squares; keeps the fit with the least squared error.
ScaleMin fit_scale_min(const float* x) {
  constexpr int kN = 32, kMax = 15;
  float lo = 0.0f, hi = x[0];
  for (int i = 0; i < kN; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  if (hi <= lo) return {0.0f, -lo};
  ScaleMin best{(hi - lo) / kMax, -lo};
  double best_err = INFINITY;
  for (int step = 0; step <= 20; ++step) {
    const float iscale = (float(kMax) + 0.1f * float(step - 10)) / (hi - lo);
    double sq = 0, sqq = 0, sx = 0, sqx = 0;
    int q[kN];
    for (int i = 0; i < kN; ++i) {
      q[i] = clamp_round((x[i] - lo) * iscale, 0, kMax);
      sq += q[i];
      sqq += double(q[i]) * q[i];
      sx += x[i];
      sqx += double(q[i]) * x[i];
    }
    const double det = kN * sqq - sq * sq;
    if (det <= 0) continue;
    double s = (kN * sqx - sq * sx) / det, off = (sqq * sx - sq * sqx) / det;
    if (off > 0) {  // the offset is a non-positive -min: refit the scale alone
      off = 0;
      s = sqx / sqq;
    }
    if (s <= 0) continue;
    double err = 0;
    for (int i = 0; i < kN; ++i) {
      const double e = s * q[i] + off - x[i];
      err += e * e;
    }
    if (err < best_err) {
      best_err = err;
      best = {float(s), float(-off)};
    }
  }
  return best;
}

// The 6-bit level of v against the step d (0 when d is 0).
int six_bit(float v, float d) {
  return d > 0.0f ? clamp_round(v / d, 0, 63) : 0;
}

void quantize_q4_k(const float* x, uint8_t* b) {
  ScaleMin fit[8];
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    fit[j] = fit_scale_min(x + 32 * j);
    max_scale = std::max(max_scale, fit[j].scale);
    max_min = std::max(max_min, fit[j].min);
  }
  store_f16(b, max_scale / 63.0f);
  store_f16(b + qblock::kQ4_KDmin, max_min / 63.0f);
  const float d = load_f16(b), dmin = load_f16(b + qblock::kQ4_KDmin);
  int sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = six_bit(fit[j].scale, d);
    mn[j] = six_bit(fit[j].min, dmin);
  }
  uint8_t* packed = b + qblock::kQ4_KScales;
  for (int j = 0; j < 4; ++j) {
    packed[j] = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
    packed[j + 4] = uint8_t(mn[j] | ((mn[j + 4] >> 4) << 6));
    packed[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  uint8_t* qs = b + qblock::kQ4_KQuants;
  std::memset(qs, 0, 128);
  for (int j = 0; j < 8; ++j) {
    const float step = d * float(sc[j]), offset = dmin * float(mn[j]);
    for (int l = 0; l < 32; ++l) {
      const int q = step > 0.0f ? clamp_round((x[32 * j + l] + offset) / step, 0, 15) : 0;
      qs[32 * (j / 2) + l] |= uint8_t(q << (4 * (j % 2)));
    }
  }
}

void dequantize_q4_k(const uint8_t* b, float* y) {
  const float d = load_f16(b), dmin = load_f16(b + qblock::kQ4_KDmin);
  const uint8_t* qs = b + qblock::kQ4_KQuants;
  for (int j = 0; j < 8; ++j) {
    int sc = 0, mn = 0;
    q4_k_scale_min(b + qblock::kQ4_KScales, j, &sc, &mn);
    const float step = d * float(sc), offset = dmin * float(mn);
    for (int l = 0; l < 32; ++l) {
      const int q = (qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF;
      y[32 * j + l] = step * float(q) - offset;
    }
  }
}

// ---- Q6_K: ql[128], qh[64], int8 scales[16] (one per 16 consecutive values), fp16 d; value =
// d * scale * (q - 32), q interleaved as in q6_k_quant.

// A signed scale for x[16] with q in [-32, 31]: the value of largest magnitude over t steps for t in
// -32 .. -28, each refitted by least squares (scale = sum q x / sum q^2); the least squared error wins.
float fit_scale_q6(const float* x) {
  constexpr int kN = 16;
  const float max = signed_max(x, kN);
  if (max == 0.0f) return 0.0f;
  float best = max / -32.0f;
  double best_err = INFINITY;
  for (int step = 0; step <= 8; ++step) {
    const float s0 = max / (-32.0f + 0.5f * float(step));
    int q[kN];
    double sqq = 0, sqx = 0;
    for (int i = 0; i < kN; ++i) {
      q[i] = clamp_round(x[i] / s0, -32, 31);
      sqq += double(q[i]) * q[i];
      sqx += double(q[i]) * x[i];
    }
    const double s = sqx / sqq;  // sqq > 0: the largest value has |q| >= 28
    double err = 0;
    for (int i = 0; i < kN; ++i) {
      const double e = s * q[i] - x[i];
      err += e * e;
    }
    if (err < best_err) {
      best_err = err;
      best = float(s);
    }
  }
  return best;
}

void quantize_q6_k(const float* x, uint8_t* b) {
  float scale[16], amax = 0.0f;
  for (int i = 0; i < 16; ++i) {
    scale[i] = fit_scale_q6(x + 16 * i);
    amax = std::max(amax, std::fabs(scale[i]));
  }
  store_f16(b + qblock::kQ6_KD, amax / 127.0f);
  const float d = load_f16(b + qblock::kQ6_KD);
  std::memset(b, 0, qblock::kQ6_KScales);
  for (int i = 0; i < 16; ++i) {
    const int sc = d > 0.0f ? clamp_round(scale[i] / d, -127, 127) : 0;
    b[qblock::kQ6_KScales + size_t(i)] = uint8_t(int8_t(sc));
    const float step = d * float(sc);
    for (int l = 0; l < 16; ++l) {
      const int v = 16 * i + l;
      const int q = (step != 0.0f ? clamp_round(x[v] / step, -32, 31) : 0) + 32;
      const int h = v / 128, g = (v % 128) / 32, r = v % 32;
      b[64 * h + r + 32 * (g & 1)] |= uint8_t((q & 0xF) << (g < 2 ? 0 : 4));
      b[qblock::kQ6_KHigh + size_t(32 * h + r)] |= uint8_t((q >> 4) << (2 * g));
    }
  }
}

void dequantize_q6_k(const uint8_t* b, float* y) {
  const float d = load_f16(b + qblock::kQ6_KD);
  for (int v = 0; v < 256; ++v) {
    const float sc = float(int8_t(b[qblock::kQ6_KScales + size_t(v / 16)]));
    y[v] = d * sc * float(q6_k_quant(b, v) - 32);
  }
}

using BlockFn = void (*)(const float*, uint8_t*);
using UnblockFn = void (*)(const uint8_t*, float*);

void check_row(DType type, int64_t n) {
  DC_ASSERT(dtype_is_block(type), "quantize/dequantize: not a block type");
  DC_ASSERT(n >= 0 && n % dtype_block_elems(type) == 0, "row length is not a multiple of the block size");
}

}  // namespace

size_t quantized_bytes(DType type, int64_t n) {
  check_row(type, n);
  return size_t(n / dtype_block_elems(type)) * dtype_block_bytes(type);
}

void quantize_row(DType type, const float* src, void* dst, int64_t n) {
  check_row(type, n);
  BlockFn fn = nullptr;
  switch (type) {
    case DType::Q8_0:
      fn = quantize_q8_0;
      break;
    case DType::Q4_0:
      fn = quantize_q4_0;
      break;
    case DType::Q4_K:
      fn = quantize_q4_k;
      break;
    default:
      fn = quantize_q6_k;
      break;
  }
  const int64_t be = dtype_block_elems(type);
  const size_t bb = dtype_block_bytes(type);
  uint8_t* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n / be; ++i) fn(src + i * be, out + size_t(i) * bb);
}

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  check_row(type, n);
  UnblockFn fn = nullptr;
  switch (type) {
    case DType::Q8_0:
      fn = dequantize_q8_0;
      break;
    case DType::Q4_0:
      fn = dequantize_q4_0;
      break;
    case DType::Q4_K:
      fn = dequantize_q4_k;
      break;
    default:
      fn = dequantize_q6_k;
      break;
  }
  const int64_t be = dtype_block_elems(type);
  const size_t bb = dtype_block_bytes(type);
  const uint8_t* in = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n / be; ++i) fn(in + size_t(i) * bb, dst + i * be);
}

}  // namespace dc::kernels

// Block quantization (kernels/quant.h): decoding of hand-built ggml blocks against hand-computed values, the
// encoders' error against each format's bound on random and edge-case rows, and re-encoding of decoded rows.
#include "kernels/quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/rng.h"

namespace dc::kernels {
namespace {

void put_f16(uint8_t* p, uint16_t bits) {
  std::memcpy(p, &bits, 2);
}

std::vector<float> decode(DType t, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  dequantize_row(t, bytes.data(), y.data(), n);
  return y;
}

std::vector<uint8_t> encode(DType t, const std::vector<float>& x) {
  std::vector<uint8_t> b(quantized_bytes(t, int64_t(x.size())));
  quantize_row(t, x.data(), b.data(), int64_t(x.size()));
  return b;
}

TEST(QuantTest, BlockSizes) {
  EXPECT_EQ(quantized_bytes(DType::Q8_0, 64), 68u);
  EXPECT_EQ(quantized_bytes(DType::Q4_0, 96), 54u);
  EXPECT_EQ(quantized_bytes(DType::Q4_K, 512), 288u);
  EXPECT_EQ(quantized_bytes(DType::Q6_K, 256), 210u);
}

TEST(QuantTest, DecodesHandBuiltQ8_0) {
  std::vector<uint8_t> b(34);
  put_f16(b.data(), 0x3800);  // 0.5
  for (int i = 0; i < 32; ++i) b[size_t(2 + i)] = uint8_t(int8_t(i - 16));
  b[2] = uint8_t(int8_t(-127));
  const auto y = decode(DType::Q8_0, b, 32);
  EXPECT_EQ(y[0], -63.5f);
  for (int i = 1; i < 32; ++i) EXPECT_EQ(y[size_t(i)], 0.5f * float(i - 16)) << i;
}

TEST(QuantTest, DecodesHandBuiltQ4_0) {
  std::vector<uint8_t> b(18);
  put_f16(b.data(), 0x3400);  // 0.25
  for (int j = 0; j < 16; ++j) b[size_t(2 + j)] = uint8_t(j | ((15 - j) << 4));
  const auto y = decode(DType::Q4_0, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[size_t(j)], 0.25f * float(j - 8)) << j;       // low nibble: value j
    EXPECT_EQ(y[size_t(j + 16)], 0.25f * float(7 - j)) << j;  // high nibble: value j + 16
  }
}

// Scales and mins chosen so that every sub-block of 4..7 has top bits set in both; the 12 packed bytes were
// worked out by hand from the packing rule in q4_k_scale_min.
TEST(QuantTest, DecodesHandBuiltQ4_K) {
  const int sc[8] = {5, 17, 33, 63, 40, 50, 60, 13};
  const int mn[8] = {3, 63, 20, 7, 48, 1, 36, 63};
  const uint8_t packed[12] = {0x85, 0xD1, 0xE1, 0x3F, 0xC3, 0x3F, 0x94, 0xC7, 0x08, 0x12, 0x4C, 0xFD};
  std::vector<uint8_t> b(144);
  put_f16(b.data(), 0x3C00);      // d = 1
  put_f16(b.data() + 2, 0x3800);  // dmin = 0.5
  std::memcpy(b.data() + 4, packed, 12);
  for (int i = 0; i < 4; ++i)
    for (int l = 0; l < 32; ++l) b[size_t(16 + 32 * i + l)] = uint8_t((l % 16) | (((l + i) % 16) << 4));
  for (int j = 0; j < 8; ++j) {
    int s = -1, m = -1;
    q4_k_scale_min(packed, j, &s, &m);
    EXPECT_EQ(s, sc[j]) << j;
    EXPECT_EQ(m, mn[j]) << j;
  }
  const auto y = decode(DType::Q4_K, b, 256);
  for (int j = 0; j < 8; ++j)
    for (int l = 0; l < 32; ++l) {
      const int q = j % 2 == 0 ? l % 16 : (l + j / 2) % 16;  // sub-block 2i: low nibbles, 2i+1: high
      EXPECT_EQ(y[size_t(32 * j + l)], float(sc[j] * q) - 0.5f * float(mn[j])) << j << " " << l;
    }
}

// A few quants set by hand: ql[0] = 0x21 and qh[0] = 0b11100100 give values 0, 32, 64, 96 the quants 1,
// 0 | 1 << 4, 2 | 2 << 4 and 0 | 3 << 4; ql[69] = 0xF0 gives value 128 + 64 + 5 the quant 15.
TEST(QuantTest, DecodesHandBuiltQ6_KSpots) {
  std::vector<uint8_t> b(210, 0);
  for (int i = 0; i < 16; ++i) b[size_t(192 + i)] = 1;
  put_f16(b.data() + 208, 0x3C00);  // d = 1
  b[0] = 0x21;
  b[128] = 0xE4;
  b[69] = 0xF0;
  const auto y = decode(DType::Q6_K, b, 256);
  for (int v = 0; v < 256; ++v) {
    float want = -32.0f;
    if (v == 0) want = 1 - 32;
    if (v == 32) want = 16 - 32;
    if (v == 64) want = 34 - 32;
    if (v == 96) want = 48 - 32;
    if (v == 197) want = 15 - 32;
    EXPECT_EQ(y[size_t(v)], want) << v;
  }
}

// Every position: the bytes are written half by half in the order of ggml's decoder (four values per l:
// ql[l] low, ql[l + 32] low, ql[l] high, ql[l + 32] high with qh[l] bits 0-1, 2-3, 4-5, 6-7).
TEST(QuantTest, DecodesHandBuiltQ6_KEveryPosition) {
  auto quant = [](int v) { return (v * 7 + 3) % 64; };
  std::vector<uint8_t> b(210, 0);
  for (int h = 0; h < 2; ++h) {
    uint8_t* ql = b.data() + 64 * h;
    uint8_t* qh = b.data() + 128 + 32 * h;
    for (int l = 0; l < 32; ++l) {
      const int q1 = quant(128 * h + l), q2 = quant(128 * h + l + 32), q3 = quant(128 * h + l + 64),
                q4 = quant(128 * h + l + 96);
      ql[l] = uint8_t((q1 & 0xF) | ((q3 & 0xF) << 4));
      ql[l + 32] = uint8_t((q2 & 0xF) | ((q4 & 0xF) << 4));
      qh[l] = uint8_t((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
  int scales[16];
  for (int i = 0; i < 16; ++i) {
    scales[i] = (i % 2 ? -1 : 1) * (8 * i + 1);
    b[size_t(192 + i)] = uint8_t(int8_t(scales[i]));
  }
  put_f16(b.data() + 208, 0x3800);  // d = 0.5
  const auto y = decode(DType::Q6_K, b, 256);
  for (int v = 0; v < 256; ++v) {
    EXPECT_EQ(q6_k_quant(b.data(), v), quant(v)) << v;
    EXPECT_EQ(y[size_t(v)], 0.5f * float(scales[v / 16]) * float(quant(v) - 32)) << v;
  }
}

// ---- Encoders.

std::vector<float> random_row(Rng& rng, int64_t n, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = scale * (2.0f * rng.uniform() - 1.0f);
  return v;
}

// The rows every encoder is checked on: random data at two scales, all zeros, one huge value among small
// ones, negative-only and positive-only rows, a row of one repeated value.
std::vector<std::vector<float>> test_rows(int64_t n) {
  Rng rng(42);
  std::vector<std::vector<float>> rows;
  rows.push_back(random_row(rng, n, 1.0f));
  rows.push_back(random_row(rng, n, 0.02f));
  rows.push_back(std::vector<float>(size_t(n), 0.0f));
  auto huge = random_row(rng, n, 0.1f);
  huge[size_t(n / 3)] = 1000.0f;
  rows.push_back(huge);
  auto neg = random_row(rng, n, 1.0f);
  for (float& f : neg) f = -std::fabs(f) - 0.5f;
  rows.push_back(neg);
  auto pos = random_row(rng, n, 1.0f);
  for (float& f : pos) f = std::fabs(f) + 0.25f;
  rows.push_back(pos);
  rows.push_back(std::vector<float>(size_t(n), -0.75f));
  return rows;
}

constexpr int64_t kRow = 1024;

TEST(QuantTest, Q8_0ErrorWithinHalfStep) {
  for (const auto& x : test_rows(kRow)) {
    const auto b = encode(DType::Q8_0, x);
    const auto y = decode(DType::Q8_0, b, kRow);
    for (int64_t i = 0; i < kRow; ++i) {
      const float d = load_f16(b.data() + 34 * (i / 32));
      ASSERT_LE(std::fabs(y[size_t(i)] - x[size_t(i)]), 0.5f * d * (1 + 1e-6f)) << i;
    }
  }
}

TEST(QuantTest, Q4_0ErrorWithinHalfStep) {
  for (const auto& x : test_rows(kRow)) {
    const auto b = encode(DType::Q4_0, x);
    const auto y = decode(DType::Q4_0, b, kRow);
    for (int64_t i = 0; i < kRow; ++i) {
      const float d = load_f16(b.data() + 18 * (i / 32)), xi = x[size_t(i)];
      // Levels d * (q - 8) for q in 0..15: the largest value sits on q = 0, values of the opposite sign
      // beyond 7.5 |d| are clamped to 7 d.
      const float over = xi / d > 7.5f ? std::fabs(xi - 7.0f * d) : 0.0f;
      ASSERT_LE(std::fabs(y[size_t(i)] - xi), std::max(0.5f * std::fabs(d) * (1 + 1e-6f), over) + 1e-7f) << i;
    }
  }
}

// Q4_K: levels step * q - offset, q in 0..15, per sub-block; a value inside the level range is at most half
// a step away, one outside at most its distance to the range plus half a step.
TEST(QuantTest, Q4_KErrorWithinItsLevels) {
  for (const auto& x : test_rows(kRow)) {
    const auto b = encode(DType::Q4_K, x);
    const auto y = decode(DType::Q4_K, b, kRow);
    double err2 = 0, sum2 = 0;
    for (int64_t i = 0; i < kRow; ++i) {
      const uint8_t* blk = b.data() + 144 * (i / 256);
      int sc = 0, mn = 0;
      q4_k_scale_min(blk + 4, int(i % 256) / 32, &sc, &mn);
      const float step = load_f16(blk) * float(sc), lo = -load_f16(blk + 2) * float(mn), hi = lo + 15 * step;
      const float xi = x[size_t(i)];
      const float outside = std::max({0.0f, lo - xi, xi - hi});
      ASSERT_LE(std::fabs(y[size_t(i)] - xi), outside + 0.5f * step + 1e-6f * (std::fabs(xi) + std::fabs(lo)))
          << i;
      err2 += double(y[size_t(i)] - xi) * (y[size_t(i)] - xi);
      sum2 += double(xi) * xi;
    }
    // No worse than the plain min/max grid: for values uniform in [-a, a] that grid has step 2a / 15 and an
    // rms error of step / sqrt(12), 0.067 of the rms value a / sqrt(3); the fitted grids do better.
    if (sum2 > 0) {
      EXPECT_LT(std::sqrt(err2 / sum2), 0.067) << "relative rms error";
    }
  }
}

// Q6_K: levels step * k, k in [-32, 31] (or [-31, 32] for a negative step), so |k| <= 31 always
// representable: half a step for |x| <= 31.5 |step|, else the distance to 31 |step|.
TEST(QuantTest, Q6_KErrorWithinItsLevels) {
  for (const auto& x : test_rows(kRow)) {
    const auto b = encode(DType::Q6_K, x);
    const auto y = decode(DType::Q6_K, b, kRow);
    double err2 = 0, sum2 = 0;
    for (int64_t i = 0; i < kRow; ++i) {
      const uint8_t* blk = b.data() + 210 * (i / 256);
      const float step = std::fabs(load_f16(blk + 208) * float(int8_t(blk[192 + (i % 256) / 16])));
      const float xi = x[size_t(i)];
      const float bound = std::max(0.5f * step, std::fabs(xi) - 31.0f * step);
      ASSERT_LE(std::fabs(y[size_t(i)] - xi), bound * (1 + 1e-5f) + 1e-7f) << i;
      err2 += double(y[size_t(i)] - xi) * (y[size_t(i)] - xi);
      sum2 += double(xi) * xi;
    }
    // No worse than the plain grid of step 2a / 63 on values uniform in [-a, a] (0.016 of the rms value).
    if (sum2 > 0) {
      EXPECT_LT(std::sqrt(err2 / sum2), 0.016) << "relative rms error";
    }
  }
}

TEST(QuantTest, AllZeroRowsDecodeToZero) {
  const std::vector<float> zeros(512, 0.0f);
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K})
    for (float v : decode(t, encode(t, zeros), 512)) ASSERT_EQ(v, 0.0f) << dtype_name(t);
}

// Decoded values lie on the grid of the stored scale, and the value of largest magnitude on the grid's end
// (q = +-127, or q = 0 for Q4_0), so encoding them again gives the same bytes.
TEST(QuantTest, ReencodingDecodedRowsReproducesTheBytes) {
  for (DType t : {DType::Q8_0, DType::Q4_0})
    for (const auto& x : test_rows(kRow)) {
      const auto b = encode(t, x);
      const auto again = encode(t, decode(t, b, kRow));
      ASSERT_EQ(b, again) << dtype_name(t);
    }
}

// The encoders write every byte (no stale content from the destination).
TEST(QuantTest, EncodingIgnoresTheDestinationsContent) {
  const auto x = test_rows(kRow)[0];
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K}) {
    std::vector<uint8_t> a(quantized_bytes(t, kRow), 0x00), b(quantized_bytes(t, kRow), 0xFF);
    quantize_row(t, x.data(), a.data(), kRow);
    quantize_row(t, x.data(), b.data(), kRow);
    ASSERT_EQ(a, b) << dtype_name(t);
  }
}

}  // namespace
}  // namespace dc::kernels

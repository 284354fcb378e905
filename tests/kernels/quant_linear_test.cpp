// kernels::linear on block-quantized weights (Q8_0, Q4_0, Q4_K, Q6_K): the AVX512-VNNI kernel (where the CPU
// has it) and the scalar path against the integer-exact reference of the int8 scheme (ref::linear_quant) and
// against fp32 arithmetic on the dequantized weights (ref::linear_dequantized); thread-count independence;
// packing (zero-copy views, or row panels that own their copy; whole blocks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/quant.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels {
namespace {

using testing::random_vector;

struct QuantWeight {
  DType type;
  int64_t n, k;
  std::vector<uint8_t> bytes;
  std::vector<float> f;  // the dequantized values [n, k]
  TensorView view() const { return TensorView{type, {n, k}, bytes.data()}; }
};

QuantWeight make_quant_weight(Rng& rng, DType type, int64_t n, int64_t k) {
  QuantWeight w{type, n, k, std::vector<uint8_t>(quantized_bytes(type, k) * size_t(n)), {}};
  std::vector<float> v = random_vector(rng, n * k, 0.1f);
  // Rows of different magnitude, and a few large values, so that the block scales differ.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) v[size_t(i * k + j)] *= float(1 + i % 5) * (j % 97 == 3 ? 8.0f : 1.0f);
  const size_t rb = quantized_bytes(type, k);
  w.f.resize(size_t(n * k));
  for (int64_t i = 0; i < n; ++i) {
    quantize_row(type, v.data() + i * k, w.bytes.data() + size_t(i) * rb, k);
    dequantize_row(type, w.bytes.data() + size_t(i) * rb, w.f.data() + i * k, k);
  }
  return w;
}

// The layouts this CPU runs for block weights: the scalar int8 path always, the VNNI kernel if supported.
std::vector<Isa> block_isas() {
  std::vector<Isa> out = {Isa::Scalar};
  if (has_avx512_vnni()) out.push_back(Isa::Avx512);
  return out;
}

// Every block type is repacked into row panels on AVX512-VNNI and read in place on the scalar path.
PackedWeight::Layout expected_layout(Isa isa) {
  return isa == Isa::Avx512 ? PackedWeight::Layout::VnniPanels : PackedWeight::Layout::Blocks;
}

struct Shape {
  int64_t M, N, K;
};

constexpr DType kTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K};

// For each type and shape: y from linear() (strided rows, bias) against
//  (a) ref::linear_quant, the same int8 scheme with exact integer block dot products: only the fp32
//      accumulation order differs, so |y - a| <= 1e-5 of sum_k (3 max|w| over k's block) |x_k|, a bound on
//      the magnitude of every partial sum (a Q4_K value d sc q - dmin m has both parts below 2 max|w|);
//  (b) ref::linear_dequantized, fp32 x against the dequantized weights: the int8 activations differ from x
//      by at most half an activation step per value, d_b / 2 with d_b = amax of x's block b / 127, so
//      |y - b| <= sum_b d_b / 2 sum_{k in b} |w_k| (+ the same 1e-5 accumulation slack).
void check_quant_linear(Isa isa, DType type, Shape s, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << isa_name(isa) << " " << dtype_name(type) << " M=" << s.M
                                    << " N=" << s.N << " K=" << s.K);
  Rng rng(seed);
  const QuantWeight w = make_quant_weight(rng, type, s.N, s.K);
  const int64_t ldx = s.K + 5, ldy = s.N + 3;
  std::vector<float> x = random_vector(rng, s.M * ldx);
  for (int64_t i = 0; i < s.M * ldx; i += 41) x[size_t(i)] *= 20.0f;  // uneven activation blocks
  const std::vector<float> bias = random_vector(rng, s.N);
  const PackedWeight pw = PackedWeight::pack(w.view(), isa);
  ASSERT_EQ(pw.layout(), expected_layout(isa));

  std::vector<float> y(size_t(s.M * ldy), 7.0f), want_a(size_t(s.M * ldy), 7.0f), want_b(size_t(s.M * ldy));
  linear(y.data(), ldy, x.data(), ldx, pw, bias.data(), s.M);
  ref::linear_quant(want_a.data(), ldy, x.data(), ldx, w.view(), bias.data(), s.M);
  ref::linear_dequantized(want_b.data(), ldy, x.data(), ldx, w.view(), bias.data(), s.M);

  const int64_t be = dtype_block_elems(type);
  for (int64_t m = 0; m < s.M; ++m) {
    const float* xr = x.data() + m * ldx;
    for (int64_t n = 0; n < ldy; ++n) {
      const float got = y[size_t(m * ldy + n)];
      if (n >= s.N) {
        ASSERT_EQ(got, 7.0f) << "wrote past N at m=" << m << " n=" << n;
        continue;
      }
      const float* wr = w.f.data() + n * s.K;
      double mag = std::fabs(bias[size_t(n)]), act_err = 0.0;
      for (int64_t k0 = 0; k0 < s.K; k0 += be) {
        float wmax = 0.0f;
        for (int64_t k = k0; k < k0 + be; ++k) wmax = std::max(wmax, std::fabs(wr[k]));
        for (int64_t k = k0; k < k0 + be; ++k) mag += 3.0 * wmax * std::fabs(xr[k]);
      }
      for (int64_t b = 0; b < s.K; b += 32) {
        float amax = 0.0f;
        double wsum = 0.0;
        for (int64_t k = b; k < b + 32; ++k) {
          amax = std::max(amax, std::fabs(xr[k]));
          wsum += std::fabs(wr[k]);
        }
        act_err += amax / 127.0 / 2.0 * wsum;
      }
      ASSERT_NEAR(got, want_a[size_t(m * ldy + n)], 1e-5 * mag + 1e-6)
          << "vs int8 reference m=" << m << " n=" << n;
      ASSERT_NEAR(got, want_b[size_t(m * ldy + n)], act_err * (1 + 1e-4) + 1e-5 * mag + 1e-6)
          << "vs dequantized fp32 m=" << m << " n=" << n;
    }
  }
}

TEST(QuantLinearTest, MatchesReferencesOnEveryTypeAndShape) {
  // N not a multiple of the 4-row tile; K up to two K blocks of the kernel (32768 values).
  const Shape shapes[] = {{1, 9, 256},   {3, 37, 512},  {8, 30, 768}, {17, 13, 1024}, {64, 6, 4352},
                          {130, 7, 512}, {130, 5, 256}, {8, 3, 8448}, {2, 5, 33024}};
  uint64_t seed = 1;
  for (Isa isa : block_isas())
    for (DType t : kTypes)
      for (const Shape& s : shapes) check_quant_linear(isa, t, s, seed++);
}

TEST(QuantLinearTest, Q8_0AndQ4_0TakeRowsOf32) {
  uint64_t seed = 100;
  for (Isa isa : block_isas())
    for (DType t : {DType::Q8_0, DType::Q4_0})
      for (const Shape& s : {Shape{5, 11, 32}, Shape{9, 21, 96}, Shape{3, 4, 4160}, Shape{2, 3, 32800}})
        check_quant_linear(isa, t, s, seed++);
}

TEST(QuantLinearTest, BitIdenticalForOneAndTwoThreads) {
  for (Isa isa : block_isas())
    for (DType t : kTypes)
      for (const Shape& s : {Shape{17, 70, 512}, Shape{130, 9, 768}, Shape{8, 260, 4608}}) {
        Rng rng(uint64_t(s.M + s.N + s.K));
        const QuantWeight w = make_quant_weight(rng, t, s.N, s.K);
        const std::vector<float> x = random_vector(rng, s.M * s.K);
        const PackedWeight pw = PackedWeight::pack(w.view(), isa);
        std::vector<float> y1(size_t(s.M * s.N)), y2(size_t(s.M * s.N));
        set_num_threads(1);
        linear(y1.data(), x.data(), pw, nullptr, s.M);
        set_num_threads(2);
        linear(y2.data(), x.data(), pw, nullptr, s.M);
        set_num_threads(0);
        ASSERT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)))
            << isa_name(isa) << " " << dtype_name(t) << " M=" << s.M;
      }
}

TEST(QuantLinearTest, InPlaceLayoutsKeepTheBytesWherePanelsCopyThem) {
  Rng rng(5);
  for (Isa isa : block_isas())
    for (DType t : kTypes) {
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " " << dtype_name(t));
      QuantWeight w = make_quant_weight(rng, t, 40, 512);
      const PackedWeight pw = PackedWeight::pack(w.view(), isa);
      EXPECT_EQ(pw.dtype(), t);
      EXPECT_EQ(pw.rows(), 40);
      EXPECT_EQ(pw.cols(), 512);
      if (pw.layout() != PackedWeight::Layout::VnniPanels) {
        EXPECT_EQ(pw.data(), static_cast<const void*>(w.bytes.data()));
        EXPECT_EQ(pw.bytes(), w.bytes.size());
        continue;
      }
      // 3 panels of 16 rows (the last one 8 rows short): within 6% of the stored bytes per row (Q6_K,
      // a byte per quant: 32%), plus the pad.
      EXPECT_NE(pw.data(), static_cast<const void*>(w.bytes.data()));
      EXPECT_GE(pw.bytes(), w.bytes.size() / 40 * 48);
      const size_t growth = t == DType::Q6_K ? 132 : 106;
      EXPECT_LE(pw.bytes(), w.bytes.size() / 40 * 48 * growth / 100 + 3 * 64);
      // The copy owns its data: the source may go away.
      const std::vector<float> x = random_vector(rng, 3 * 512);
      std::vector<float> before(3 * 40), after(3 * 40);
      linear(before.data(), x.data(), pw, nullptr, 3);
      std::fill(w.bytes.begin(), w.bytes.end(), uint8_t(0x5A));
      linear(after.data(), x.data(), pw, nullptr, 3);
      EXPECT_EQ(before, after);
    }
}

TEST(QuantLinearTest, PrecisionDoesNotApply) {
  Rng rng(6);
  const QuantWeight w = make_quant_weight(rng, DType::Q4_K, 10, 512);
  const std::vector<float> x = random_vector(rng, 4 * 512);
  const PackedWeight pw = PackedWeight::pack(w.view());
  std::vector<float> a(40), b(40);
  linear(a.data(), x.data(), pw, nullptr, 4, Precision::Exact);
  linear(b.data(), x.data(), pw, nullptr, 4, Precision::Fast);
  EXPECT_EQ(a, b);
}

TEST(QuantLinearTest, RowsOfPartialBlocksAreRejected) {
  const std::vector<uint8_t> data(4096);
  try {
    PackedWeight::pack(TensorView{DType::Q4_K, {2, 300}, data.data()});
    FAIL() << "expected dc::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not whole blocks of 256"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PackedWeight::pack(TensorView{DType::Q8_0, {2, 48}, data.data()}), Error);
  EXPECT_THROW(PackedWeight::pack(TensorView{DType::Q6_K, {512}, data.data()}), Error);
}

}  // namespace
}  // namespace dc::kernels

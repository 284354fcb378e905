// kernels::linear on every ISA this CPU runs, against ref::linear (double accumulation), for F32, F16 and
// BF16 weights and ragged shapes (M, N, K not multiples of the register or cache blocks, odd K).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/isa_env.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels {
namespace {

using testing::IsaGuard;
using testing::make_weight;
using testing::random_vector;
using testing::runnable_isas;

struct Shape {
  int64_t M, N, K;
};

// Compares linear() on `isa` with the reference. The AVX512-BF16 path at fast precision rounds x to bf16
// first, so its oracle is the reference on bf16-rounded x; at exact precision (and on every other path) the
// oracle is the reference on x itself. Then only fp32 summation order differs. Bound: 1e-5 of
// sum|x w| + |b|.
void check_linear(Isa isa, DType dtype, Shape s, bool with_bias, uint64_t seed,
                  Precision precision = Precision::Exact) {
  SCOPED_TRACE(::testing::Message() << isa_name(isa) << " " << dtype_name(dtype) << " M=" << s.M
                                    << " N=" << s.N << " K=" << s.K << (with_bias ? " bias" : "")
                                    << (precision == Precision::Fast ? " fast" : " exact"));
  Rng rng(seed);
  const auto w = make_weight(rng, dtype, s.N, s.K);
  const int64_t ldx = s.K + 3, ldy = s.N + 5;  // strided rows; the gaps must stay untouched
  std::vector<float> x = random_vector(rng, s.M * ldx);
  const std::vector<float> bias = random_vector(rng, s.N);
  const PackedWeight pw = PackedWeight::pack(w.view(s.N, s.K), isa);
  ASSERT_EQ(pw.rows(), s.N);
  ASSERT_EQ(pw.cols(), s.K);
  ASSERT_EQ(pw.dtype(), dtype);
  const bool bf16_acts = pw.layout() == PackedWeight::Layout::Avx512Bf16 && precision == Precision::Fast;

  std::vector<float> y(size_t(s.M * ldy), 7.0f);
  linear(y.data(), ldy, x.data(), ldx, pw, with_bias ? bias.data() : nullptr, s.M, precision);

  std::vector<float> xr = x;
  if (bf16_acts)
    for (float& f : xr) f = bf16_to_f32(f32_to_bf16(f));
  std::vector<float> want(size_t(s.M * ldy), 7.0f);
  const TensorView wf{DType::F32, {s.N, s.K}, w.f.data()};
  ref::linear(want.data(), ldy, xr.data(), ldx, wf, with_bias ? bias.data() : nullptr, s.M);
  for (int64_t m = 0; m < s.M; ++m) {
    for (int64_t n = 0; n < ldy; ++n) {
      const float got = y[size_t(m * ldy + n)], ref = want[size_t(m * ldy + n)];
      if (n >= s.N) {
        ASSERT_EQ(got, 7.0f) << "wrote past N at m=" << m << " n=" << n;
        continue;
      }
      double mag = with_bias ? std::fabs(bias[size_t(n)]) : 0.0;
      for (int64_t k = 0; k < s.K; ++k) mag += std::fabs(xr[size_t(m * ldx + k)] * w.f[size_t(n * s.K + k)]);
      ASSERT_NEAR(got, ref, 1e-5 * mag + 1e-7) << "m=" << m << " n=" << n;
    }
  }
}

TEST(LinearTest, MatchesReferenceOnEveryIsaAndDtype) {
  const Shape shapes[] = {{1, 1, 1},     {1, 33, 7},    {3, 17, 2},    {13, 64, 385}, {25, 31, 33},
                          {2, 100, 200}, {40, 45, 449}, {16, 129, 64}, {64, 96, 96}};
  uint64_t seed = 1;
  for (Isa isa : runnable_isas())
    for (DType dt : {DType::F32, DType::F16, DType::BF16})
      for (const Shape& s : shapes)
        for (Precision pr : {Precision::Exact, Precision::Fast}) {
          check_linear(isa, dt, s, (seed & 1) != 0, seed, pr);
          ++seed;
        }
}

TEST(LinearTest, FewRowsManyColumnsAndManyRowsFewColumns) {
  // Tiny M (lm_head on a few masked rows) splits columns; tiny N splits rows between threads.
  uint64_t seed = 100;
  for (Isa isa : runnable_isas())
    for (DType dt : {DType::F32, DType::BF16}) {
      for (Precision pr : {Precision::Exact, Precision::Fast}) {
        check_linear(isa, dt, {1, 1000, 96}, true, seed++, pr);
        check_linear(isa, dt, {5, 777, 130}, false, seed++, pr);
        check_linear(isa, dt, {150, 20, 77}, true, seed++, pr);
      }
    }
}

TEST(LinearTest, EveryRowCountUpTo40) {
  // Every split of M into register tiles (evened-out tile heights, short last tiles).
  uint64_t seed = 200;
  for (Isa isa : runnable_isas()) {
    for (DType dt : {DType::F32, DType::BF16}) {
      for (int64_t M = 1; M <= 40; ++M) {
        for (Precision pr : {Precision::Exact, Precision::Fast}) {
          check_linear(isa, dt, {M, 40, 19}, M % 3 == 0, seed, pr);
          ++seed;
        }
      }
    }
  }
}

TEST(LinearTest, SameBitsForOneAndTwoThreads) {
  Rng rng(7);
  const int64_t M = 37, N = 150, K = 211;
  for (Isa isa : runnable_isas()) {
    for (DType dt : {DType::F32, DType::BF16}) {
      const auto w = make_weight(rng, dt, N, K);
      const auto x = random_vector(rng, M * K);
      const PackedWeight pw = PackedWeight::pack(w.view(N, K), isa);
      std::vector<float> y1(size_t(M * N)), y2(size_t(M * N));
      set_num_threads(1);
      linear(y1.data(), x.data(), pw, nullptr, M);
      set_num_threads(2);
      linear(y2.data(), x.data(), pw, nullptr, M);
      set_num_threads(0);
      EXPECT_EQ(y1, y2) << isa_name(isa) << " " << dtype_name(dt);
    }
  }
}

TEST(LinearTest, ZeroRowsWritesNothing) {
  Rng rng(3);
  const auto w = make_weight(rng, DType::F32, 4, 4);
  const PackedWeight pw = PackedWeight::pack(w.view(4, 4));
  float y = 5.0f;
  linear(&y, nullptr, pw, nullptr, 0);
  EXPECT_EQ(y, 5.0f);
}

TEST(LinearTest, LayoutFollowsIsaAndDtype) {
  Rng rng(4);
  const auto wb = make_weight(rng, DType::BF16, 8, 6);
  const auto wf = make_weight(rng, DType::F32, 8, 6);
  EXPECT_EQ(PackedWeight::pack(wb.view(8, 6), Isa::Scalar).layout(), PackedWeight::Layout::View);
  EXPECT_EQ(PackedWeight::pack(wb.view(8, 6), Isa::Scalar).data(), wb.h.data());  // zero-copy
  if (detected_isa() >= Isa::Avx2) {
    EXPECT_EQ(PackedWeight::pack(wf.view(8, 6), Isa::Avx2).layout(), PackedWeight::Layout::Avx2Panel);
  }
  if (detected_isa() == Isa::Avx512) {
    EXPECT_EQ(PackedWeight::pack(wf.view(8, 6), Isa::Avx512).layout(), PackedWeight::Layout::Avx512F32);
    EXPECT_EQ(PackedWeight::pack(wb.view(8, 6), Isa::Avx512).layout(),
              has_avx512_bf16() ? PackedWeight::Layout::Avx512Bf16 : PackedWeight::Layout::Avx2Panel);
  }
}

TEST(LinearTest, PackRejectsBadTensorsWithOneLine) {
  const float data[4] = {1, 2, 3, 4};
  EXPECT_THROW(PackedWeight::pack(TensorView{DType::F32, {4}, data}), Error);
  EXPECT_THROW(PackedWeight::pack(TensorView{DType::I32, {2, 2}, data}), Error);
  EXPECT_THROW(PackedWeight::pack(TensorView{DType::F32, {0, 2}, data}), Error);
  try {
    PackedWeight::pack(TensorView{DType::I32, {2, 2}, data});
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("I32"), std::string::npos);
  }
}

// /proc/cpuinfo is an oracle independent of the cpuid probing in isa.cpp.
TEST(IsaTest, DispatchMatchesCpuFlags) {
  std::ifstream f("/proc/cpuinfo");
  if (!f) GTEST_SKIP() << "no /proc/cpuinfo";
  std::string line, flags;
  while (std::getline(f, line))
    if (line.rfind("flags", 0) == 0) {
      flags = line + " ";
      break;
    }
  auto has = [&](const char* name) { return flags.find(std::string(" ") + name + " ") != std::string::npos; };
  const bool avx512 = has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq");
  const bool avx2 = has("avx2") && has("fma") && has("f16c");
  const Isa want = avx512 && avx2 ? Isa::Avx512 : avx2 ? Isa::Avx2 : Isa::Scalar;
  EXPECT_EQ(detected_isa(), want);
  EXPECT_EQ(has_avx512_bf16(), want == Isa::Avx512 && has("avx512_bf16"));
  if (!std::getenv("DC_ISA")) {
    EXPECT_EQ(active_isa(), detected_isa());
  }
  IsaGuard guard;
  force_isa(Isa::Scalar);
  EXPECT_EQ(active_isa(), Isa::Scalar);
  EXPECT_STREQ(isa_name(Isa::Avx512), "avx512");
}

TEST(IsaTest, EnvironmentVariableLowersTheIsa) {
  std::string warning;
  EXPECT_EQ(isa_from_env(nullptr, Isa::Avx512, &warning), Isa::Avx512);
  EXPECT_EQ(isa_from_env("", Isa::Avx2, &warning), Isa::Avx2);
  EXPECT_EQ(isa_from_env("scalar", Isa::Avx512, &warning), Isa::Scalar);
  EXPECT_EQ(isa_from_env("avx2", Isa::Avx512, &warning), Isa::Avx2);
  EXPECT_EQ(isa_from_env("avx512", Isa::Avx512, &warning), Isa::Avx512);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(isa_from_env("avx512", Isa::Avx2, &warning), Isa::Avx2);  // never above what the CPU runs
  EXPECT_NE(warning.find("not supported"), std::string::npos);
  warning.clear();
  EXPECT_EQ(isa_from_env("sse9", Isa::Avx2, &warning), Isa::Avx2);
  EXPECT_NE(warning.find("DC_ISA=sse9"), std::string::npos);
  EXPECT_EQ(warning.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace dc::kernels

// The non-GEMM ops on every ISA this CPU runs against the scalar references: RMSNorm, RoPE (bit-exact),
// attention with GQA and validity masks, SwiGLU, softmax, residual add. Ragged sizes exercise vector tails.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels {
namespace {

using testing::IsaGuard;
using testing::random_vector;
using testing::runnable_isas;

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double rel, double abs,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << what << " at " << i;
    ASSERT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + abs) << what << " at " << i;
  }
}

TEST(OpsTest, RmsnormMatchesReference) {
  IsaGuard guard;
  Rng rng(11);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t C : {1, 5, 17, 64, 899}) {
      for (DType dt : {DType::F32, DType::BF16, DType::F16}) {
        const int64_t M = 7;
        const auto x = random_vector(rng, M * C, 3.0f);
        auto g = random_vector(rng, C);
        std::vector<uint16_t> gh(g.size());
        for (size_t i = 0; i < g.size(); ++i) gh[i] = dt == DType::F16 ? f32_to_f16(g[i]) : f32_to_bf16(g[i]);
        const TensorView gv{dt, {C}, dt == DType::F32 ? static_cast<const void*>(g.data()) : gh.data()};
        std::vector<float> y(x.size()), want(x.size());
        rmsnorm(y.data(), x.data(), gv, M, C, 1e-6f);
        ref::rmsnorm(want.data(), x.data(), gv, M, C, 1e-6f);
        SCOPED_TRACE(::testing::Message() << isa_name(isa) << " C=" << C << " " << dtype_name(dt));
        expect_close(y, want, 2e-6, 1e-7, "rmsnorm");
        std::vector<float> inplace = x;  // y may alias x
        rmsnorm(inplace.data(), inplace.data(), gv, M, C, 1e-6f);
        EXPECT_EQ(inplace, y);
      }
    }
  }
}

TEST(OpsTest, RopeIsBitExact) {
  IsaGuard guard;
  Rng rng(12);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t D : {2, 6, 34, 64, 128}) {
      const int64_t M = 9, H = 3;
      std::vector<int32_t> pos(static_cast<size_t>(M));
      for (int64_t i = 0; i < M; ++i) pos[size_t(i)] = int32_t(i * 517 % 4099);
      const auto x = random_vector(rng, M * H * D);
      auto got = x, want = x;
      rope(got.data(), pos.data(), M, H, D, 1e6);
      ref::rope(want.data(), pos.data(), M, H, D, 1e6);
      EXPECT_EQ(got, want) << isa_name(isa) << " D=" << D;
    }
    // Negative and huge positions bypass the cached table; a second theta must not reuse the first table.
    const std::vector<int32_t> odd_pos = {-3, 2000000, 5};
    for (double theta : {1e4, 1e6}) {
      const auto x = random_vector(rng, 3 * 2 * 8);
      auto got = x, want = x;
      rope(got.data(), odd_pos.data(), 3, 2, 8, theta);
      ref::rope(want.data(), odd_pos.data(), 3, 2, 8, theta);
      EXPECT_EQ(got, want) << isa_name(isa) << " theta=" << theta;
      got = want = x;
      rope(got.data(), odd_pos.data() + 2, 1, 2, 8, theta);
      ref::rope(want.data(), odd_pos.data() + 2, 1, 2, 8, theta);
      EXPECT_EQ(got, want) << isa_name(isa) << " theta=" << theta;
    }
  }
}

struct AttnCase {
  int64_t Nq, Nk, H, Hkv, D;
  int key_mask;     // 0 none, 1 random, 2 all excluded, 3 only the last key
  bool query_mask;  // random invalid query rows
};

TEST(OpsTest, AttentionMatchesReference) {
  IsaGuard guard;
  const AttnCase cases[] = {{1, 1, 1, 1, 8, 0, false},      {7, 33, 2, 1, 20, 1, true},
                            {33, 7, 4, 2, 64, 0, true},     {100, 100, 14, 2, 64, 1, true},
                            {50, 70, 4, 4, 128, 3, false},  {20, 20, 2, 2, 16, 2, true},
                            {64, 320, 14, 2, 64, 1, false}, {5, 300, 3, 1, 6, 0, false}};
  uint64_t seed = 20;
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (const AttnCase& c : cases) {
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " Nq=" << c.Nq << " Nk=" << c.Nk << " H=" << c.H
                                        << " Hkv=" << c.Hkv << " D=" << c.D << " mask=" << c.key_mask);
      Rng rng(seed++);
      const auto q = random_vector(rng, c.Nq * c.H * c.D, 2.0f);
      const auto k = random_vector(rng, c.Nk * c.Hkv * c.D, 2.0f);
      const auto v = random_vector(rng, c.Nk * c.Hkv * c.D);
      std::vector<uint8_t> kv(static_cast<size_t>(c.Nk), 1), qv(static_cast<size_t>(c.Nq), 1);
      for (auto& b : kv) b = c.key_mask == 1 ? uint8_t(rng.uniform() < 0.7f) : c.key_mask == 2 ? 0 : 1;
      if (c.key_mask == 3)
        for (size_t j = 0; j + 1 < kv.size(); ++j) kv[j] = 0;
      if (c.query_mask)
        for (auto& b : qv) b = uint8_t(rng.uniform() < 0.8f);
      const uint8_t* kp = c.key_mask ? kv.data() : nullptr;
      const uint8_t* qp = c.query_mask ? qv.data() : nullptr;
      std::vector<float> got(q.size(), NAN), want(q.size());
      attention(got.data(), q.data(), k.data(), v.data(), c.Nq, c.Nk, c.H, c.Hkv, c.D, kp, qp);
      ref::attention(want.data(), q.data(), k.data(), v.data(), c.Nq, c.Nk, c.H, c.Hkv, c.D, kp, qp);
      expect_close(got, want, 1e-5, 1e-5, "attention");
      for (int64_t i = 0; i < c.Nq; ++i) {
        if ((qp && !qp[i]) || c.key_mask == 2) {
          for (int64_t e = 0; e < c.H * c.D; ++e) ASSERT_EQ(got[size_t(i * c.H * c.D + e)], 0.0f);
        }
      }
    }
  }
}

TEST(OpsTest, AttentionSameBitsForOneAndTwoThreads) {
  IsaGuard guard;
  Rng rng(30);
  const int64_t Nq = 61, Nk = 61, H = 4, Hkv = 2, D = 32;
  const auto q = random_vector(rng, Nq * H * D), k = random_vector(rng, Nk * Hkv * D),
             v = random_vector(rng, Nk * Hkv * D);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    std::vector<float> a(q.size()), b(q.size());
    set_num_threads(1);
    attention(a.data(), q.data(), k.data(), v.data(), Nq, Nk, H, Hkv, D, nullptr, nullptr);
    set_num_threads(2);
    attention(b.data(), q.data(), k.data(), v.data(), Nq, Nk, H, Hkv, D, nullptr, nullptr);
    set_num_threads(0);
    EXPECT_EQ(a, b) << isa_name(isa);
  }
}

TEST(OpsTest, SwigluMatchesReference) {
  IsaGuard guard;
  Rng rng(13);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t n : {1, 15, 16, 17, 100003}) {
      auto g = random_vector(rng, n, 12.0f);
      const auto u = random_vector(rng, n, 2.0f);
      g[0] = n > 1 ? -100.0f : 100.0f;  // saturated sigmoid at both ends
      if (n > 2) g[1] = 100.0f;
      std::vector<float> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
      swiglu(got.data(), g.data(), u.data(), n);
      ref::swiglu(want.data(), g.data(), u.data(), n);
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " n=" << n);
      expect_close(got, want, 3e-6, 1e-30, "swiglu");
      auto alias = g;  // out may alias gate
      swiglu(alias.data(), alias.data(), u.data(), n);
      EXPECT_EQ(alias, got);
    }
  }
}

TEST(OpsTest, SoftmaxMatchesReference) {
  IsaGuard guard;
  Rng rng(14);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t N : {1, 3, 17, 1000}) {
      const int64_t M = 5;
      auto x = random_vector(rng, M * N, 20.0f);
      x[0] = 1000.0f;                                                   // large values must not overflow
      for (int64_t i = 1; i < N; i += 2) x[size_t(N + i)] = -INFINITY;  // excluded entries give exact zeros
      auto want = x;
      softmax_rows(x.data(), M, N);
      ref::softmax_rows(want.data(), M, N);
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " N=" << N);
      expect_close(x, want, 3e-6, 1e-9, "softmax");
      for (int64_t i = 1; i < N; i += 2) EXPECT_EQ(x[size_t(N + i)], 0.0f);
    }
  }
}

TEST(OpsTest, SerialSoftmaxRowMatchesReference) {
  // exp_shifted_row then scale_and_stats by 1 / sum: the sampler's softmax.
  IsaGuard guard;
  Rng rng(16);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t N : {1, 5, 33, 151936}) {
      auto x = random_vector(rng, N, 20.0f);
      x[0] = 1000.0f;
      if (N > 2) x[1] = -3.4028235e38f;  // the sampler's "removed" logit gives an exact zero
      auto want = x;
      const float sum = exp_shifted_row(x.data(), N);
      scale_and_stats(x.data(), N, 1.0f / sum, nullptr);
      ref::softmax_rows(want.data(), 1, N);
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " N=" << N);
      expect_close(x, want, 3e-6, 1e-9, "exp_shifted_row");
      if (N > 2) {
        EXPECT_EQ(x[1], 0.0f);
      }
    }
  }
}

TEST(OpsTest, SamplerRowPrimitivesMatchReference) {
  // Ragged lengths (vector tails), ties, a removed logit; every ISA against the scalar loops.
  IsaGuard guard;
  Rng rng(18);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t N : {1, 2, 17, 255, 256, 257, 1000, 151936}) {
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " N=" << N);
      auto x = random_vector(rng, N, 6.0f);
      if (N > 4) {
        x[3] = x[2];  // a tie
        x[4] = -3.4028235e38f;
      }
      // divide_and_range: a true division (bit-equal), then the range.
      for (float divisor : {0.0f, 0.7f}) {
        auto got = x, want = x;
        const RowRange g = divide_and_range(got.data(), N, divisor);
        const RowRange w = ref::divide_and_range(want.data(), N, divisor);
        EXPECT_EQ(got, want);
        EXPECT_EQ(g.max, w.max);
        EXPECT_EQ(g.min, w.min);
      }
      const float mx = *std::max_element(x.begin(), x.end());
      const double want_sum = ref::exp_sum_f64(x.data(), N, mx);
      EXPECT_NEAR(exp_sum_f64(x.data(), N, mx), want_sum, 1e-6 * want_sum);
      // keep_and_sum at a threshold with ties cut after an index.
      auto e = x;
      exp_shifted_row(e.data(), N);
      const float t = x[size_t(N / 2)];
      for (int64_t last_tied : {int64_t(-1), N / 2, int64_t(1) << 40}) {
        auto got = e, want = e;
        const float gs = keep_and_sum(got.data(), x.data(), N, t, last_tied);
        const float ws = ref::keep_and_sum(want.data(), x.data(), N, t, last_tied);
        EXPECT_EQ(got, want);
        EXPECT_NEAR(gs, ws, 1e-5 * ws + 1e-30);
      }
      // scale_and_stats: the products bit-equal, the statistics exact, the sums in double.
      auto got = e, want = e;
      std::vector<double> gb(size_t((N + kProbBlock - 1) / kProbBlock)), wb(gb.size());
      const ProbStats g = scale_and_stats(got.data(), N, 0.37f, gb.data());
      const ProbStats w = ref::scale_and_stats(want.data(), N, 0.37f, wb.data());
      EXPECT_EQ(got, want);
      EXPECT_EQ(g.top1, w.top1);
      EXPECT_EQ(g.argmax, w.argmax);
      EXPECT_EQ(g.top2, w.top2);
      EXPECT_NEAR(g.total, w.total, 1e-12 * w.total);
      for (size_t b = 0; b < gb.size(); ++b) EXPECT_NEAR(gb[b], wb[b], 1e-12 * wb[b] + 1e-300);
    }
    // bucket_histogram / indices_equal: the same buckets as the scalar loop (exactly), the same masses.
    for (int64_t N : {1, 15, 16, 33, 151936}) {
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " bucket N=" << N);
      auto x = random_vector(rng, N, 6.0f);
      auto e = x;
      exp_shifted_row(e.data(), N);
      if (N > 3) x[2] = std::numeric_limits<float>::quiet_NaN();  // bucket 0, whatever its mass
      const float lo = -5.0f, scale = 512.0f / 10.0f;
      std::vector<double> gm(1024, 0.0), wm(1024, 0.0);
      std::vector<uint16_t> gi(static_cast<size_t>(N)), wi(static_cast<size_t>(N));
      bucket_histogram(x.data(), e.data(), N, lo, scale, 512, 0.5f, gm.data(), gi.data());
      ref::bucket_histogram(x.data(), e.data(), N, lo, scale, 512, 0.5f, wm.data(), wi.data());
      EXPECT_EQ(gi, wi);
      for (size_t b = 0; b < 512; ++b) EXPECT_NEAR(gm[b] + gm[b + 512], wm[b] + wm[b + 512], 1e-12);
      for (uint16_t value : {uint16_t(0), wi[size_t(N / 2)], uint16_t(511), uint16_t(600)}) {
        std::vector<int32_t> got(static_cast<size_t>(N)), want(static_cast<size_t>(N));
        got.resize(size_t(indices_equal(gi.data(), N, value, got.data())));
        want.resize(size_t(ref::indices_equal(wi.data(), N, value, want.data())));
        EXPECT_EQ(got, want);
      }
    }
    // Ties for the maximum: the first index wins; a two-way tie makes top2 == top1.
    std::vector<float> p = {0.1f, 0.4f, 0.2f, 0.4f, 0.4f};
    const ProbStats st = scale_and_stats(p.data(), 5, 1.0f, nullptr);
    EXPECT_EQ(st.argmax, 1);
    EXPECT_EQ(st.top2, st.top1);
  }
}

TEST(OpsTest, SumPLogPMatchesReference) {
  // Rows of probabilities: flat, peaked (exact zeros included) and one-hot, of ragged lengths.
  IsaGuard guard;
  Rng rng(17);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t N : {1, 7, 33, 1000, 151936}) {
      for (float spread : {0.01f, 20.0f}) {
        auto p = random_vector(rng, N, spread);
        if (N > 2) p[1] = -3.4028235e38f;  // a removed logit: probability exactly 0
        ref::softmax_rows(p.data(), 1, N);
        const double want = ref::sum_p_log_p(p.data(), N, 1e-10f);
        const double got = sum_p_log_p(p.data(), N, 1e-10f);
        SCOPED_TRACE(::testing::Message() << isa_name(isa) << " N=" << N << " spread=" << spread);
        EXPECT_NEAR(got, want, 1e-6 * std::fabs(want) + 1e-9);
      }
      std::vector<float> one_hot(size_t(N), 0.0f);
      one_hot[size_t(N / 2)] = 1.0f;
      EXPECT_NEAR(sum_p_log_p(one_hot.data(), N, 1e-10f), ref::sum_p_log_p(one_hot.data(), N, 1e-10f), 1e-9);
    }
  }
}

TEST(OpsTest, AddInplaceIsExact) {
  IsaGuard guard;
  Rng rng(15);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t n : {1, 9, 40000}) {
      auto y = random_vector(rng, n);
      const auto x = random_vector(rng, n);
      auto want = y;
      add_inplace(y.data(), x.data(), n);
      ref::add_inplace(want.data(), x.data(), n);
      EXPECT_EQ(y, want) << isa_name(isa) << " n=" << n;
    }
  }
}

}  // namespace
}  // namespace dc::kernels

// The non-GEMM ops on every ISA this CPU runs against the scalar references: RMSNorm, RoPE (bit-exact),
// attention with GQA and validity masks, SwiGLU, softmax, residual add. Ragged sizes exercise vector tails.
#include <gtest/gtest.h>

#include <cmath>
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
  IsaGuard guard;
  Rng rng(16);
  for (Isa isa : runnable_isas()) {
    force_isa(isa);
    for (int64_t N : {1, 5, 33, 151936}) {
      auto x = random_vector(rng, N, 20.0f);
      x[0] = 1000.0f;
      if (N > 2) x[1] = -3.4028235e38f;  // the sampler's "removed" logit gives an exact zero
      auto want = x;
      softmax_row_serial(x.data(), N);
      ref::softmax_rows(want.data(), 1, N);
      SCOPED_TRACE(::testing::Message() << isa_name(isa) << " N=" << N);
      expect_close(x, want, 3e-6, 1e-9, "softmax_row_serial");
      if (N > 2) {
        EXPECT_EQ(x[1], 0.0f);
      }
    }
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

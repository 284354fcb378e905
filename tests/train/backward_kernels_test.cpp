// Every backward kernel (kernels/backward.h) against central finite differences of the double-precision
// reference forward (kernels/ref/backward_ref.h): L = sum(g * y) for a random g, so dL/dy = g is fed to the
// fp32 backward and dL/dx_i is estimated as (L(x + h e_i) - L(x - h e_i)) / 2h in double.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.h"
#include "kernels/backward.h"
#include "kernels/ref/backward_ref.h"

namespace dc {
namespace {

namespace k = kernels;

std::vector<float> randn(int64_t n, Rng& r, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = (r.uniform() * 2.f - 1.f) * scale;
  return v;
}
std::vector<double> to_d(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

double dotg(const std::vector<double>& y, const std::vector<float>& g) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * g[i];
  return s;
}

// Checks analytic[i] against the central difference of loss(x) in every coordinate of x (double).
void expect_fd(const std::vector<float>& analytic, std::vector<double> x,
               const std::function<double(const std::vector<double>&)>& loss, const char* what) {
  ASSERT_EQ(analytic.size(), x.size());
  const double h = 1e-5;
  for (size_t i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double lp = loss(x);
    x[i] = x0 - h;
    const double lm = loss(x);
    x[i] = x0;
    const double fd = (lp - lm) / (2 * h);
    EXPECT_NEAR(analytic[i], fd, 2e-4 + 2e-4 * std::fabs(fd)) << what << " element " << i;
  }
}

TEST(BackwardKernels, LinearMatchesFiniteDifferences) {
  Rng r(1);
  const int64_t M = 5, N = 7, K = 9;
  auto x = randn(M * K, r), W = randn(N * K, r), b = randn(N, r), g = randn(M * N, r);
  std::vector<float> dx(size_t(M * K)), dW(size_t(N * K), 0.f), db(size_t(N), 0.f);
  k::linear_backward(dx.data(), dW.data(), db.data(), g.data(), x.data(), W.data(), M, N, K);
  std::vector<double> y(size_t(M * N));
  const auto Wd = to_d(W), xd = to_d(x), bd = to_d(b);
  expect_fd(
      dx, xd,
      [&](const std::vector<double>& v) {
        k::ref::linear_f64(y.data(), v.data(), Wd.data(), bd.data(), M, N, K);
        return dotg(y, g);
      },
      "dx");
  expect_fd(
      dW, Wd,
      [&](const std::vector<double>& v) {
        k::ref::linear_f64(y.data(), xd.data(), v.data(), bd.data(), M, N, K);
        return dotg(y, g);
      },
      "dW");
  expect_fd(
      db, bd,
      [&](const std::vector<double>& v) {
        k::ref::linear_f64(y.data(), xd.data(), Wd.data(), v.data(), M, N, K);
        return dotg(y, g);
      },
      "db");
  // Weight gradients accumulate.
  std::vector<float> dW2 = dW;
  k::linear_backward(nullptr, dW2.data(), nullptr, g.data(), x.data(), W.data(), M, N, K);
  for (size_t i = 0; i < dW.size(); ++i) EXPECT_NEAR(dW2[i], 2 * dW[i], 1e-5f);
}

TEST(BackwardKernels, LinearF32ForwardMatchesReference) {
  Rng r(2);
  const int64_t M = 33, N = 40, K = 24;
  auto x = randn(M * K, r), W = randn(N * K, r), b = randn(N, r);
  std::vector<float> y(size_t(M * N));
  k::linear_f32(y.data(), x.data(), W.data(), b.data(), M, N, K);
  std::vector<double> yd(size_t(M * N));
  k::ref::linear_f64(yd.data(), to_d(x).data(), to_d(W).data(), to_d(b).data(), M, N, K);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], yd[i], 1e-4);
}

TEST(BackwardKernels, RmsnormMatchesFiniteDifferences) {
  Rng r(3);
  const int64_t M = 4, C = 12;
  const float eps = 1e-6f;
  auto x = randn(M * C, r), w = randn(C, r), g = randn(M * C, r);
  std::vector<float> dx(size_t(M * C)), dw(size_t(C), 0.f);
  k::rmsnorm_backward(dx.data(), dw.data(), g.data(), x.data(), w.data(), M, C, eps);
  std::vector<double> y(size_t(M * C));
  const auto xd = to_d(x), wd = to_d(w);
  expect_fd(
      dx, xd,
      [&](const std::vector<double>& v) {
        k::ref::rmsnorm_f64(y.data(), v.data(), wd.data(), M, C, eps);
        return dotg(y, g);
      },
      "dx");
  expect_fd(
      dw, wd,
      [&](const std::vector<double>& v) {
        k::ref::rmsnorm_f64(y.data(), xd.data(), v.data(), M, C, eps);
        return dotg(y, g);
      },
      "dw");
}

TEST(BackwardKernels, RopeMatchesFiniteDifferences) {
  Rng r(4);
  const int64_t M = 6, H = 3, D = 8;
  const std::vector<int32_t> pos = {0, 1, 5, 17, 300, 2};
  auto x = randn(M * H * D, r), g = randn(M * H * D, r);
  std::vector<float> dx = g;
  k::rope_backward(dx.data(), pos.data(), M, H, D, 10000.0);
  expect_fd(
      dx, to_d(x),
      [&](const std::vector<double>& v) {
        std::vector<double> y = v;
        k::ref::rope_f64(y.data(), pos.data(), M, H, D, 10000.0);
        return dotg(y, g);
      },
      "dx");
}

TEST(BackwardKernels, SwigluMatchesFiniteDifferences) {
  Rng r(5);
  const int64_t n = 40;
  auto gate = randn(n, r, 4.f), up = randn(n, r), g = randn(n, r);
  std::vector<float> dgate(static_cast<size_t>(n)), dup(static_cast<size_t>(n));
  k::swiglu_backward(dgate.data(), dup.data(), g.data(), gate.data(), up.data(), n);
  std::vector<double> y(static_cast<size_t>(n));
  const auto gd = to_d(gate), ud = to_d(up);
  expect_fd(
      dgate, gd,
      [&](const std::vector<double>& v) {
        k::ref::swiglu_f64(y.data(), v.data(), ud.data(), n);
        return dotg(y, g);
      },
      "dgate");
  expect_fd(
      dup, ud,
      [&](const std::vector<double>& v) {
        k::ref::swiglu_f64(y.data(), gd.data(), v.data(), n);
        return dotg(y, g);
      },
      "dup");
}

void check_attention(const uint8_t* allow, int64_t N, uint64_t seed) {
  Rng r(seed);
  const int64_t H = 4, Hkv = 2, D = 6;
  auto q = randn(N * H * D, r, 2.f), kk = randn(N * Hkv * D, r, 2.f), v = randn(N * Hkv * D, r),
       g = randn(N * H * D, r);
  std::vector<float> out(size_t(N * H * D)), lse(size_t(H * N));
  k::attention_train(out.data(), lse.data(), q.data(), kk.data(), v.data(), N, H, Hkv, D, allow);
  std::vector<double> od(size_t(N * H * D));
  k::ref::attention_f64(od.data(), to_d(q).data(), to_d(kk).data(), to_d(v).data(), N, H, Hkv, D, allow);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], od[i], 1e-5) << "forward " << i;
  std::vector<float> dq(q.size()), dk(kk.size()), dv(v.size());
  k::attention_train_backward(dq.data(), dk.data(), dv.data(), g.data(), q.data(), kk.data(), v.data(),
                              out.data(), lse.data(), N, H, Hkv, D, allow);
  const auto qd = to_d(q), kd = to_d(kk), vd = to_d(v);
  std::vector<double> y(size_t(N * H * D));
  expect_fd(
      dq, qd,
      [&](const std::vector<double>& x) {
        k::ref::attention_f64(y.data(), x.data(), kd.data(), vd.data(), N, H, Hkv, D, allow);
        return dotg(y, g);
      },
      "dq");
  expect_fd(
      dk, kd,
      [&](const std::vector<double>& x) {
        k::ref::attention_f64(y.data(), qd.data(), x.data(), vd.data(), N, H, Hkv, D, allow);
        return dotg(y, g);
      },
      "dk");
  expect_fd(
      dv, vd,
      [&](const std::vector<double>& x) {
        k::ref::attention_f64(y.data(), qd.data(), kd.data(), x.data(), N, H, Hkv, D, allow);
        return dotg(y, g);
      },
      "dv");
}

TEST(BackwardKernels, AttentionFullMatchesFiniteDifferences) {
  check_attention(nullptr, 19, 6);
}

TEST(BackwardKernels, AttentionMaskedMatchesFiniteDifferences) {
  // A partial causal mask (some pairs above the diagonal allowed) and one query row with no key at all.
  const int64_t N = 18;
  std::vector<uint8_t> allow(size_t(N * N));
  Rng r(7);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < N; ++j) allow[size_t(i * N + j)] = j <= i || r.uniform() < 0.3f;
  for (int64_t j = 0; j < N; ++j) allow[size_t(3 * N + j)] = 0;
  check_attention(allow.data(), N, 8);
}

TEST(BackwardKernels, CrossEntropyMatchesFiniteDifferences) {
  Rng r(9);
  const int64_t R = 3, V = 11;
  auto logits = randn(R * V, r, 3.f);
  const std::vector<int32_t> target = {4, 0, 10};
  const std::vector<float> weight = {0.5f, 2.0f, 1.25f};
  std::vector<float> d = logits;
  std::vector<double> loss(static_cast<size_t>(R));
  k::cross_entropy_backward(d.data(), loss.data(), target.data(), weight.data(), R, V);
  double total = 0;
  for (int64_t i = 0; i < R; ++i) total += weight[size_t(i)] * loss[size_t(i)];
  const auto ld = to_d(logits);
  EXPECT_NEAR(total, k::ref::cross_entropy_f64(ld.data(), target.data(), weight.data(), R, V), 1e-9);
  expect_fd(
      d, ld,
      [&](const std::vector<double>& x) {
        return k::ref::cross_entropy_f64(x.data(), target.data(), weight.data(), R, V);
      },
      "dlogits");
}

}  // namespace
}  // namespace dc

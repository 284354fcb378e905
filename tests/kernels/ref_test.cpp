// The scalar references against hand-computed values (they are the oracle for every other kernel test).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/ref/ref_ops.h"

namespace dc::kernels {
namespace {

TEST(RefTest, LinearHandComputed) {
  // W [3, 2] = [[1, 2], [3, 4], [5, 6]], x [2, 2] = [[1, -1], [0.5, 2]], b = [0.5, 0, -1].
  const std::vector<float> w = {1, 2, 3, 4, 5, 6};
  const std::vector<float> x = {1, -1, 0.5f, 2};
  const std::vector<float> b = {0.5f, 0, -1};
  std::vector<float> y(6);
  TensorView wv{DType::F32, {3, 2}, w.data()};
  ref::linear(y.data(), 3, x.data(), 2, wv, b.data(), 2);
  const std::vector<float> want = {-0.5f, -1, -2, 5, 9.5f, 13.5f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[size_t(i)], want[size_t(i)]) << i;
  // BF16 storage of the same (exactly representable) values gives the same result.
  std::vector<uint16_t> wb(6);
  for (int i = 0; i < 6; ++i) wb[size_t(i)] = f32_to_bf16(w[size_t(i)]);
  TensorView wbv{DType::BF16, {3, 2}, wb.data()};
  ref::linear(y.data(), 3, x.data(), 2, wbv, b.data(), 2);
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[size_t(i)], want[size_t(i)]) << i;
}

TEST(RefTest, RmsnormHandComputed) {
  // x = [3, 4]: mean(x^2) = 12.5, rsqrt = 0.28284..; weight [1, 2].
  const std::vector<float> x = {3, 4};
  const std::vector<float> g = {1, 2};
  std::vector<float> y(2);
  ref::rmsnorm(y.data(), x.data(), TensorView{DType::F32, {2}, g.data()}, 1, 2, 0.0f);
  EXPECT_NEAR(y[0], 3 / std::sqrt(12.5), 1e-6);
  EXPECT_NEAR(y[1], 2 * 4 / std::sqrt(12.5), 1e-6);
}

TEST(RefTest, RopeRotatesPairs) {
  // D = 4: pairs (0, 2) at frequency 1 and (1, 3) at frequency theta^(-1/2) = 0.01 for theta = 1e4.
  std::vector<float> x = {1, 1, 0, 0};
  const int32_t pos = 2;
  ref::rope(x.data(), &pos, 1, 1, 4, 10000.0);
  EXPECT_NEAR(x[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(x[2], std::sin(2.0), 1e-6);
  EXPECT_NEAR(x[1], std::cos(0.02), 1e-6);
  EXPECT_NEAR(x[3], std::sin(0.02), 1e-6);
}

TEST(RefTest, AttentionHandComputed) {
  // One head, D = 1, two keys with scores 0 and log(3) (q = 1, k = [0, log 3]): weights 1/4, 3/4.
  const float q = 1.0f;
  const std::vector<float> k = {0.0f, std::log(3.0f)};
  const std::vector<float> v = {2.0f, 6.0f};
  float out = -1;
  ref::attention(&out, &q, k.data(), v.data(), 1, 2, 1, 1, 1, nullptr, nullptr);
  EXPECT_NEAR(out, 0.25 * 2 + 0.75 * 6, 1e-6);
  // Excluding the second key leaves v[0]; excluding both (or the query) gives zero.
  const uint8_t only_first[2] = {1, 0}, none[2] = {0, 0};
  ref::attention(&out, &q, k.data(), v.data(), 1, 2, 1, 1, 1, only_first, nullptr);
  EXPECT_FLOAT_EQ(out, 2.0f);
  ref::attention(&out, &q, k.data(), v.data(), 1, 2, 1, 1, 1, none, nullptr);
  EXPECT_EQ(out, 0.0f);
  const uint8_t qmask = 0;
  ref::attention(&out, &q, k.data(), v.data(), 1, 2, 1, 1, 1, nullptr, &qmask);
  EXPECT_EQ(out, 0.0f);
}

TEST(RefTest, SwigluSoftmaxAdd) {
  const std::vector<float> g = {0.0f, 1.0f, -2.0f}, u = {5.0f, 2.0f, 1.0f};
  std::vector<float> o(3);
  ref::swiglu(o.data(), g.data(), u.data(), 3);
  EXPECT_FLOAT_EQ(o[0], 0.0f);
  EXPECT_NEAR(o[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(o[2], -2.0 / (1.0 + std::exp(2.0)), 1e-6);
  std::vector<float> s = {0.0f, std::log(3.0f), 1000.0f, 1000.0f};
  ref::softmax_rows(s.data(), 2, 2);
  EXPECT_NEAR(s[0], 0.25, 1e-6);
  EXPECT_NEAR(s[1], 0.75, 1e-6);
  EXPECT_NEAR(s[2], 0.5, 1e-6);
  std::vector<float> a = {1, 2}, b = {0.5f, -4};
  ref::add_inplace(a.data(), b.data(), 2);
  EXPECT_FLOAT_EQ(a[0], 1.5f);
  EXPECT_FLOAT_EQ(a[1], -2.0f);
}

}  // namespace
}  // namespace dc::kernels

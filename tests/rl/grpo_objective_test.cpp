// The GRPO objective in double: advantages by hand, the loss by hand, and dLoss/dlogp against central
// finite differences of the loss itself, with and without clipping and KL.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "rl/grpo_objective.h"

namespace dc::rl {
namespace {

TEST(Advantages, MeanAndLeaveOneOutByHand) {
  const std::vector<double> r = {1.0, 2.0, 3.0, 6.0};  // mean 3
  auto a = group_advantages(r, AdvantageMode::Mean, false);
  EXPECT_DOUBLE_EQ(a[0], -2.0);
  EXPECT_DOUBLE_EQ(a[3], 3.0);
  auto l = group_advantages(r, AdvantageMode::LeaveOneOut, false);
  EXPECT_DOUBLE_EQ(l[0], 1.0 - 11.0 / 3);  // others: 2, 3, 6
  EXPECT_DOUBLE_EQ(l[3], 6.0 - 2.0);
  // std scaling: sample std of {1,2,3,6} = sqrt(14/3)
  auto s = group_advantages(r, AdvantageMode::Mean, true);
  EXPECT_NEAR(s[3], 3.0 / (std::sqrt(14.0 / 3) + 1e-4), 1e-12);
  // A flat group has zero advantages; a group of one has none.
  for (double x : group_advantages(std::vector<double>{2.5, 2.5, 2.5}, AdvantageMode::LeaveOneOut, true))
    EXPECT_EQ(x, 0.0);
  EXPECT_EQ(group_advantages(std::vector<double>{4.0}, AdvantageMode::LeaveOneOut, false)[0], 0.0);
  EXPECT_EQ(parse_advantage("leave-one-out"), AdvantageMode::LeaveOneOut);
  EXPECT_THROW(parse_advantage("loo"), Error);
}

TEST(Objective, LossByHand) {
  // One sequence, two tokens, A = 2, eps = 0.2, beta = 0.1.
  //  token 0: logp - old = log 1.5 -> rho 1.5, clipped to 1.2: min(3.0, 2.4) = 2.4 (clipped, no gradient)
  //  token 1: logp - old = log 0.5 -> rho 0.5 (clip 0.8): min(1.0, 1.6) = 1.0
  //  KL(ref - logp = d): exp(d) - d - 1 with d0 = 0.3, d1 = -0.2
  std::vector<std::vector<double>> logp = {{-1.0, -2.0}},
                                   old = {{-1.0 - std::log(1.5), -2.0 - std::log(0.5)}}, ref = {{-0.7, -2.2}};
  ObjectiveOptions o;
  o.clip_eps = 0.2;
  o.beta = 0.1;
  std::vector<double> adv = {2.0};
  ObjectiveResult r = grpo_objective(logp, old, ref, adv, o);
  const double kl0 = std::exp(0.3) - 0.3 - 1, kl1 = std::exp(-0.2) + 0.2 - 1;
  EXPECT_NEAR(r.loss, 0.5 * ((-2.4 + 0.1 * kl0) + (-1.0 + 0.1 * kl1)), 1e-12);
  EXPECT_NEAR(r.kl, 0.5 * (kl0 + kl1), 1e-12);
  EXPECT_DOUBLE_EQ(r.clip_fraction, 0.5);
  EXPECT_NEAR(r.dlogp[0][0], 0.5 * 0.1 * (1 - std::exp(0.3)), 1e-12);
  EXPECT_NEAR(r.dlogp[0][1], 0.5 * (-1.0 + 0.1 * (1 - std::exp(-0.2))), 1e-12);
}

TEST(Objective, GradientMatchesFiniteDifferences) {
  Rng rng(4);
  for (double eps : {0.5, 0.05}) {
    std::vector<std::vector<double>> logp(3), old(3), ref(3);
    for (size_t g = 0; g < 3; ++g) {
      for (size_t k = 0; k < 2 + g; ++k) {
        logp[g].push_back(-3 * rng.uniform_double());
        old[g].push_back(logp[g].back() + 0.6 * (rng.uniform_double() - 0.5));
        ref[g].push_back(logp[g].back() + 0.4 * (rng.uniform_double() - 0.5));
      }
    }
    std::vector<double> adv = {1.0, -0.5, 0.3};
    ObjectiveOptions o;
    o.clip_eps = eps;
    o.beta = 0.04;
    ObjectiveResult r = grpo_objective(logp, old, ref, adv, o);
    const double h = 1e-6;
    for (size_t g = 0; g < 3; ++g) {
      for (size_t k = 0; k < logp[g].size(); ++k) {
        auto plus = logp, minus = logp;
        plus[g][k] += h;
        minus[g][k] -= h;
        const double fd =
            (grpo_objective(plus, old, ref, adv, o).loss - grpo_objective(minus, old, ref, adv, o).loss) /
            (2 * h);
        EXPECT_NEAR(r.dlogp[g][k], fd, 1e-7) << "eps " << eps << " g " << g << " k " << k;
      }
    }
  }
}

TEST(Objective, EmptySequencesAreLeftOut) {
  std::vector<std::vector<double>> logp = {{-1.0}, {}}, old = logp, ref = logp;
  std::vector<double> adv = {1.0, 5.0};
  ObjectiveResult r = grpo_objective(logp, old, ref, adv, {});
  EXPECT_DOUBLE_EQ(r.loss, -1.0);  // rho = 1: -A, averaged over the one sequence with tokens
  EXPECT_EQ(r.tokens, 1);
}

}  // namespace
}  // namespace dc::rl

// AR-ness of commit orders against hand-computed values, a literal (quadratic) implementation of the
// definitions in SPEC §7, exhaustive enumeration of all orders, and Monte Carlo over random orders.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "analysis/arness.h"
#include "core/error.h"
#include "core/rng.h"

namespace dc::analysis {
namespace {

// One commit per step, positions in the given order.
DecodeOrder sequential(int64_t prompt, const std::vector<int64_t>& positions) {
  DecodeOrder o;
  o.prompt_length = prompt;
  o.generated_length = int64_t(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) o.commits.push_back({int64_t(i + 1), positions[i]});
  return o;
}

std::vector<int64_t> iota_positions(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Literal reading of SPEC §7: builds the history list and the masked set explicitly at every event.
Arness literal_arness(const DecodeOrder& o, int max_local, int max_global) {
  std::vector<Commit> c = o.commits;
  std::stable_sort(c.begin(), c.end(), [](const Commit& a, const Commit& b) {
    return a.step != b.step ? a.step < b.step : a.position < b.position;
  });
  std::vector<int64_t> history;
  for (int64_t i = -o.prompt_length; i < 0; ++i) history.push_back(i);
  std::vector<int64_t> masked = iota_positions(o.generated_length);
  Arness a;
  a.local.assign(size_t(max_local), 0);
  a.global.assign(size_t(max_global), 0);
  for (const Commit& e : c) {
    const int64_t p = e.position;
    for (int k = 1; k <= max_local; ++k) {
      bool ok = int64_t(history.size()) >= k;
      for (int j = 1; ok && j <= k; ++j) ok = history[history.size() - size_t(j)] == p - j;
      a.local[size_t(k - 1)] += ok;
    }
    std::vector<int64_t> sorted = masked;
    std::sort(sorted.begin(), sorted.end());
    for (int k = 1; k <= max_global; ++k) {
      const size_t n = std::min(sorted.size(), size_t(k));
      a.global[size_t(k - 1)] +=
          std::find(sorted.begin(), sorted.begin() + long(n), p) != sorted.begin() + long(n);
    }
    history.push_back(p);
    masked.erase(std::find(masked.begin(), masked.end(), p));
  }
  a.events = int64_t(c.size());
  for (double& v : a.local) v /= double(std::max<int64_t>(a.events, 1));
  for (double& v : a.global) v /= double(std::max<int64_t>(a.events, 1));
  return a;
}

void expect_vec(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "k = " << i + 1;
}

TEST(Arness, LeftToRightIsOneForEveryK) {
  const Arness a = compute_arness(sequential(16, iota_positions(40)), 9, 4);
  EXPECT_EQ(a.events, 40);
  expect_vec(a.local, std::vector<double>(9, 1.0));
  expect_vec(a.global, std::vector<double>(4, 1.0));
}

TEST(Arness, LeftToRightWithoutPromptMissesTheFirstKSteps) {
  // No prompt: at event e the history holds e-1 entries, so local@k counts the L-k events with e-1 >= k.
  const int64_t L = 12;
  const Arness a = compute_arness(sequential(0, iota_positions(L)), 9, 4);
  for (int k = 1; k <= 9; ++k) EXPECT_NEAR(a.local[size_t(k - 1)], double(L - k) / L, 1e-12) << k;
  expect_vec(a.global, std::vector<double>(4, 1.0));
}

TEST(Arness, ShortPromptLimitsLocalK) {
  // P = 3: event 1 has a 3-entry history, so local@k for k > 3 loses event 1 (and event 2 for k > 4 ...).
  const int64_t L = 10;
  const Arness a = compute_arness(sequential(3, iota_positions(L)), 6, 1);
  const std::vector<double> want = {1, 1, 1, double(L - 1) / L, double(L - 2) / L, double(L - 3) / L};
  expect_vec(a.local, want);
}

TEST(Arness, RightToLeftIsZeroLocalAndKOverLGlobal) {
  const int64_t L = 20;
  std::vector<int64_t> pos = iota_positions(L);
  std::reverse(pos.begin(), pos.end());
  const Arness a = compute_arness(sequential(8, pos), 9, 4);
  expect_vec(a.local, std::vector<double>(9, 0.0));
  // Event e has r = L-e+1 masks and takes the right-most: among the k left-most only when r <= k.
  expect_vec(a.global, {1.0 / L, 2.0 / L, 3.0 / L, 4.0 / L});
}

TEST(Arness, HandComputedMixedOrderA) {
  // P = 2, order 1,0,2,3,4. runs: 0,0,0,1,2; ranks: 1,0,0,0,0.
  const Arness a = compute_arness(sequential(2, {1, 0, 2, 3, 4}), 3, 2);
  expect_vec(a.local, {2.0 / 5, 1.0 / 5, 0.0});
  expect_vec(a.global, {4.0 / 5, 1.0});
}

TEST(Arness, HandComputedMixedOrderB) {
  // P = 3, order 0,1,4,2,3,5. Event 1 extends the prompt (run 3), event 2 run 4, event 5 (3 after 2) run 1;
  // event 3 takes 4 while 2 and 3 are masked (rank 2).
  const Arness a = compute_arness(sequential(3, {0, 1, 4, 2, 3, 5}), 5, 3);
  expect_vec(a.local, {3.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6, 0.0});
  expect_vec(a.global, {5.0 / 6, 5.0 / 6, 1.0});
}

TEST(Arness, SeveralCommitsPerStepEnterLeftToRight) {
  // P = 1; step 1 commits {2, 0} (listed out of order), step 2 commits {3, 1}: events 0, 2, 1, 3.
  DecodeOrder o;
  o.prompt_length = 1;
  o.generated_length = 4;
  o.commits = {{2, 3}, {1, 2}, {2, 1}, {1, 0}};
  const Arness a = compute_arness(o, 2, 2);
  EXPECT_EQ(a.events, 4);
  expect_vec(a.local, {1.0 / 4, 0.0});
  expect_vec(a.global, {3.0 / 4, 1.0});
}

TEST(Arness, DreamScheduleQuirkStillScoresOneWhenLeftToRight) {
  // steps == L: step 0 commits nothing, the last step commits two tokens; left to right still scores 1.
  DecodeOrder o;
  o.prompt_length = 9;
  o.generated_length = 6;
  o.commits = {{1, 0}, {2, 1}, {3, 2}, {4, 3}, {5, 5}, {5, 4}};
  const Arness a = compute_arness(o, 9, 4);
  expect_vec(a.local, std::vector<double>(9, 1.0));
  expect_vec(a.global, std::vector<double>(4, 1.0));
}

TEST(Arness, UncommittedPositionsStayMasked) {
  // L = 4 but only 2 and 3 are committed (e.g. an early stop): 0 and 1 stay masked, so global@1 is 0.
  DecodeOrder o;
  o.prompt_length = 2;
  o.generated_length = 4;
  o.commits = {{0, 2}, {1, 3}};
  const Arness a = compute_arness(o, 2, 3);
  expect_vec(a.local, {0.5, 0.0});
  expect_vec(a.global, {0.0, 0.0, 1.0});  // event 1: rank 2 of {0,1,2,3}; event 2: rank 2 of {0,1,3}
}

TEST(Arness, EmptyOrderGivesZeros) {
  DecodeOrder o;
  o.prompt_length = 3;
  const Arness a = compute_arness(o, 9, 4);
  EXPECT_EQ(a.events, 0);
  expect_vec(a.local, std::vector<double>(9, 0.0));
}

TEST(Arness, MalformedOrdersAreUserErrors) {
  DecodeOrder o = sequential(1, {0, 1, 2});
  o.commits.push_back({2, 1});  // step 2 already commits position 1
  EXPECT_THROW(compute_arness(o), Error);
  DecodeOrder out = sequential(1, {0, 3});
  EXPECT_THROW(compute_arness(out), Error);
  DecodeOrder neg = sequential(1, {0, -1});
  EXPECT_THROW(compute_arness(neg), Error);
  try {
    compute_arness(o, 9, 4, "gen.jsonl:7");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "gen.jsonl:7: position 1 is committed twice in step 2");
  }
}

TEST(Arness, RecommittedPositionCountsAtItsLastCommit) {
  // Step 1 commits position 2 with the mask token (it stays masked); steps 2, 3, 4 then decode 0, 1, 2:
  // the effective order is left to right.
  DecodeOrder o;
  o.prompt_length = 1;
  o.generated_length = 3;
  o.commits = {{1, 2}, {2, 0}, {3, 1}, {4, 2}};
  const Arness a = compute_arness(o, 1, 1);
  EXPECT_EQ(a.events, 3);
  expect_vec(a.local, {1.0});
  expect_vec(a.global, {1.0});
}

TEST(Arness, MatchesLiteralDefinitionOnRandomMultiCommitOrders) {
  Rng rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t L = 1 + int64_t(rng.below(24));
    const int64_t P = int64_t(rng.below(6));
    std::vector<int64_t> perm = iota_positions(L);
    for (int64_t i = L - 1; i > 0; --i) std::swap(perm[size_t(i)], perm[size_t(rng.below(uint64_t(i + 1)))]);
    DecodeOrder o;
    o.prompt_length = P;
    o.generated_length = L;
    // Random step sizes 1..3, some positions left uncommitted.
    int64_t step = 0;
    const int64_t committed = L - int64_t(rng.below(uint64_t(std::min<int64_t>(L, 3))));
    for (int64_t i = 0; i < committed; ++i) {
      if (rng.below(3) == 0) ++step;
      o.commits.push_back({step, perm[size_t(i)]});
    }
    const Arness got = compute_arness(o, 9, 4);
    const Arness want = literal_arness(o, 9, 4);
    EXPECT_EQ(got.events, want.events);
    expect_vec(got.local, want.local);
    expect_vec(got.global, want.global);
  }
}

// The closed forms against the average over all L! orders (exact up to rounding).
TEST(ArnessRandom, ClosedFormEqualsExhaustiveAverage) {
  for (int64_t L : {1, 2, 3, 5, 7}) {
    for (int64_t P : {0, 1, 2, 12}) {
      std::vector<int64_t> perm = iota_positions(L);
      std::vector<double> local(9, 0), global(4, 0);
      double count = 0;
      do {
        const Arness a = compute_arness(sequential(P, perm), 9, 4);
        for (size_t i = 0; i < 9; ++i) local[i] += a.local[i];
        for (size_t i = 0; i < 4; ++i) global[i] += a.global[i];
        count += 1;
      } while (std::next_permutation(perm.begin(), perm.end()));
      for (int k = 1; k <= 9; ++k) {
        EXPECT_NEAR(local[size_t(k - 1)] / count, expected_local_arness_random(L, P, k), 1e-12)
            << "L=" << L << " P=" << P << " k=" << k;
      }
      for (int k = 1; k <= 4; ++k) {
        EXPECT_NEAR(global[size_t(k - 1)] / count, expected_global_arness_random(L, k), 1e-12)
            << "L=" << L << " k=" << k;
      }
    }
  }
}

TEST(ArnessRandom, HandValuesOfTheClosedForms) {
  // L = 3, P = 0. local@1: events 2, 3 each 1/3 -> (0 + 1/3 + 1/3)/3 = 2/9.
  EXPECT_NEAR(expected_local_arness_random(3, 0, 1), 2.0 / 9, 1e-15);
  // L = 3, P = 1. local@1 adds event 1 (p_1 = 0, probability 1/3): (1/3 + 1/3 + 1/3)/3 = 1/3.
  EXPECT_NEAR(expected_local_arness_random(3, 1, 1), 1.0 / 3, 1e-15);
  // global@1, L = 3: (1 + 1/2 + 1/3)/3 = 11/18; global@2: (1 + 1 + 2/3)/3 = 8/9.
  EXPECT_NEAR(expected_global_arness_random(3, 1), 11.0 / 18, 1e-15);
  EXPECT_NEAR(expected_global_arness_random(3, 2), 8.0 / 9, 1e-15);
}

// Monte Carlo: N random orders of L = 64 after a 4-token prompt. Each sample's value is an average of
// indicators in [0, 1]; the mean over N samples has standard error sd/sqrt(N). We accept 5 standard errors
// (a false alarm has probability < 1e-6 per check), plus a floor of 1e-4 for metrics whose variance is ~0.
TEST(ArnessRandom, UniformRandomOrdersMatchTheExpectation) {
  const int64_t L = 64, P = 4;
  const int N = 4000;
  Rng rng(2506);
  std::vector<std::vector<double>> local(9), global(4);
  for (int n = 0; n < N; ++n) {
    std::vector<int64_t> perm = iota_positions(L);
    for (int64_t i = L - 1; i > 0; --i) std::swap(perm[size_t(i)], perm[size_t(rng.below(uint64_t(i + 1)))]);
    const Arness a = compute_arness(sequential(P, perm), 9, 4);
    for (size_t i = 0; i < 9; ++i) local[i].push_back(a.local[i]);
    for (size_t i = 0; i < 4; ++i) global[i].push_back(a.global[i]);
  }
  auto check = [&](const std::vector<double>& xs, double expected, const char* what, int k) {
    double mean = 0, var = 0;
    for (double x : xs) mean += x;
    mean /= double(xs.size());
    for (double x : xs) var += (x - mean) * (x - mean);
    var /= double(xs.size() - 1);
    const double tol = 5 * std::sqrt(var / double(xs.size())) + 1e-4;
    EXPECT_NEAR(mean, expected, tol) << what << "@" << k;
  };
  for (int k = 1; k <= 9; ++k) check(local[size_t(k - 1)], expected_local_arness_random(L, P, k), "local", k);
  for (int k = 1; k <= 4; ++k) check(global[size_t(k - 1)], expected_global_arness_random(L, k), "global", k);
  // The reference values are far from the AR value 1: local@1 ~ 1/L, global@1 ~ H_L / L.
  EXPECT_LT(expected_local_arness_random(L, P, 1), 0.02);
  EXPECT_NEAR(expected_global_arness_random(L, 1), 4.7439 / 64, 1e-3);
}

}  // namespace
}  // namespace dc::analysis

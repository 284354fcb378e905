// The transfer schedule against three oracles: PyTorch's own float32 values (fixture written by
// scripts/twin/sampler_twin.py), the closed form in exact integer arithmetic, and the quirks SPEC §3 names.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "decode/schedule.h"

namespace dc {
namespace {

nlohmann::json load_fixture() {
  std::ifstream f(std::string(DC_TESTDATA_DIR) + "/decode/schedule_torch.json");
  EXPECT_TRUE(f.good());
  return nlohmann::json::parse(f);
}

TEST(Schedule, LinspaceMatchesTorchBitForBit) {
  const auto fx = load_fixture();
  int checked = 0;
  for (const auto& [steps, values] : fx["grids"].items()) {
    const auto grid = time_grid(std::stoi(steps), 1e-3f);
    ASSERT_EQ(grid.size(), values.size());
    for (size_t i = 0; i < grid.size(); ++i) {
      EXPECT_EQ(grid[i], values[i].get<float>()) << "steps " << steps << " index " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(Schedule, CountsMatchTorchFloat32) {
  const auto fx = load_fixture();
  int cases = 0;
  for (const auto& row : fx["schedules"]) {
    const int64_t L = row["length"];
    const int steps = row["steps"];
    const auto expect = row["counts"].get<std::vector<int64_t>>();
    EXPECT_EQ(dream_schedule(L, steps, 1e-3f), expect) << "length " << L << " steps " << steps;
    ++cases;
  }
  EXPECT_GT(cases, 400);
}

// In exact arithmetic with eps = 1/1000: t_i = 1 - i*999/(1000 S), so n (1 - t_{i+1}/t_i) =
// 999 n / (1000 S - 999 i). float32 may only disagree where that value lies within rounding of an integer.
TEST(Schedule, CountsEqualClosedFormAwayFromIntegerBoundaries) {
  int64_t compared = 0, near_integer = 0, disagreements = 0;
  for (int64_t L = 1; L <= 300; ++L) {
    for (int steps = 1; steps <= L + 4; ++steps) {
      const auto counts = dream_schedule(L, steps, 1e-3f);
      int64_t n = L;
      for (int i = 0; i < steps; ++i) {
        const int64_t num = 999 * n, den = 1000 * int64_t(steps) - 999 * int64_t(i);
        const int64_t exact = (i == steps - 1) ? n : num / den;
        const double rem = (i == steps - 1) ? 0.5 : double(num % den) / double(den);
        const bool boundary = rem < 1e-4 || rem > 1 - 1e-4;
        if (counts[size_t(i)] != exact) {
          ++disagreements;
          EXPECT_TRUE(boundary) << "L " << L << " steps " << steps << " step " << i << ": "
                                << counts[size_t(i)] << " vs exact " << exact;
          EXPECT_LE(std::abs(counts[size_t(i)] - exact), 1);
        }
        near_integer += boundary;
        ++compared;
        n -= counts[size_t(i)];
      }
      EXPECT_EQ(n, 0) << "L " << L << " steps " << steps;
    }
  }
  EXPECT_GT(compared, 40000);
  // Exact integers (remainder 0) are where float32 rounding can land on either side.
  EXPECT_LE(disagreements, near_integer);
}

TEST(Schedule, QuirkStepsEqualLength) {
  for (int64_t L : {2, 3, 16, 64, 256, 512, 900}) {
    const auto c = dream_schedule(L, int(L), 1e-3f);
    ASSERT_EQ(int64_t(c.size()), L);
    EXPECT_EQ(c.front(), 0) << L;
    for (int64_t i = 1; i + 1 < L; ++i) EXPECT_EQ(c[size_t(i)], 1) << "L " << L << " step " << i;
    EXPECT_EQ(c.back(), 2) << L;
  }
}

TEST(Schedule, QuirkStepsHalfLength) {
  for (int64_t L : {8, 16, 64, 256, 512}) {
    const auto c = dream_schedule(L, int(L / 2), 1e-3f);
    EXPECT_EQ(c.front(), 1) << L;
    for (size_t i = 1; i + 1 < c.size(); ++i) EXPECT_EQ(c[i], 2) << "L " << L << " step " << i;
    EXPECT_EQ(c.back(), 3) << L;
  }
}

TEST(Schedule, BatchMeanIsFloat32AndTruncated) {
  const auto grid = time_grid(4, 1e-3f);
  // Last step: int(mean) even when rows differ (5 masks over 2 rows -> 2.5 -> 2).
  EXPECT_EQ(dream_transfer_count(5, 2, grid, 3), 2);
  // Step 0: 1 - ts[1]/ts[0] = 0.24975 (float32); 10 * that = 2.4975 -> 2; 7/2 * that = 0.874 -> 0.
  EXPECT_EQ(dream_transfer_count(10, 1, grid, 0), 2);
  EXPECT_EQ(dream_transfer_count(7, 2, grid, 0), 0);
  EXPECT_EQ(dream_transfer_count(0, 3, grid, 1), 0);
}

TEST(Schedule, BlockScheduleGivesRemainderToFirstSteps) {
  EXPECT_EQ(block_schedule(10, 4), (std::vector<int64_t>{3, 3, 2, 2}));
  EXPECT_EQ(block_schedule(4, 4), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(block_schedule(3, 5), (std::vector<int64_t>{1, 1, 1, 0, 0}));
  EXPECT_EQ(block_schedule(0, 2), (std::vector<int64_t>{0, 0}));
  for (int64_t m = 0; m < 50; ++m) {
    for (int s = 1; s < 12; ++s) {
      const auto c = block_schedule(m, s);
      EXPECT_EQ(std::accumulate(c.begin(), c.end(), int64_t(0)), m);
      EXPECT_LE(c.front() - c.back(), 1);
    }
  }
}

TEST(Schedule, OriginRevealProbability) {
  const auto grid = time_grid(4, 1e-3f);
  EXPECT_FLOAT_EQ(origin_reveal_probability(grid, 0), 1.0f - grid[1] / grid[0]);
  EXPECT_NEAR(origin_reveal_probability(grid, 0), 0.24975, 1e-6);
  EXPECT_EQ(origin_reveal_probability(grid, 3), 1.0f);
}

}  // namespace
}  // namespace dc

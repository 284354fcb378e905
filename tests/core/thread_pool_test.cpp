#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/rng.h"
#include "core/thread_pool.h"

namespace dc {
namespace {

TEST(ThreadPool, CoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {1, 2, 7, 100, 1001}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) hits[i]++;
    }, 4);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1);
  }
}

TEST(Rng, DeterministicAndUniform) {
  Rng a(42), b(42);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    float u = a.uniform();
    EXPECT_EQ(u, b.uniform());
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);  // 5.5 standard errors
}

}  // namespace
}  // namespace dc

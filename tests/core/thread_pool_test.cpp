#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "core/error.h"

#include "core/rng.h"
#include "core/thread_pool.h"

namespace dc {
namespace {

TEST(ThreadPool, CoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {1, 2, 7, 100, 1001}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(
        n,
        [&](int64_t b, int64_t e, int) {
          for (int64_t i = b; i < e; ++i) hits[i]++;
        },
        4);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1);
  }
}

// A reduction whose float result depends on the partition: equal to the single-caller result only if
// every job had the whole pool to itself.
double partitioned_sum(ThreadPool& pool, int64_t n, int seed) {
  std::vector<double> partial(size_t(pool.size()), 0.0);
  pool.parallel_for(n, [&](int64_t b, int64_t e, int t) {
    float acc = 0;  // float on purpose: the order of additions shows in the bits
    for (int64_t i = b; i < e; ++i) acc += std::sin(float(i * seed)) * 1e-3f;
    partial[size_t(t)] = acc;
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

TEST(ThreadPool, ConcurrentCallersEachGetTheWholePool) {
  ThreadPool pool(3);
  std::vector<double> alone;
  for (int c = 0; c < 6; ++c) alone.push_back(partitioned_sum(pool, 100003, c + 1));
  std::vector<std::thread> callers;
  std::vector<std::vector<double>> got(6);
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 50; ++rep) got[size_t(c)].push_back(partitioned_sum(pool, 100003, c + 1));
    });
  }
  for (auto& t : callers) t.join();
  for (int c = 0; c < 6; ++c)
    for (double v : got[size_t(c)]) EXPECT_EQ(v, alone[size_t(c)]) << "caller " << c;
}

TEST(ThreadPool, NestingThatNeedsTheWorkersIsRefused) {
  ThreadPool pool(2);
  std::atomic<int> refused{0};
  pool.run_on_all([&](int) {
    try {
      pool.parallel_for(1000, [](int64_t, int64_t, int) {});
    } catch (const Error&) {
      ++refused;
    }
    // A loop too small to split runs on the calling thread and is allowed.
    int ran = 0;
    pool.parallel_for(1, [&](int64_t, int64_t, int) { ++ran; });
    EXPECT_EQ(ran, 1);
  });
  EXPECT_EQ(refused.load(), 2);  // from the caller and from the worker
  // The pool still works afterwards.
  EXPECT_NE(partitioned_sum(pool, 1000, 3), 0.0);
}

TEST(ThreadPool, AnExceptionOfTheCallersShareWaitsForTheWorkers) {
  ThreadPool pool(3);
  std::atomic<int> finished{0};
  EXPECT_THROW(pool.run_on_all([&](int t) {
    if (t == 0) throw Error("caller's share failed");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ++finished;
  }),
               Error);
  EXPECT_EQ(finished.load(), 2);  // both workers were done when the exception came out
  EXPECT_NE(partitioned_sum(pool, 1000, 5), 0.0);
}

TEST(ThreadPool, ThreadCountIsCapped) {
  EXPECT_THROW(ThreadPool(ThreadPool::max_threads() + 1), Error);
  EXPECT_THROW(set_num_threads(ThreadPool::max_threads() + 1), Error);
  ThreadPool most(ThreadPool::max_threads());
  EXPECT_EQ(most.size(), ThreadPool::max_threads());
  EXPECT_EQ(global_pool().size() > 0, true);  // the failed set_num_threads kept the old pool
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

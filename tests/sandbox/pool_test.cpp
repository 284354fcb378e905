// Pool: results in request order, progress reported once per request, and never more sandboxes at once
// than the process-wide limit (measured from wall-clock timestamps taken inside the sandboxes).
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sandbox/sandbox.h"

namespace dc::sandbox {
namespace {

const char* kHarness = R"PY(
import ast
def run_test(ns, input_text):
    return repr(ns["f"](*ast.literal_eval(input_text)))
)PY";

// Each request's program reports (start, end) of its test in host wall-clock time.
TestRunRequest timed_request(int id) {
  TestRunRequest r;
  r.program =
      "import time\ndef f(i):\n    t0 = time.time()\n    time.sleep(0.3)\n    return (i, t0, time.time())\n";
  r.harness = kHarness;
  r.inputs = {"(" + std::to_string(id) + ",)"};
  return r;
}

// Largest number of intervals that overlap at one instant.
int max_overlap(std::vector<std::pair<double, double>> iv) {
  std::vector<std::pair<double, int>> ev;
  for (auto [a, b] : iv) {
    ev.push_back({a, +1});
    ev.push_back({b, -1});
  }
  std::sort(ev.begin(), ev.end());  // at equal times the end (-1) sorts first
  int cur = 0, best = 0;
  for (auto [t, d] : ev) best = std::max(best, cur += d);
  return best;
}

TEST(Pool, DefaultSizeIsTheCores) {
  EXPECT_EQ(Pool().workers(), int(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_EQ(Pool(3).workers(), 3);
  EXPECT_EQ(max_concurrent_sandboxes(), int(std::max(1u, std::thread::hardware_concurrency())));
}

TEST(Pool, NeverMoreThanTheLimitAtOnce) {
  const int before = max_concurrent_sandboxes();
  set_max_concurrent_sandboxes(2);
  std::vector<TestRunRequest> reqs;
  for (int i = 0; i < 7; ++i) reqs.push_back(timed_request(i));
  std::vector<size_t> progress;
  std::mutex mu;
  Pool pool(5);  // more workers than slots: the slots must hold them back
  std::vector<TestRunResult> res = pool.run_all(reqs, [&](size_t done, size_t total) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(total, reqs.size());
    progress.push_back(done);
  });
  set_max_concurrent_sandboxes(before);

  ASSERT_EQ(res.size(), reqs.size());
  std::vector<std::pair<double, double>> intervals;
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(res[size_t(i)].tests[0].status, Status::Ok) << res[size_t(i)].stderr_tail;
    const std::string& out = res[size_t(i)].tests[0].output;             // "(i, t0, t1)"
    ASSERT_EQ(out.rfind("(" + std::to_string(i) + ", ", 0), 0u) << out;  // results in request order
    double t0 = 0, t1 = 0;
    ASSERT_EQ(sscanf(out.c_str() + out.find(", ") + 2, "%lf, %lf", &t0, &t1), 2) << out;
    intervals.push_back({t0, t1});
  }
  EXPECT_LE(max_overlap(intervals), 2);
  std::vector<size_t> expected = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(progress, expected);
}

TEST(Pool, EmptyListAndFailingRequest) {
  Pool pool(2);
  EXPECT_TRUE(pool.run_all({}).empty());
  // A harness that raises fails its own request only, and results stay in place.
  TestRunRequest bad = timed_request(0);
  bad.harness = "def run_test(ns, x):\n    raise ValueError('harness bug')\n";
  std::vector<TestRunResult> res = pool.run_all({timed_request(0), bad});
  EXPECT_EQ(res[0].tests[0].status, Status::Ok);
  EXPECT_EQ(res[1].tests[0].status, Status::Fail);
  EXPECT_EQ(res[1].tests[0].output, "ValueError: harness bug");
}

}  // namespace
}  // namespace dc::sandbox

// EvalPlus's per-sample time cap: the base tests of a sample together, and its plus tests together, get at
// most min(task_seconds, sum of their per-test limits) + 1 s (evalplus/eval/__init__.py, untrusted_check,
// EVALPLUS_TIMEOUT_PER_TASK = 60). A sample whose every test stays just under its own limit can no longer
// hold a worker for the sum of all of them.
#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"
#include "eval_fixture.h"

namespace dc::eval {
namespace {

using testing::options;
using testing::scratch;

TEST(TimeCap, RequestCapsBaseAndPlusSeparatelyAsEvalPlus) {
  Task t;
  t.task_id = "demo/x";
  t.base_inputs = {"[1]", "[2]"};
  t.plus_inputs = std::vector<std::string>(100, "[3]");
  TaskExpected e;
  e.base.resize(2);
  e.plus.resize(100);
  for (auto& x : e.base) x.ok = true, x.seconds = 0.01;
  for (auto& x : e.plus) x.ok = true, x.seconds = 0.01;
  EvalOptions o;  // defaults: 4 s floor, factor 4, 60 s per check
  EXPECT_EQ(o.task_seconds, 60.0);
  const sandbox::TestRunRequest req = candidate_request(t, e, "def f(x): return x", true, o);
  ASSERT_EQ(req.time_caps.size(), 2u);
  // Base: two tests of 4 s: the sum (8 s) is below 60 s, so the cap is 8 + 1.
  EXPECT_EQ(req.time_caps[0].begin, 0u);
  EXPECT_EQ(req.time_caps[0].end, 2u);
  EXPECT_DOUBLE_EQ(req.time_caps[0].seconds, 9.0);
  // Plus: 100 tests of 4 s sum to 400 s; EvalPlus caps the check at 60 + 1.
  EXPECT_EQ(req.time_caps[1].begin, 2u);
  EXPECT_EQ(req.time_caps[1].end, 102u);
  EXPECT_DOUBLE_EQ(req.time_caps[1].seconds, 61.0);
  o.task_seconds = 5;
  EXPECT_DOUBLE_EQ(candidate_request(t, e, "", true, o).time_caps[1].seconds, 6.0);
  EXPECT_EQ(candidate_request(t, e, "", false, o).time_caps.size(), 1u);
}

TEST(TimeCap, SlowSampleTimesOutAtTheCap) {
  Dataset d = load_dataset(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl");
  // Each call sleeps 1 s, inside its own 2 s limit; two base tests need 2 s, more than the cap
  // min(0.9, 4) + 1 = 1.9 s, so the second base test is cut (the first ends 0.9 s before the cap, a margin
  // for a loaded machine; the sleep guarantees the second runs past it).
  const std::vector<Sample> samples = {
      {"demo/add", "import time\ndef add(a, b):\n    time.sleep(1.0)\n    return a + b\n"}};
  EvalOptions o = options(scratch("time_cap"));
  o.min_test_seconds = 2;
  o.task_seconds = 0.9;
  const Summary s = evaluate(d, samples, o);
  ASSERT_EQ(s.results.size(), 1u);
  const SampleResult& r = s.results[0];
  EXPECT_EQ(r.base.status, "timeout") << r.base.detail;
  EXPECT_EQ(r.base.passed, 1);
  EXPECT_NE(r.base.detail.find("time cap"), std::string::npos) << r.base.detail;
  EXPECT_LT(r.seconds, 8.0);
}

TEST(TimeCap, OutOfRangeOptionsAreErrors) {
  Dataset d = load_dataset(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl");
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const double bad : {nan, inf, 0.0, -1.0, 1e300}) {
    for (double EvalOptions::*field :
         {&EvalOptions::task_seconds, &EvalOptions::min_test_seconds, &EvalOptions::time_factor}) {
      EvalOptions o = options(scratch("time_cap_bad"));
      o.*field = bad;
      EXPECT_THROW(evaluate(d, {}, o), Error) << bad;
    }
  }
  EXPECT_NO_THROW(evaluate(d, {}, options(scratch("time_cap_good"))));  // the same call with sane limits
}

}  // namespace
}  // namespace dc::eval

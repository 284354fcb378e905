// run_tests: per-test results, stop at the first failure, per-test deadlines, program load failures,
// the framed channel against a program that floods stdout or writes to the channel itself.
#include <gtest/gtest.h>

#include <limits>

#include <string>

#include "core/error.h"
#include "sandbox/sandbox.h"

namespace dc::sandbox {
namespace {

// The harness the tests use: the input is a Python literal tuple of arguments to `f`; the output is the
// repr of the return value. Raising is how a test fails.
const char* kHarness = R"PY(
import ast
def run_test(ns, input_text):
    return repr(ns["f"](*ast.literal_eval(input_text)))
)PY";

TestRunRequest request(const std::string& program, std::vector<std::string> inputs) {
  TestRunRequest r;
  r.program = program;
  r.harness = kHarness;
  r.inputs = std::move(inputs);
  r.limits.wall_seconds = 10;
  return r;
}

class RunTests : public ::testing::TestWithParam<bool> {
 protected:
  TestRunResult run(TestRunRequest r) {
    r.use_namespaces = GetParam();
    TestRunResult res = run_tests(r);
    EXPECT_EQ(res.tests.size(), r.inputs.size());
    EXPECT_EQ(res.layers.namespaces(), GetParam());
    return res;
  }
};

TEST_P(RunTests, PerTestResultsInOrder) {
  TestRunResult r = run(request("def f(a, b):\n    return a + b\n", {"(1, 2)", "('x', 'y')", "([1], [2])"}));
  ASSERT_EQ(r.program_status, Status::Ok) << r.program_error << r.stderr_tail;
  EXPECT_EQ(r.tests[0].status, Status::Ok);
  EXPECT_EQ(r.tests[0].output, "3");
  EXPECT_EQ(r.tests[1].output, "'xy'");
  EXPECT_EQ(r.tests[2].output, "[1, 2]");
  for (const TestResult& t : r.tests) EXPECT_GE(t.seconds, 0.0);
}

TEST_P(RunTests, StopsAtFirstFailure) {
  const char* prog = "def f(x):\n    return 10 // x\n";
  TestRunResult r = run(request(prog, {"(5,)", "(0,)", "(2,)"}));
  EXPECT_EQ(r.tests[0].status, Status::Ok);
  EXPECT_EQ(r.tests[0].output, "2");
  EXPECT_EQ(r.tests[1].status, Status::Fail);
  EXPECT_EQ(r.tests[1].output, "ZeroDivisionError: integer division or modulo by zero");
  EXPECT_EQ(r.tests[2].status, Status::NotRun);

  TestRunRequest all = request(prog, {"(5,)", "(0,)", "(2,)"});
  all.stop_at_first_failure = false;
  r = run(all);
  EXPECT_EQ(r.tests[1].status, Status::Fail);
  EXPECT_EQ(r.tests[2].status, Status::Ok);
  EXPECT_EQ(r.tests[2].output, "5");
}

TEST_P(RunTests, PerTestDeadline) {
  // Test 1 sleeps past its own 0.5 s limit; test 0 gets 5 s and uses 0.3 s.
  TestRunRequest req =
      request("import time\ndef f(t):\n    time.sleep(t)\n    return t\n", {"(0.3,)", "(30,)", "(0,)"});
  req.per_test_seconds = {5, 0.5, 5};
  req.stop_at_first_failure = false;  // a timeout ends the run regardless
  TestRunResult r = run(req);
  EXPECT_EQ(r.tests[0].status, Status::Ok);
  // A test's time runs from the host reading the frame before it to reading its result, so the host's
  // reading delay can shave a little off the 0.3 s the child slept: check the order of magnitude only.
  EXPECT_GE(r.tests[0].seconds, 0.2);
  EXPECT_EQ(r.tests[1].status, Status::Timeout);
  EXPECT_GE(r.tests[1].seconds, 0.5);
  EXPECT_LT(r.tests[1].seconds, 3.0);
  EXPECT_EQ(r.tests[2].status, Status::NotRun);
  EXPECT_LT(r.seconds, 10.0);
}

TEST_P(RunTests, TimeCapEndsAGroupOfSlowTests) {
  // Tests 0 and 1 take 0.2 s each; test 2 sleeps 2 s, inside its own 3 s limit, but tests 0..3 together
  // are capped at 1.2 s, so test 2 is cut at the cap (0.8 s of margin for tests 0 and 1 on a loaded
  // machine). Test 4 lies outside the cap but is never reached.
  TestRunRequest req = request("import time\ndef f(t):\n    time.sleep(t)\n    return t\n",
                               {"(0.2,)", "(0.2,)", "(2.0,)", "(0.2,)", "(0,)"});
  req.per_test_seconds = {3, 3, 3, 3, 3};
  req.time_caps = {{0, 4, 1.2}};
  TestRunResult r = run(req);
  ASSERT_EQ(r.program_status, Status::Ok) << r.program_error << r.stderr_tail;
  EXPECT_EQ(r.tests[0].status, Status::Ok);
  EXPECT_EQ(r.tests[1].status, Status::Ok);
  EXPECT_EQ(r.tests[2].status, Status::Timeout);
  EXPECT_EQ(r.tests[2].output, "the time cap of these tests (1.2 s) ran out");
  EXPECT_LT(r.tests[2].seconds, 1.0);
  EXPECT_EQ(r.tests[3].status, Status::NotRun);
  EXPECT_EQ(r.tests[4].status, Status::NotRun);

  // A second cap starts its own clock at its first test: two groups of two 0.5 s tests, each capped at
  // 1.5 s, both pass although the whole run (2 s) takes longer than either cap.
  TestRunRequest two = request("import time\ndef f(t):\n    time.sleep(t)\n    return t\n",
                               {"(0.5,)", "(0.5,)", "(0.5,)", "(0.5,)"});
  two.time_caps = {{0, 2, 1.5}, {2, 4, 1.5}};
  r = run(two);
  for (const TestResult& t : r.tests) EXPECT_EQ(t.status, Status::Ok) << t.output;
  EXPECT_GT(r.seconds, 2.0);
}

// NaN, infinite, negative or huge limits are refused before any conversion (1e300 s used to overflow the
// deadline arithmetic and time out at once).
TEST(RunTestsLimits, NonFiniteOrHugeLimitsAreErrors) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const double bad : {nan, inf, -1.0, 0.0, 1e300}) {
    TestRunRequest r = request("def f():\n    return 1\n", {"()"});
    r.limits.wall_seconds = bad;
    EXPECT_THROW(run_tests(r), Error) << bad;
    Job job;
    job.argv = {"/bin/true"};
    job.limits.wall_seconds = bad;
    EXPECT_THROW(run_process(job), Error) << bad;
  }
  for (const double bad : {nan, inf, -1.0, 1e300}) {
    TestRunRequest r = request("def f():\n    return 1\n", {"()"});
    r.per_test_seconds = {bad};
    EXPECT_THROW(run_tests(r), Error) << bad;
  }
  TestRunRequest cap = request("def f():\n    return 1\n", {"()"});
  cap.time_caps = {{0, 1, nan}};
  EXPECT_THROW(run_tests(cap), Error);
  cap.time_caps = {{0, 2, 1.0}};  // beyond the inputs
  EXPECT_THROW(run_tests(cap), Error);
}

TEST_P(RunTests, ProgramThatDoesNotCompile) {
  TestRunResult r = run(request("def f(:\n", {"(1,)"}));
  EXPECT_EQ(r.program_status, Status::Fail);
  EXPECT_EQ(r.program_error.rfind("SyntaxError: ", 0), 0u) << r.program_error;
  EXPECT_EQ(r.tests[0].status, Status::NotRun);
}

TEST_P(RunTests, MainBlockDoesNotRunAndStdinIsEmpty) {
  TestRunResult r =
      run(request("import sys\nif __name__ == '__main__':\n    raise SystemExit(1)\ndef f():\n    return "
                  "sys.stdin.read()\n",
                  {"()"}));
  ASSERT_EQ(r.program_status, Status::Ok) << r.program_error;
  EXPECT_EQ(r.tests[0].status, Status::Ok);
  EXPECT_EQ(r.tests[0].output, "''");
}

TEST_P(RunTests, ExitDuringTestIsCrash) {
  TestRunResult r = run(request("import os\ndef f():\n    os._exit(0)\n", {"()", "()"}));
  EXPECT_EQ(r.tests[0].status, Status::Crash);
  EXPECT_EQ(r.tests[1].status, Status::NotRun);
}

TEST_P(RunTests, SystemExitInTestIsFail) {
  TestRunResult r = run(request("import sys\ndef f():\n    sys.exit(0)\n", {"()"}));
  EXPECT_EQ(r.tests[0].status, Status::Fail);
  EXPECT_EQ(r.tests[0].output, "SystemExit: 0");
}

TEST_P(RunTests, PrintsDoNotDisturbResults) {
  TestRunResult r = run(request("def f(x):\n    print('noise', x)\n    return x\n", {"(1,)", "(2,)"}));
  EXPECT_EQ(r.tests[1].status, Status::Ok);
  EXPECT_EQ(r.tests[1].output, "2");
  EXPECT_EQ(r.stdout_head, "noise 1\nnoise 2\n");
}

TEST_P(RunTests, ForgedFramesAreRejected) {
  // The program writes a malformed frame to the channel itself: the run stops as a sandbox error,
  // never as a pass.
  TestRunResult r = run(request(
      "import os\ndef f():\n    os.write(3, b'R 0 ok 99999999999999999999\\n')\n    return 1\n", {"()"}));
  EXPECT_EQ(r.tests[0].status, Status::SandboxError);
}

TEST_P(RunTests, NonStringResultIsFail) {
  TestRunRequest req = request("def f():\n    return 1\n", {"()"});
  req.harness = "def run_test(ns, text):\n    return ns['f']()\n";
  TestRunResult r = run(req);
  EXPECT_EQ(r.tests[0].status, Status::Fail);
  EXPECT_EQ(r.tests[0].output, "TypeError: run_test returned int, not str");
}

TEST_P(RunTests, BrokenHarnessIsSandboxError) {
  TestRunRequest req = request("def f():\n    return 1\n", {"()"});
  req.harness = "x = 1\n";
  TestRunResult r = run(req);
  EXPECT_EQ(r.program_status, Status::SandboxError);
  EXPECT_EQ(r.program_error, "harness: KeyError: 'run_test'");
}

TEST_P(RunTests, LargeInputsAndOutputs) {
  std::string big(300000, 'a');
  TestRunRequest req = request("def f(s):\n    return s * 2\n", {"('" + big + "',)"});
  TestRunResult r = run(req);
  ASSERT_EQ(r.tests[0].status, Status::Ok);
  EXPECT_EQ(r.tests[0].output, "'" + big + big + "'");

  req.limits.output_bytes = 100000;  // the result alone is larger
  r = run(req);
  EXPECT_EQ(r.tests[0].status, Status::OutputLimit);
}

TEST_P(RunTests, NoInputs) {
  TestRunResult r = run(request("def f():\n    return 1\n", {}));
  EXPECT_EQ(r.program_status, Status::Ok);
}

INSTANTIATE_TEST_SUITE_P(Sandbox, RunTests, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Namespaces" : "NoNamespaces"; });

}  // namespace
}  // namespace dc::sandbox

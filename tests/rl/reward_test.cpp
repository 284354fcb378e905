// The reward of SPEC §6 on cases computed by hand: format 1 / 0.5 / 0, pass fractions, every case run
// past failures, the float rules, the canonical solutions of `diffucoder tasks` at 2.5, configurable
// weights, and concurrent callers.
#include <gtest/gtest.h>

#include <thread>

#include "rl_fixture.h"

namespace dc::rl {
namespace {

using testing::assert_task;
using testing::block;
using testing::fast_options;

const std::vector<std::string> kAddTests = {"assert add(1, 2) == 3", "assert add(2, 2) == 4",
                                            "assert add(-1, 1) == 0"};

TEST(Reward, FormatAndPassFractionByHand) {
  RlTask t = assert_task("add", kAddTests);
  ASSERT_EQ(t.cases(), 3u);
  std::vector<std::string> completions = {
      block("def add(a, b):\n    return a + b\n"),                               // 3/3
      "Sure:\n" + block("def add(a, b):\n    return a + b if a != 2 else 0\n"),  // 2/3
      block("def add(a, b):\n    return 3\n"),                                   // 1/3
      block("def add(a, b):\n    return None\n"),                                // 0/3
      block("def add(a, b)\n    return a + b\n"),                                // does not parse
      "def add(a, b):\n    return a + b\n",                                      // no block
      block("def add(a, b):\n    return a + b\n") + "Hope this helps!\n",        // text after the block
  };
  std::vector<Reward> r = score_group(t, completions, fast_options());
  ASSERT_EQ(r.size(), completions.size());
  struct Want {
    double reward, code, format;
    int passed;
    const char* status;
  };
  std::vector<Want> want = {
      {2.5, 1.0, 1.0, 3, "pass"},
      {2.0 * (2.0 / 3.0) + 0.5, 2.0 / 3.0, 1.0, 2, "partial"},
      {2.0 * (1.0 / 3.0) + 0.5, 1.0 / 3.0, 1.0, 1, "partial"},
      {0.5, 0.0, 1.0, 0, "fail"},
      {0.25, 0.0, 0.5, 0, "syntax_error"},
      {0.0, 0.0, 0.0, 0, "bad_format"},
      {0.0, 0.0, 0.0, 0, "bad_format"},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_DOUBLE_EQ(r[i].reward, want[i].reward) << i << " " << r[i].detail;
    EXPECT_DOUBLE_EQ(r[i].code, want[i].code) << i;
    EXPECT_DOUBLE_EQ(r[i].format, want[i].format) << i;
    EXPECT_EQ(r[i].passed, want[i].passed) << i;
    EXPECT_EQ(r[i].total, 3) << i;
    EXPECT_EQ(r[i].status, want[i].status) << i;
  }
  EXPECT_NE(r[1].detail.find("case 1 `assert add(2, 2) == 4`: expected 4, got 0"), std::string::npos)
      << r[1].detail;
}

TEST(Reward, EveryCaseRunsPastErrorsTimeoutsAndExits) {
  RlTask t = assert_task("f", {"assert f(0) == 0", "assert f(1) == 1", "assert f(2) == 2", "assert f(3) == 3",
                               "assert f(4) == 4"});
  // Case 0 raises, case 1 loops past its limit, case 2 ends the process, cases 3 and 4 pass.
  std::string code =
      "import os\n"
      "def f(x):\n"
      "    if x == 0:\n        raise ValueError('zero')\n"
      "    if x == 1:\n        while True:\n            pass\n"
      "    if x == 2:\n        os._exit(0)\n"
      "    return x\n";
  Reward r = score_group(t, {block(code)}, fast_options()).at(0);
  EXPECT_EQ(r.passed, 2) << r.detail;
  EXPECT_DOUBLE_EQ(r.code, 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(r.reward, 2.0 * 0.4 + 0.5);
  EXPECT_NE(r.detail.find("case 0 `assert f(0) == 0`: fail: ValueError: zero"), std::string::npos)
      << r.detail;
}

TEST(Reward, FloatRules) {
  // `== <float>`: the eval judge (EvalPlus: atol 1e-6 for a float expected value, the same type required);
  // `abs(x - e) < tol`: that absolute tolerance on any number.
  RlTask eq = assert_task("h", {"assert h(1.0) == 0.5"});
  RlTask close = assert_task("h", {"assert abs(h(1.0) - 0.5) < 1e-3"});
  RlTask as_int = assert_task("h", {"assert h(2) == 4"});
  auto code_of = [](const RlTask& t, const std::string& body) {
    return score_group(t, {block("def h(x):\n    return " + body + "\n")}, fast_options()).at(0).code;
  };
  EXPECT_EQ(code_of(eq, "0.5"), 1.0);
  EXPECT_EQ(code_of(eq, "x / 2 + 1e-9"), 1.0);  // within 1e-6
  EXPECT_EQ(code_of(eq, "x / 2 + 1e-4"), 0.0);
  EXPECT_EQ(code_of(eq, "True"), 0.0);
  EXPECT_EQ(code_of(close, "0.5004"), 1.0);
  EXPECT_EQ(code_of(close, "0.502"), 0.0);
  EXPECT_EQ(code_of(close, "float('nan')"), 0.0);
  EXPECT_EQ(code_of(close, "'0.5'"), 0.0);
  EXPECT_EQ(code_of(as_int, "4"), 1.0);
  EXPECT_EQ(code_of(as_int, "4.0"), 0.0);  // strict types: an int test wants an int
}

TEST(Reward, CanonicalSolutionsOfGeneratedTasksScoreTwoPointFive) {
  // tests/testdata/rl/heldout5.jsonl: `diffucoder tasks --split heldout --count 5 --seed 1 --benchmark-out
  // F`.
  std::vector<RlTask> tasks =
      load_rl_tasks(std::string(DC_TESTDATA_DIR) + "/rl/heldout5.jsonl", testing::load_options());
  ASSERT_EQ(tasks.size(), 5u);
  for (const RlTask& t : tasks) {
    EXPECT_EQ(t.task.kind, eval::TestKind::Io);
    // Posed as eval poses it in chat, with no pre-filled answer.
    EXPECT_EQ(t.question, "Please complete the following problem:\n```\n" +
                              t.task.prompt.substr(0, t.task.prompt.find_last_not_of(" \t\r\n") + 1) +
                              "\n```\n");
    std::string canonical = t.task.prompt + t.task.canonical_solution;
    std::vector<Reward> r =
        score_group(t, {block(canonical), block(t.task.prompt + "    return 0\n")}, fast_options());
    EXPECT_DOUBLE_EQ(r[0].reward, 2.5) << t.id << ": " << r[0].detail;
    EXPECT_EQ(r[0].passed, int(t.cases())) << t.id;
    EXPECT_LT(r[1].reward, 2.5) << t.id;
  }
}

TEST(Reward, WeightsAreConfigurable) {
  RlTask t = assert_task("add", kAddTests);
  RewardOptions o = fast_options();
  o.code_weight = 1.0;
  o.format_weight = 0.0;
  std::vector<Reward> r = score_group(t, {block("def add(a, b):\n    return 3\n"), block("def add(:\n")}, o);
  EXPECT_DOUBLE_EQ(r[0].reward, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r[1].reward, 0.0);
}

TEST(Reward, ConcurrentCallersGetTheirOwnResults) {
  RlTask add = assert_task("add", kAddTests);
  RlTask neg = assert_task("neg", {"assert neg(1) == -1", "assert neg(-2) == 2"});
  std::vector<std::string> add_c = {block("def add(a, b):\n    return a + b\n"),
                                    block("def add(a, b):\n    return 3\n")};
  std::vector<std::string> neg_c = {block("def neg(x):\n    return -x\n"),
                                    block("def neg(x):\n    return 2\n")};
  std::vector<std::vector<Reward>> got(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back(
        [&, i] { got[i] = score_group(i % 2 ? neg : add, i % 2 ? neg_c : add_c, fast_options()); });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(got[i].size(), 2u);
    EXPECT_DOUBLE_EQ(got[i][0].reward, 2.5) << i;
    EXPECT_DOUBLE_EQ(got[i][1].code, i % 2 ? 0.5 : 1.0 / 3.0) << i;
  }
}

}  // namespace
}  // namespace dc::rl

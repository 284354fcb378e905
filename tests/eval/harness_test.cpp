// The trusted harness inside the real sandbox: the typed encoding of every builtin type (hand-written
// expected JSON), digests of large values (recomputed here from their definition), input conversions,
// reference runs, and candidates that try to pass without the right answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eval/harness.h"
#include "eval/judge.h"
#include "eval/sha256.h"
#include "sandbox/sandbox.h"

namespace dc::eval {
namespace {

sandbox::TestRunResult run(const std::string& program, const std::vector<std::string>& inputs,
                           HarnessParams p = {}) {
  if (p.entry_point.empty()) p.entry_point = "f";
  sandbox::TestRunRequest req;
  req.program = program;
  req.harness = harness_source(p);
  req.inputs = inputs;
  req.stop_at_first_failure = false;
  req.limits.wall_seconds = 20;
  req.per_test_seconds.assign(inputs.size(), 20);
  return sandbox::run_tests(req);
}

std::vector<std::string> indices(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("[" + std::to_string(i) + "]");
  return v;
}

TEST(Harness, TypedEncodingOfEveryBuiltin) {
  const char* program = R"PY(
import collections, enum
class E(enum.IntEnum):
    A = 7
VALUES = [None, True, 3, -2.5, "h\u00e9", b"\x01\xff", 1+2j, [1, (2,)], {3}, frozenset([4]), {"a": [None]},
          2**5000, collections.Counter("aa"), E.A, float("inf"), "\ud800", -(2**70), float("nan")]
def f(k):
    return VALUES[k]
)PY";
  const std::vector<std::string> want = {"null",
                                         "true",
                                         R"("i3")",
                                         R"("f-2.5")",
                                         R"("sh\u00e9")",
                                         R"("b01ff")",
                                         R"(["c","1.0","2.0"])",
                                         R"(["l","i1",["t","i2"]])",
                                         R"(["S","i3"])",
                                         R"(["F","i4"])",
                                         R"(["d","sa",["l",null]])",
                                         "\"i0x1" + std::string(1250, '0') + "\"",
                                         R"(["d","sa","i2"])",
                                         R"("i7")",
                                         R"("finf")",
                                         R"(["U",55296])",
                                         R"("i-1180591620717411303424")",
                                         R"("fnan")"};
  auto r = run(program, indices(int(want.size())));
  ASSERT_EQ(r.program_status, sandbox::Status::Ok) << r.program_error << r.stderr_tail;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r.tests[i].status, sandbox::Status::Ok) << i << ": " << r.tests[i].output;
    EXPECT_EQ(r.tests[i].output, want[i]) << "value " << i;
  }
}

// repr() of list(range(a, b)).
std::string range_repr(int a, int b) {
  std::string s = "[";
  for (int i = a; i < b; ++i) s += (i > a ? ", " : "") + std::to_string(i);
  return s + "]";
}

TEST(Harness, LargeValuesAreDigestedTheSameWayWhateverTheirPythonType) {
  const char* program = R"PY(
class L(list):
    pass
def f(k):
    if k == 0:
        return list(range(5000))
    if k == 1:
        return L(range(5000))
    if k == 2:
        return tuple(range(5000))
    if k == 3:
        return [float(i) for i in range(5000)]
    return list(range(10))
)PY";
  auto r = run(program, indices(5));
  ASSERT_EQ(r.program_status, sandbox::Status::Ok) << r.program_error;
  // Definition: sha256 over repr() of consecutive 4096-element slices.
  Sha256 h;
  h.update(range_repr(0, 4096));
  h.update(range_repr(4096, 5000));
  std::string digest = h.hex_digest();
  EXPECT_EQ(r.tests[0].output, R"(["h", "rl)" + digest + "\"]");
  EXPECT_EQ(r.tests[1].output, r.tests[0].output);  // a list subclass holding the same values
  EXPECT_NE(r.tests[2].output, r.tests[0].output);  // a tuple is not a list
  EXPECT_EQ(r.tests[2].output.substr(0, 9), R"(["h", "rt)");
  // A flat list of floats stays whole: the float tolerance may apply to it.
  EXPECT_EQ(r.tests[3].output.substr(0, 11), R"(["l","f0.0")");
  EXPECT_EQ(r.tests[4].output, R"(["l","i0","i1","i2","i3","i4","i5","i6","i7","i8","i9"])");
}

TEST(Harness, MbppInputConversions) {
  const char* program = "def f(*args):\n    return args\n";
  struct Case {
    InputRule rule;
    std::string input, want;
  };
  std::vector<Case> cases = {
      {InputRule::None, "[[1, 2], 3]", R"(["t",["l","i1","i2"],"i3"])"},
      {InputRule::EachArgTuple, "[[1, 2], [3]]", R"(["t",["t","i1","i2"],["t","i3"]])"},
      {InputRule::InnerListsTuple, "[[[1], [2]]]", R"(["t",["l",["t","i1"],["t","i2"]]])"},
      {InputRule::FirstInnerListsTuple, "[[[1]], [2]]", R"(["t",["l",["t","i1"]],["l","i2"]])"},
      {InputRule::SecondArgTuple, "[[1], [2]]", R"(["t",["l","i1"],["t","i2"]])"},
      {InputRule::FirstArgTuple, "[[1], [2], 3]", R"(["t",["t","i1"],["l","i2"],"i3"])"},
      {InputRule::InnerListsTupleThenEachArgTuple, "[[[1]], [[2]]]",
       R"(["t",["t",["t","i1"]],["t",["t","i2"]]])"},
      {InputRule::FirstItemsTupleThenEachArgTuple, "[[[1], 2]]", R"(["t",["t",["t","i1"],"i2"]])"},
      {InputRule::FirstDictValuesTuple, R"([{"a": [1]}, 2])", R"(["t",["d","sa",["t","i1"]],"i2"])"},
      {InputRule::FirstInnerListsSet, "[[[1, 1], []]]", R"(["t",["l",["S","i1"],["d"]]])"},
      {InputRule::FloatComplex, R"(["2", "1j"])", R"(["t","f2.0",["c","0.0","1.0"]])"},
      {InputRule::Complex, R"J(["(1+2j)"])J", R"(["t",["c","1.0","2.0"]])"},
      {InputRule::DeepTuple, "[[1, [2]], 3]", R"(["t",["t","i1",["t","i2"]],"i3"])"},
  };
  for (const auto& c : cases) {
    HarnessParams p;
    p.rule = c.rule;
    auto r = run(program, {c.input}, p);
    ASSERT_EQ(r.tests.size(), 1u);
    EXPECT_EQ(r.tests[0].output, c.want) << input_rule_name(c.rule);
  }
}

TEST(Harness, ParsesBigIntegersAndInfinityInInputs) {
  std::string big = "1" + std::string(5000, '0');
  auto r = run("def f(a, b):\n    return [len(str(a)), b]\n", {"[" + big + ", -Infinity]"});
  ASSERT_EQ(r.tests[0].status, sandbox::Status::Ok) << r.tests[0].output;
  EXPECT_EQ(r.tests[0].output, R"(["l","i5001","f-inf"])");
}

TEST(Harness, ReferenceRunReportsTimeAndOracleValues) {
  HarnessParams p;
  p.entry_point = "surface_Area";
  p.oracle = Oracle::SurfaceArea;
  p.reference = true;
  // _surface_Area(3, 4) = round(9 + 2*3*sqrt(2.25 + 16)) = round(9 + 6*4.272001872658765) = 35
  auto r = run("def surface_Area(b, s):\n    return 2 * b * s + b * b\n", {"[3, 4]"}, p);
  ASSERT_EQ(r.tests[0].status, sandbox::Status::Ok) << r.tests[0].output;
  const std::string& o = r.tests[0].output;
  EXPECT_EQ(o.find(R"("aux":"i35")"), o.find(R"("aux")")) << o;
  EXPECT_NE(o.find(R"("out":"i33")"), std::string::npos) << o;
  EXPECT_EQ(o.rfind(R"({"seconds":)", 0), 0u) << o;
}

// Candidates that try to pass without computing the answer. Each returns something the judge must reject
// against the expected value 3 (the reference never enters the candidate's process).
TEST(Harness, RewardHacksFail) {
  Task t;
  t.task_id = "T/1";
  t.entry_point = "f";
  ExpectedOutput exp;
  exp.ok = true;
  exp.out = R"("i3")";
  exp.aux = "null";
  struct Attack {
    const char* name;
    std::string program;
  };
  std::vector<Attack> attacks = {
      {"__eq__ always True",
       "class A:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
       "def f(x):\n    return A()\n"},
      {"int subclass with lying __eq__ and __repr__",
       "class I(int):\n    def __eq__(self, o): return True\n    def __repr__(self): return '3'\n"
       "def f(x):\n    return I(5)\n"},
      {"fake __class__",
       "class F:\n    __class__ = property(lambda self: int)\n"
       "def f(x):\n    return F()\n"},
      {"expected from the caller's frames",
       "import sys\ndef f(x):\n    fr = sys._getframe(1)\n    while fr is not None:\n"
       "        for d in (fr.f_locals, fr.f_globals):\n"
       "            for k in ('expected', 'exp', 'out', 'outputs'):\n"
       "                if k in d: return d[k]\n"
       "        fr = fr.f_back\n    return None\n"},
      {"replaced builtins.type",
       "import builtins\nbuiltins.type = lambda *a: int\ndef f(x):\n    return 'x'\n"},
      {"cyclic list", "def f(x):\n    a = []\n    a.append(a)\n    return a\n"},
  };
  for (const auto& a : attacks) {
    auto r = run(a.program, {"[1]"});
    ASSERT_EQ(r.tests.size(), 1u);
    JudgeState st(t);
    std::string why;
    bool pass = r.tests[0].status == sandbox::Status::Ok && judge_output(t, exp, r.tests[0].output, st, &why);
    EXPECT_FALSE(pass) << a.name << ": " << r.tests[0].output;
  }
}

}  // namespace
}  // namespace dc::eval

// Converting AceCode-style asserts into host-judged cases: the candidate side, the expected value (typed
// encoding) and the tolerance, as decided by hand; and every shape that cannot be converted stops with one
// line naming the task and the test.
#include <gtest/gtest.h>

#include "core/error.h"
#include "rl/assert_convert.h"

namespace dc::rl {
namespace {

ConvertedAssert convert_one(const std::string& test) {
  sandbox::Pool pool(2);
  return convert_asserts({{"t.jsonl:1 (t)", {test}}}, pool).at(0).at(0);
}

std::string conversion_error(const std::string& test) {
  try {
    convert_one(test);
  } catch (const Error& e) {
    return e.what();
  }
  return "(converted)";
}

TEST(AssertConvert, TypicalAceCodeAsserts) {
  struct Case {
    std::string test, expr, expected;
    double tol;
    bool inclusive;
  };
  std::vector<Case> cases = {
      {"assert f([1,2]) == [2,1]", "f([1, 2])", R"(["l","i2","i1"])", -1, false},
      {"assert f('a') == 'A'", "f('a')", R"("sA")", -1, false},
      {"assert abs(f(1.0) - 0.5) < 1e-6", "f(1.0)", R"("f0.5")", 1e-6, false},
      {"assert abs(f(2) - 4) <= 0.01", "f(2)", R"("i4")", 0.01, true},
      {"assert 3 == g(1)", "g(1)", R"("i3")", -1, false},  // sides swap
      {"assert f(0) is None", "f(0)", "null", -1, false},
      {"assert f(1) is True, 'one is odd'", "f(1)", "true", -1, false},
      {"assert sorted(f([3, 1])) == sorted([1, 3])", "sorted(f([3, 1]))", R"(["l","i1","i3"])", -1, false},
      {"assert f(2) == (1, {'a': 2.5})", "f(2)", R"(["t","i1",["d","sa","f2.5"]])", -1, false},
      {"assert f(3) == [x * x for x in range(3)]", "f(3)", R"(["l","i0","i1","i4"])", -1, false},
      {"assert f(1) == 10 ** 30", "f(1)", R"("i1000000000000000000000000000000")", -1, false},
  };
  sandbox::Pool pool(2);
  std::vector<AssertSource> sources;
  for (const auto& c : cases) sources.push_back({"t.jsonl:1 (t)", {c.test}});
  auto got = convert_asserts(sources, pool);
  ASSERT_EQ(got.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const ConvertedAssert& g = got[i].at(0);
    EXPECT_EQ(g.expr, cases[i].expr) << cases[i].test;
    EXPECT_TRUE(g.expected.ok) << cases[i].test;
    EXPECT_EQ(g.expected.out, cases[i].expected) << cases[i].test;
    EXPECT_EQ(g.tolerance.abs, cases[i].tol) << cases[i].test;
    EXPECT_EQ(g.tolerance.inclusive, cases[i].inclusive) << cases[i].test;
  }
}

TEST(AssertConvert, UnconvertibleShapesNameTheTaskAndTheTest) {
  struct Case {
    std::string test, why;
  };
  std::vector<Case> cases = {
      {"assert f(1)", "is not `assert <expr> == <expected>`"},
      {"assert f(1) < 3", "is not `assert <expr> == <expected>`"},
      {"assert f(1) != 3", "is not `assert <expr> == <expected>`"},
      {"assert f(1) == 2 == 2", "is not `assert <expr> == <expected>`"},
      {"assert f(1) is 2", "is not `assert <expr> == <expected>`"},
      {"assert math.isclose(f(1), 0.5)", "is not `assert <expr> == <expected>`"},
      {"assert abs(f(1) - 0.5) < tol", "its tolerance uses names that are not builtins"},
      {"assert f(1) == g(2)", "both sides use names"},
      {"assert f(1) == math.pi", "both sides use names"},
      {"assert (y := f(1)) == 2", "side effect (NamedExpr)"},
      {"x = f(1)", "not one assert statement"},
      {"assert f(1) == 2; assert f(2) == 3", "not one assert statement"},
      {"assert f(1) ==", "does not parse"},
      {"assert f(1) == 1 / 0", "ZeroDivisionError"},
      {"assert f(1) == object()", "no typed encoding"},
      {"assert abs(f(1) - 'a') < 1", "a tolerance needs a number"},
      {"assert abs(f(1) - 1) < -1", "not a finite non-negative number"},
  };
  for (const auto& c : cases) {
    std::string msg = conversion_error(c.test);
    EXPECT_NE(msg.find("t.jsonl:1 (t): test 0 `" + c.test + "` cannot be converted: "), std::string::npos)
        << msg;
    EXPECT_NE(msg.find(c.why), std::string::npos) << c.test << " -> " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(AssertConvert, TheExpectedSideSeesNoCandidateAndNoFiles) {
  // Evaluated with no program loaded, in the sandbox: builtins only, and the host's files are not readable.
  EXPECT_NE(conversion_error("assert f(1) == open('" DC_SOURCE_DIR "/README.md').read()")
                .find("cannot be converted"),
            std::string::npos);
  EXPECT_EQ(convert_one("assert f(1) == len('abc')").expected.out, R"("i3")");
}

}  // namespace
}  // namespace dc::rl

// Converting assert-list tests (`"tests": ["assert f(1) == 2", ...]`, the AceCode-87K shape) into
// host-judged cases: the candidate's process only evaluates the candidate side and returns its value in
// the typed encoding; the expected side is evaluated beforehand, without any candidate code, and the
// judge compares the two in the host process.
//
// Convertible shapes (Python's own `ast` decides, in the sandbox: the tests are data, not trusted code):
//   assert <expr> == <expected>                   the eval judge's rules (eval/judge.h)
//   assert <expr> is True | False | None          the same (strict equality is identity for these)
//   assert abs(<expr> - <expected>) < <tol>       |value - expected| < tol (or <= with <=), numbers only
// with an optional `, message`. The expected side (and tol) must use no name other than Python's
// builtins: it is evaluated in an empty namespace. When only the left side qualifies, the sides swap
// (`assert 3 == f(1)`). Anything else cannot be converted: no `==` (`assert f(x)`, `assert a < b`,
// `math.isclose`), a chained or non-assert statement, `:=` / yield / await (side effects), both sides
// using the candidate's names, or an expected value that raises or has no typed encoding (a user class).
#pragma once

#include <string>
#include <vector>

#include "eval/judge.h"
#include "sandbox/sandbox.h"

namespace dc::rl {

// abs < 0: compare with the eval judge; else pass iff both values are numbers (int or float, not bool)
// and |value - expected| < abs (<= when inclusive).
struct CaseTolerance {
  double abs = -1;
  bool inclusive = false;
};

struct ConvertedAssert {
  std::string expr;               // the candidate side, a Python expression
  eval::ExpectedOutput expected;  // the expected side's value (typed encoding)
  CaseTolerance tolerance;
};

// One task's tests; `where` names it in errors ("tasks.jsonl:12 (task id)").
struct AssertSource {
  std::string where;
  std::vector<std::string> tests;
};

struct ConvertOptions {
  double seconds = 5.0;  // per test, for parsing and for evaluating the expected side
  bool use_namespaces = true;
};

// One list per source, in order. Throws dc::Error for the first test that cannot be converted:
// "WHERE: test K `assert ...` cannot be converted: WHY".
std::vector<std::vector<ConvertedAssert>> convert_asserts(const std::vector<AssertSource>& sources,
                                                          sandbox::Pool& pool,
                                                          const ConvertOptions& opt = {});

}  // namespace dc::rl

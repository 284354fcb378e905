// The judge (SPEC §8): decides, in the host process, whether a candidate's output for one test matches
// the reference. It sees only typed encodings (typed_value.h); the candidate never sees the reference.
//
// Per test, in EvalPlus's order:
//  1. exact = strict_equal(out, exp) (the same type at every level; Python == on builtins);
//  2. special oracles replace or widen `exact` (dataset.h, Oracle); find_zero decides alone;
//  3. atol: the task's atol; when it is 0 and exp is a float or a non-empty flat list/tuple of floats it
//     becomes 1e-6 for this and every later test of the run (EvalPlus keeps the raised value);
//  4. if not exact and atol != 0: pass iff type(out) == type(exp), equal lengths for lists/tuples, and
//     every number within |out - exp| <= atol + 1e-7 * |exp| (numpy.allclose, nested lists allowed);
//     else pass iff exact.
#pragma once

#include <string>

#include "eval/dataset.h"

namespace dc::eval {

// One reference result (from the canonical solution or the dataset), as cached.
struct ExpectedOutput {
  bool ok = false;     // the reference run produced a value
  std::string out;     // typed encoding of the expected value
  std::string aux;     // typed encoding of what the special oracle needs ("null" if nothing)
  double seconds = 0;  // reference duration (call + encoding)
  std::string error;   // why the reference failed (when !ok)
};

// Carries the atol that EvalPlus keeps raised across the tests of one run.
struct JudgeState {
  explicit JudgeState(const Task& task) : atol(task.atol) {}
  double atol;
};

// True when `out_text` (the candidate's typed encoding) passes against `exp`. On failure `why` (if given)
// receives a one-line explanation ("expected 3, got 4").
bool judge_output(const Task& task, const ExpectedOutput& exp, const std::string& out_text, JudgeState& state,
                  std::string* why = nullptr);

}  // namespace dc::eval

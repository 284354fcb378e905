#include "rl/case_judge.h"

#include <cmath>

#include <fmt/format.h>

#include "eval/typed_value.h"

namespace dc::rl {

bool judge_case(const RlTask& task, size_t k, const std::string& out_text, std::string* why) {
  const CaseTolerance& tol = task.tolerance[k];
  if (tol.abs < 0) {
    eval::JudgeState state(task.task);
    return eval::judge_output(task.task, task.expected[k], out_text, state, why);
  }
  // abs(value - expected) < tol: numbers only (a bool, a string or a user object never passes).
  using Kind = eval::Value::Kind;
  eval::Value out = eval::parse_typed(out_text);
  eval::Value exp = eval::parse_typed(task.expected[k].out);
  bool number = out.kind == Kind::Int || out.kind == Kind::Float;
  double diff = number ? std::fabs(eval::to_double(out) - eval::to_double(exp)) : NAN;
  bool pass = number && (tol.inclusive ? diff <= tol.abs : diff < tol.abs);
  if (!pass && why) {
    *why = fmt::format("expected {} within {}, got {}", eval::describe(exp, 60), tol.abs,
                       eval::describe(out, 60));
  }
  return pass;
}

}  // namespace dc::rl

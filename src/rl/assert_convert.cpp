#include "rl/assert_convert.h"

#include <cmath>
#include <cstddef>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/harness.h"
#include "eval/typed_value.h"
#include "rl/run_cases.h"

namespace dc::rl {

namespace {

using nlohmann::json;

// run_test(ns, test_source) -> JSON {"ok": true, "expr", "expected", "tol" (source or null),
// "inclusive"} or {"ok": false, "why"}. Only parses; nothing of the test is evaluated.
constexpr const char* kSplitHarness = R"PY(
import ast as _ast
import builtins as _builtins
import json as _json

_BUILTINS = frozenset(dir(_builtins))
_EFFECTS = (_ast.NamedExpr, _ast.Yield, _ast.YieldFrom, _ast.Await)
_SHAPES = ("it is not `assert <expr> == <expected>`, `assert <expr> is True/False/None` or "
           "`assert abs(<expr> - <expected>) < <tolerance>`")


class _No(Exception):
    pass


def _uses_program(node):
    # True when the expression reads a name that is neither a builtin nor bound inside it (comprehension
    # variables, lambda parameters).
    bound, used = set(), set()
    for n in _ast.walk(node):
        if isinstance(n, _EFFECTS):
            raise _No("it has a side effect (%s)" % type(n).__name__)
        if isinstance(n, _ast.Name):
            (used if isinstance(n.ctx, _ast.Load) else bound).add(n.id)
        elif isinstance(n, _ast.arg):
            bound.add(n.arg)
    return bool(used - bound - _BUILTINS)


def _split(test):
    if not isinstance(test, _ast.Compare) or len(test.ops) != 1:
        raise _No(_SHAPES)
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, _ast.Eq):
        return left, right, None, False
    if isinstance(op, _ast.Is) and isinstance(right, _ast.Constant) and (
            right.value is True or right.value is False or right.value is None):
        return left, right, None, False
    if (isinstance(op, (_ast.Lt, _ast.LtE)) and isinstance(left, _ast.Call) and
            isinstance(left.func, _ast.Name) and left.func.id == "abs" and len(left.args) == 1 and
            not left.keywords and isinstance(left.args[0], _ast.BinOp) and
            isinstance(left.args[0].op, _ast.Sub)):
        return left.args[0].left, left.args[0].right, right, isinstance(op, _ast.LtE)
    raise _No(_SHAPES)


def _convert(text):
    try:
        tree = _ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as e:
        raise _No("it does not parse (%s: %s)" % (type(e).__name__, e))
    if len(tree.body) != 1 or not isinstance(tree.body[0], _ast.Assert):
        raise _No("it is not one assert statement")
    cand, exp, tol, inclusive = _split(tree.body[0].test)
    cand_uses, exp_uses = _uses_program(cand), _uses_program(exp)
    if tol is not None and _uses_program(tol):
        raise _No("its tolerance uses names that are not builtins")
    if exp_uses and not cand_uses:
        cand, exp = exp, cand
    elif exp_uses:
        raise _No("both sides use names that are not builtins, so neither is a plain expected value")
    return {"ok": True, "expr": _ast.unparse(cand), "expected": _ast.unparse(exp),
            "tol": None if tol is None else _ast.unparse(tol), "inclusive": inclusive}


def run_test(ns, text):
    try:
        return _json.dumps(_convert(text))
    except _No as e:
        return _json.dumps({"ok": False, "why": str(e)})
)PY";

constexpr size_t kChunk = 2048;  // inputs per sandbox request

struct Flat {
  size_t source, test;
};

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

[[noreturn]] void fail(const AssertSource& src, size_t test, const std::string& why) {
  throw_error("{}: test {} `{}` cannot be converted: {}", src.where, test, one_line(src.tests[test]),
              one_line(why));
}

sandbox::TestRunRequest request(const std::string& harness, std::vector<std::string> inputs,
                                const ConvertOptions& opt) {
  sandbox::TestRunRequest req;
  req.harness = harness;
  req.per_test_seconds.assign(inputs.size(), opt.seconds);
  req.inputs = std::move(inputs);
  req.limits.wall_seconds = 20;
  req.limits.output_bytes = 16ull << 20;
  req.use_namespaces = opt.use_namespaces;
  return req;
}

// Runs `inputs` (flat order) through `harness` in chunks; returns one TestResult per input.
std::vector<sandbox::TestResult> run_chunked(const std::string& harness,
                                             const std::vector<std::string>& inputs, sandbox::Pool& pool,
                                             const ConvertOptions& opt) {
  std::vector<sandbox::TestRunRequest> reqs;
  for (size_t b = 0; b < inputs.size(); b += kChunk) {
    size_t e = std::min(inputs.size(), b + kChunk);
    reqs.push_back(
        request(harness, {inputs.begin() + std::ptrdiff_t(b), inputs.begin() + std::ptrdiff_t(e)}, opt));
  }
  std::vector<sandbox::TestResult> out;
  for (CaseRun& run : run_every_case(reqs, pool)) {
    if (run.program_status != sandbox::Status::Ok) {
      throw_error("converting asserts: the sandbox could not run the converter: {}", run.program_error);
    }
    for (auto& t : run.tests) out.push_back(std::move(t));
  }
  return out;
}

// The typed value of an expected side from the reference harness's {"seconds", "aux", "out"} report.
std::string reference_value(const sandbox::TestResult& t, std::string& why) {
  if (t.status != sandbox::Status::Ok) {
    why = fmt::format("evaluating it gave {}: {}", sandbox::status_name(t.status), t.output);
    return "";
  }
  json j = json::parse(t.output, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("out")) {
    why = "malformed reference output";
    return "";
  }
  return j["out"].dump();
}

}  // namespace

std::vector<std::vector<ConvertedAssert>> convert_asserts(const std::vector<AssertSource>& sources,
                                                          sandbox::Pool& pool, const ConvertOptions& opt) {
  std::vector<Flat> flat;
  std::vector<std::string> texts;
  for (size_t s = 0; s < sources.size(); ++s) {
    for (size_t t = 0; t < sources[s].tests.size(); ++t) {
      flat.push_back({s, t});
      texts.push_back(sources[s].tests[t]);
    }
  }
  std::vector<std::vector<ConvertedAssert>> out(sources.size());
  for (size_t s = 0; s < sources.size(); ++s) out[s].resize(sources[s].tests.size());
  if (flat.empty()) return out;

  // 1. Split each assert into candidate side, expected side and tolerance.
  std::vector<sandbox::TestResult> split = run_chunked(kSplitHarness, texts, pool, opt);
  std::vector<std::string> values;          // expected sides, then tolerances
  std::vector<std::pair<size_t, bool>> of;  // (flat index, is tolerance) per value
  for (size_t i = 0; i < flat.size(); ++i) {
    const AssertSource& src = sources[flat[i].source];
    if (split[i].status != sandbox::Status::Ok) {
      fail(src, flat[i].test, fmt::format("{}: {}", sandbox::status_name(split[i].status), split[i].output));
    }
    json j = json::parse(split[i].output, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(src, flat[i].test, "malformed converter output");
    if (!j.value("ok", false)) fail(src, flat[i].test, j.value("why", std::string("unknown")));
    ConvertedAssert& c = out[flat[i].source][flat[i].test];
    c.expr = j.value("expr", std::string());
    c.tolerance.inclusive = j.value("inclusive", false);
    values.push_back(j.value("expected", std::string()));
    of.push_back({i, false});
    if (j.contains("tol") && j["tol"].is_string()) {
      values.push_back(j["tol"].get<std::string>());
      of.push_back({i, true});
    }
  }

  // 2. Evaluate the expected sides and tolerances with no program loaded (the trusted reference mode of
  //    the eval harness, expression inputs).
  eval::HarnessParams hp;
  hp.kind = eval::TestKind::Expr;
  hp.reference = true;
  std::vector<sandbox::TestResult> evaluated = run_chunked(eval::harness_source(hp), values, pool, opt);
  for (size_t v = 0; v < values.size(); ++v) {
    const Flat& f = flat[of[v].first];
    const AssertSource& src = sources[f.source];
    ConvertedAssert& c = out[f.source][f.test];
    std::string why;
    std::string typed = reference_value(evaluated[v], why);
    if (typed.empty()) fail(src, f.test, (of[v].second ? "its tolerance: " : "its expected side: ") + why);
    eval::Value value = eval::parse_typed(typed);
    if (of[v].second) {
      bool number = value.kind == eval::Value::Kind::Int || value.kind == eval::Value::Kind::Float;
      double tol = number ? eval::to_double(value) : -1;
      if (!(tol >= 0) || !std::isfinite(tol)) {
        fail(src, f.test, "its tolerance is not a finite non-negative number: " + eval::describe(value));
      }
      c.tolerance.abs = tol;
      continue;
    }
    if (value.kind == eval::Value::Kind::Opaque) {
      fail(src, f.test, "its expected value has no typed encoding (not a builtin value)");
    }
    c.expected.ok = true;
    c.expected.out = typed;
    c.expected.aux = "null";
  }
  for (const Flat& f : flat) {
    const ConvertedAssert& c = out[f.source][f.test];
    auto kind = eval::parse_typed(c.expected.out).kind;
    if (c.tolerance.abs >= 0 && kind != eval::Value::Kind::Int && kind != eval::Value::Kind::Float) {
      fail(sources[f.source], f.test, "a tolerance needs a number on the expected side");
    }
  }
  return out;
}

}  // namespace dc::rl

#include "eval/sanitize.h"

#include <nlohmann/json.hpp>

#include "sandbox/sandbox.h"

namespace dc::eval {

namespace {

// run_test(ns, input_text): input {"code", "entry_point"} -> the sanitised code.
constexpr const char* kSanitizeHarness = R"PY(
import ast as _ast
import json as _json


def _parse_prefix(code):
    lines = code.split("\n")
    for end in range(len(lines), 0, -1):
        text = "\n".join(lines[:end])
        try:
            return text, _ast.parse(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
    return "", None


def _names(node):
    out = set()
    for n in _ast.walk(node):
        if isinstance(n, _ast.Name):
            out.add(n.id)
    return out


def _defined(node):
    if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
        return {node.name}
    if isinstance(node, (_ast.Assign, _ast.AnnAssign)):
        targets = node.targets if isinstance(node, _ast.Assign) else [node.target]
        out = set()
        for t in targets:
            for n in _ast.walk(t):
                if isinstance(n, _ast.Name):
                    out.add(n.id)
        return out
    return set()


def _sanitize(code, entry):
    text, tree = _parse_prefix(code)
    if tree is None:
        return code
    body = tree.body
    defs = {}
    for i, node in enumerate(body):
        for name in _defined(node):
            defs.setdefault(name, []).append(i)
    if entry not in defs:
        return code
    keep = set()
    todo = [entry]
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        for i in defs[name]:
            keep.add(i)
            todo.extend(_names(body[i]))
    lines = text.split("\n")
    out = []
    for i, node in enumerate(body):
        if i in keep or isinstance(node, (_ast.Import, _ast.ImportFrom)):
            start = node.lineno
            for d in getattr(node, "decorator_list", []):
                start = min(start, d.lineno)
            out.append("\n".join(lines[start - 1:node.end_lineno]))
    return "\n".join(out) + "\n"


def run_test(ns, input_text):
    req = _json.loads(input_text)
    return _sanitize(req["code"], req["entry_point"])
)PY";

}  // namespace

std::vector<std::string> sanitize(const std::vector<SanitizeRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.code);
  if (requests.empty()) return out;
  sandbox::TestRunRequest req;
  req.harness = kSanitizeHarness;
  req.program = "";
  for (const auto& r : requests) {
    req.inputs.push_back(nlohmann::json{{"code", r.code}, {"entry_point", r.entry_point}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  req.per_test_seconds.assign(requests.size(), 10.0);
  req.stop_at_first_failure = false;
  req.limits.wall_seconds = 20;
  req.limits.output_bytes = 16ull << 20;
  sandbox::TestRunResult res = sandbox::run_tests(req);
  for (size_t i = 0; i < requests.size() && i < res.tests.size(); ++i) {
    if (res.tests[i].status == sandbox::Status::Ok) out[i] = res.tests[i].output;
  }
  return out;
}

}  // namespace dc::eval

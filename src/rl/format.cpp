#include "rl/format.h"

#include "core/error.h"
#include "rl/run_cases.h"

namespace dc::rl {

namespace {

// run_test(ns, code): "1" when code.strip() parses; raises (SyntaxError, ValueError for NUL bytes,
// RecursionError, MemoryError) when it does not.
constexpr const char* kParseHarness = R"PY(
import ast as _ast


def run_test(ns, code):
    _ast.parse(code.strip())
    return "1"
)PY";

}  // namespace

std::optional<std::string> extract_formatted_code(const std::string& text) {
  static const std::string kOpen = "```python\n", kClose = "```\n";
  // No character before the opening fence may start a "```", so the block starts at the first "```";
  // likewise it ends at the first "```" after the opening line, which must be the text's last four bytes.
  size_t open = text.find("```");
  if (open == std::string::npos || text.compare(open, kOpen.size(), kOpen) != 0) return std::nullopt;
  size_t body = open + kOpen.size();
  size_t close = text.find("```", body);
  if (close == std::string::npos || close + kClose.size() != text.size() ||
      text.compare(close, kClose.size(), kClose) != 0) {
    return std::nullopt;
  }
  return text.substr(body, close - body);
}

std::vector<bool> parses_as_python(const std::vector<std::string>& codes, sandbox::Pool& pool,
                                   bool use_namespaces, double seconds) {
  std::vector<bool> out(codes.size(), false);
  if (codes.empty()) return out;
  sandbox::TestRunRequest req;
  req.harness = kParseHarness;
  req.inputs = codes;
  req.per_test_seconds.assign(codes.size(), seconds);
  req.limits.wall_seconds = 20;
  req.limits.output_bytes = 1 << 20;
  req.use_namespaces = use_namespaces;
  std::vector<CaseRun> runs = run_every_case({req}, pool);
  const CaseRun& run = runs[0];
  if (run.program_status != sandbox::Status::Ok) {
    // No program is loaded here: this is the sandbox failing, not the completion.
    throw_error("format check: the sandbox could not run the parser: {}", run.program_error);
  }
  for (size_t i = 0; i < codes.size(); ++i) out[i] = run.tests[i].status == sandbox::Status::Ok;
  return out;
}

}  // namespace dc::rl

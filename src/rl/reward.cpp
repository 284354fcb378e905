#include "rl/reward.h"

#include <optional>

#include <fmt/format.h>

#include "eval/harness.h"
#include "rl/case_judge.h"
#include "rl/format.h"
#include "rl/run_cases.h"

namespace dc::rl {

namespace {

using sandbox::Status;

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

sandbox::TestRunRequest case_request(const RlTask& task, const std::string& program,
                                     const RewardOptions& opt) {
  sandbox::TestRunRequest req;
  req.program = program;
  req.harness = eval::harness_source(eval::harness_params(task.task, false));
  req.inputs = task.task.base_inputs;
  req.per_test_seconds.assign(req.inputs.size(), opt.case_seconds);
  req.stop_at_first_failure = false;
  req.limits.wall_seconds = opt.load_seconds;
  req.limits.memory_bytes = opt.memory_bytes;
  req.limits.output_bytes = 16ull << 20;
  req.use_namespaces = opt.use_namespaces;
  return req;
}

// Counts the passing cases of one completion's run.
void judge_run(const RlTask& task, const CaseRun& run, Reward& r) {
  if (run.program_status != Status::Ok) {
    r.status = "program_error";
    r.detail = one_line(fmt::format("{}: {}", sandbox::status_name(run.program_status), run.program_error));
    return;
  }
  for (size_t k = 0; k < run.tests.size(); ++k) {
    const sandbox::TestResult& t = run.tests[k];
    std::string why;
    bool ok = t.status == Status::Ok && judge_case(task, k, t.output, &why);
    if (ok) {
      ++r.passed;
    } else if (r.detail.empty()) {
      r.detail = one_line(t.status == Status::Ok ? fmt::format("case {} `{}`: {}", k, task.labels[k], why)
                                                 : fmt::format("case {} `{}`: {}: {}", k, task.labels[k],
                                                               sandbox::status_name(t.status), t.output));
    }
  }
  r.status = r.passed == r.total ? "pass" : r.passed == 0 ? "fail" : "partial";
}

}  // namespace

std::vector<Reward> score_group(const RlTask& task, const std::vector<std::string>& completions,
                                const RewardOptions& opt) {
  sandbox::Pool pool(opt.workers);
  std::vector<Reward> out(completions.size());
  std::vector<std::optional<std::string>> code(completions.size());
  std::vector<std::string> matched;
  std::vector<size_t> matched_at;
  for (size_t i = 0; i < completions.size(); ++i) {
    out[i].total = int(task.cases());
    code[i] = extract_formatted_code(completions[i]);
    if (code[i]) {
      matched.push_back(*code[i]);
      matched_at.push_back(i);
    } else {
      out[i].status = "bad_format";
      out[i].detail = "not exactly one ```python block ending the text with ```\\n";
    }
  }
  std::vector<bool> parses = parses_as_python(matched, pool, opt.use_namespaces, opt.case_seconds);

  std::vector<sandbox::TestRunRequest> requests;
  std::vector<size_t> run_at;
  for (size_t m = 0; m < matched.size(); ++m) {
    Reward& r = out[matched_at[m]];
    r.format = parses[m] ? 1.0 : 0.5;
    if (!parses[m]) {
      r.status = "syntax_error";
      r.detail = "the python block does not parse";
      continue;
    }
    requests.push_back(case_request(task, matched[m], opt));
    run_at.push_back(matched_at[m]);
  }
  std::vector<CaseRun> runs = run_every_case(requests, pool);
  for (size_t k = 0; k < runs.size(); ++k) judge_run(task, runs[k], out[run_at[k]]);

  for (Reward& r : out) {
    r.code = r.format == 1.0 && r.total > 0 ? double(r.passed) / r.total : 0.0;
    r.reward = opt.code_weight * r.code + opt.format_weight * r.format;
  }
  return out;
}

}  // namespace dc::rl

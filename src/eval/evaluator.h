// Running a benchmark's candidates through the sandbox and the judge, resumably (SPEC §8).
//
// Each sample is one sandbox run: the candidate program, the trusted harness, the base inputs then the
// plus inputs, a limit of max(min_test_seconds, time_factor x reference time) per test, stop at the first
// test that raises or times out. As in EvalPlus, the base tests together and the plus tests together are
// each capped at min(task_seconds, sum of their limits) + 1 s, so that one slow sample (every test just
// under its limit) cannot hold a worker for hours. The judge then compares every output with the cached
// reference. "plus" passes only when base and plus both pass (EvalPlus).
//
// Results file (jsonl, one line per sample, appended and fsynced as samples finish):
//   {"task_id", "sample": i, "key": <sha256 of settings and program>#<occurrence>, "base": {"status",
//    "passed", "total", "detail"}, "plus": {...} | null, "base_pass": bool, "plus_pass": bool|null,
//    "seconds"}
// A re-run with the same results file skips samples whose key is already there, so an interrupted
// evaluation continues where it stopped; lines with other keys (other samples or settings) are ignored.
//
// In a job of N ranks every rank calls evaluate() with the same samples. Each sample is judged by the rank
// that generated it (Sample::rank), the others (read from a file) by the ranks in turn; rank 0 alone
// reads and writes the results file and the summary, and only its Summary is complete (see evaluate()).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dist/comm.h"
#include "eval/dataset.h"
#include "eval/expected.h"
#include "eval/samples.h"
#include "sandbox/sandbox.h"

namespace dc::eval {

// EvalPlus's default EVALPLUS_TIMEOUT_PER_TASK: the seconds one check (base or plus) of a sample may take.
inline constexpr double kEvalPlusTaskSeconds = 60.0;
// The largest accepted limits: generous beyond any benchmark, small enough that a limit times a reference
// time (at most a few seconds) stays far inside the sandbox's kMaxSeconds.
inline constexpr double kMaxMinTestSeconds = 3600.0;
inline constexpr double kMaxTimeFactor = 100.0;
inline constexpr double kMaxTaskSeconds = 86400.0;

struct EvalOptions {
  std::string results_path;  // required
  std::string summary_path;  // markdown; "" = none
  ExpectedOptions expected;
  int workers = 0;  // sandboxes at once; <= 0: one per core
  double min_test_seconds = 4.0;
  double time_factor = 4.0;
  double task_seconds = kEvalPlusTaskSeconds;  // cap of each of the base and plus checks (see above)
  uint64_t memory_bytes = 4ull << 30;
  uint64_t output_bytes = 16ull << 20;
  bool progress = true;
  bool use_namespaces = true;
  dist::Comm comm;  // the ranks sharing the judging (default: this process alone)
};

struct PartResult {
  // "pass", "wrong_answer", "exception", "program_error", "timeout", "crash", "oom", "output_limit",
  // "sandbox_error", "not_run", "no_sample"
  std::string status = "not_run";
  int passed = 0, total = 0;
  std::string detail;  // the first failure, one line
};

struct SampleResult {
  std::string task_id;
  int sample = 0;
  std::string key;
  PartResult base, plus;
  bool base_pass = false, plus_pass = false;
  double seconds = 0;
};

struct Summary {
  std::string benchmark, dataset_path, dataset_sha256, results_path, summary_path;
  bool has_plus = false;
  size_t tasks = 0, samples = 0;
  int64_t n_min = 0, n_max = 0;  // samples per task
  double pass1_base = 0, pass1_plus = 0;
  std::map<int64_t, std::pair<double, double>> pass_at_k;  // k -> (base, plus), k > 1, k <= n_min
  std::map<std::string, size_t> base_statuses, plus_statuses;
  size_t resumed = 0;  // samples taken from an earlier run
  double seconds = 0;
  std::vector<SampleResult> results;  // in sample order

  nlohmann::json to_json() const;  // without the per-sample results
  std::string to_markdown() const;
};

// Judges one finished run of `task` (inputs = base then plus), as evaluate() does. Exposed for tests.
SampleResult judge_run(const Task& task, const TaskExpected& expected, const sandbox::TestRunResult& run,
                       bool has_plus);

// The sandbox request evaluate() sends for one candidate program.
sandbox::TestRunRequest candidate_request(const Task& task, const TaskExpected& expected,
                                          const std::string& program, bool has_plus, const EvalOptions& opt);

// Evaluates every sample; tasks without a sample count as one failed sample ("no_sample"). Collective
// over opt.comm; ranks other than 0 return a Summary with the benchmark's fields only.
Summary evaluate(const Dataset& d, const std::vector<Sample>& samples, const EvalOptions& opt);

}  // namespace dc::eval

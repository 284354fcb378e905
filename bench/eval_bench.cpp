// Wall time of full benchmark runs with the canonical solutions (every plus input): the expected-output
// computation (cold cache) and the candidate run (judge included), reported separately. Prints figures;
// asserts nothing about time. Usage: bench_eval [--benchmark humaneval+ --benchmark mbpp+] [--data-dir D]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "eval/dataset.h"
#include "eval/evaluator.h"
#include "eval/expected.h"
#include "sandbox/sandbox.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{"Evaluation harness benchmark: canonical solutions through sandbox and judge"};
  std::vector<std::string> benchmarks = {"humaneval+", "mbpp+"};
  std::string data_dir = std::string(DC_SOURCE_DIR) + "/data/benchmarks";
  int workers = 0;
  app.add_option("--benchmark", benchmarks, "Benchmarks to run")->capture_default_str();
  app.add_option("--data-dir", data_dir, "Benchmark files")->capture_default_str();
  app.add_option("--workers", workers, "Sandboxes at once (0: one per core)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    fs::path tmp = fs::temp_directory_path() / ("dc-bench-eval-" + std::to_string(getpid()));
    fs::create_directories(tmp);
    std::printf("sandbox layers: %s; workers: %d\n", dc::sandbox::probe_layers().describe().c_str(),
                workers > 0 ? workers : dc::sandbox::max_concurrent_sandboxes());
    for (const auto& name : benchmarks) {
      dc::eval::Dataset d = dc::eval::load_benchmark(name, data_dir);
      size_t tests = 0;
      for (const auto& t : d.tasks) tests += t.base_inputs.size() + t.plus_inputs.size();
      dc::eval::EvalOptions o;
      o.expected.cache_dir = (tmp / "cache").string();
      o.expected.workers = workers;
      o.expected.progress = false;
      o.workers = workers;
      o.progress = false;
      o.results_path = (tmp / (name + ".results.jsonl")).string();
      auto t0 = std::chrono::steady_clock::now();
      dc::eval::load_expected(d, o.expected);
      auto t1 = std::chrono::steady_clock::now();
      std::vector<dc::eval::Sample> samples;
      for (const auto& t : d.tasks) samples.push_back({t.task_id, t.prompt + t.canonical_solution});
      dc::eval::Summary s = dc::eval::evaluate(d, samples, o);
      auto t2 = std::chrono::steady_clock::now();
      double expected_s = std::chrono::duration<double>(t1 - t0).count();
      double run_s = std::chrono::duration<double>(t2 - t1).count();
      std::printf(
          "%-11s %3zu tasks %6zu tests  expected outputs %6.1f s  canonical run %6.1f s (%7.0f tests/s)"
          "  pass@1 base %.3f plus %.3f\n",
          name.c_str(), d.tasks.size(), tests, expected_s, run_s, double(tests) / run_s, s.pass1_base,
          s.pass1_plus);
      std::fflush(stdout);
    }
    fs::remove_all(tmp);
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "bench_eval: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

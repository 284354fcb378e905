// Shared set-up for the end-to-end eval tests: where the benchmark files are, a persistent expected-output
// cache in the build tree (keyed by file hash, so reuse is safe), and fresh scratch paths.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "eval/dataset.h"
#include "eval/evaluator.h"
#include "eval/samples.h"

namespace dc::eval::testing {

inline std::string data_dir() {
  return std::string(DC_SOURCE_DIR) + "/data/benchmarks";
}
inline std::string cache_dir() {
  return std::string(DC_BINARY_DIR) + "/eval-test-cache";
}

// Removes the scratch directories when the test process exits.
struct ScratchDirs {
  std::vector<std::filesystem::path> dirs;
  ~ScratchDirs() {
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};

// A fresh directory under the system temp dir, unique per process and name.
inline std::string scratch(const std::string& name) {
  static ScratchDirs all;
  auto p = std::filesystem::temp_directory_path() / ("dc-eval-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  all.dirs.push_back(p);
  return p.string();
}

inline EvalOptions options(const std::string& dir) {
  EvalOptions o;
  o.results_path = dir + "/results.jsonl";
  o.summary_path = dir + "/summary.md";
  o.expected.cache_dir = cache_dir();
  o.expected.progress = false;
  o.progress = false;
  return o;
}

// prompt + canonical_solution for every task.
inline std::vector<Sample> canonical_samples(const Dataset& d) {
  std::vector<Sample> s;
  for (const auto& t : d.tasks) s.push_back({t.task_id, t.prompt + t.canonical_solution});
  return s;
}

}  // namespace dc::eval::testing

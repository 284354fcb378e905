// Expected outputs (SPEC §8): computed once by running each task's canonical solution (trusted, still
// inside the sandbox) on every test input, and cached on disk keyed by the SHA-256 of the benchmark file
// and the harness version. They never enter a candidate's process.
//
// Cache file: <cache_dir>/<sha256>-v<kHarnessVersion>.jsonl, one line per (task, part):
//   {"task_id": "HumanEval/0", "part": "base", "tests": [{"ok": true, "seconds": 1.2e-05, "out": <typed>,
//    "aux": <typed>}, {"ok": false, "error": "timeout"}, ...]}
// Lines are appended as parts finish (an interrupted computation resumes); a part with a failed reference
// test is not cached, so a transient failure is retried next time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "eval/dataset.h"
#include "eval/judge.h"

namespace dc::eval {

struct TaskExpected {
  std::vector<ExpectedOutput> base, plus;
};

struct ExpectedOptions {
  std::string cache_dir;      // "" = default_cache_dir()
  int workers = 0;            // sandboxes at once; <= 0: one per core
  double test_seconds = 120;  // per reference test
  bool progress = true;
  bool use_namespaces = true;
};

// $DIFFUCODER_CACHE_DIR, else $XDG_CACHE_HOME/diffucoder/expected, else ~/.cache/diffucoder/expected.
std::string default_cache_dir();

std::string expected_cache_path(const Dataset& d, const std::string& cache_dir);

// Loads what the cache holds and computes the rest (appending it to the cache). Keyed by task id.
std::map<std::string, TaskExpected> load_expected(const Dataset& d, const ExpectedOptions& opt);

// Builds the program a reference run executes for a task (prompt + canonical solution).
std::string reference_program(const Task& t);

}  // namespace dc::eval

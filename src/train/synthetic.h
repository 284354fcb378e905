// Synthetic Python function-writing tasks for training and judging small models.
//
// A template (family + name) is a parameterised problem: e.g. arithmetic/affine "return a * x + b" with
// parameters (a, b). One task = one template with one parameter tuple: a signature and docstring (the
// prompt, as in HumanEval), a canonical body, and test cases whose expected outputs are computed here in
// C++ (so a canonical solution that disagrees with its docstring's promise fails its own tests).
// Families: arithmetic, strings, lists, conditionals, loops, combinations.
//
// Splits are disjoint by template parameters: each (template, parameter tuple) belongs to exactly one split,
// decided by a hash of the template name and the parameters (not by the seed), so "train" and "heldout"
// never share a parameter tuple whatever the seeds and counts. Within a split, tasks are drawn without
// replacement, round-robin over templates, with test inputs from dc::Rng(seed). The split is skewed (affine
// and quadratic have far more parameter tuples than the rest), so `per_template` draws the same number of
// tasks from every template instead, cycling through a template's tuples again (with fresh docstring
// examples and test inputs) when it has fewer than that.
//
// Output formats:
//  * benchmark jsonl, the eval module's generic format (docs/EVAL.md): {"task_id", "prompt", "entry_point",
//    "canonical_solution", "tests": [{"input": [...], "output": ...}], "family", "template", "split"};
//  * SFT jsonl: {"prompt": user turn, "response": assistant turn} where the user turn is the HumanEval
//    instruct question ("Please complete the following problem:\n```\n{prompt}\n```\n") and the response is
//    "Here is the code to solve this problem:\n```python\n{prompt}{solution}```" (train/data.h reads it).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dc::train {

struct SyntheticTask {
  std::string task_id;                                     // "synthetic/<template>/<p0>_<p1>..."
  std::string family, name;                                // template family and name
  std::vector<int> params;                                 // the template parameters
  std::string split;                                       // "train" or "heldout"
  std::string prompt;                                      // signature + docstring, ends with "\n"
  std::string entry_point;                                 // function name
  std::string canonical_solution;                          // the body (indented), appended to the prompt
  std::vector<std::pair<std::string, std::string>> tests;  // (JSON argument list, JSON expected output)
};

// Caps on what one call generates: far more than any training set needs, and small enough that the
// tasks (each test case is a few hundred bytes) fit in memory.
inline constexpr int64_t kMaxSyntheticTasks = 1'000'000;
inline constexpr int kMaxTestsPerTask = 1000;
inline constexpr int64_t kMaxSyntheticTestCases = 10'000'000;  // count x tests_per_task

struct SyntheticOptions {
  std::string split = "train";  // "train" or "heldout"
  int64_t count = 100;          // tasks to draw (fewer when the split has fewer parameter tuples)
  int64_t per_template = 0;     // > 0: instead of `count`, this many tasks from every template
  uint64_t seed = 1;
  int heldout_percent = 20;  // share of each template's parameter tuples held out (1..99)
  int tests_per_task = 8;
  std::vector<std::string> families;  // empty: all
};

// Names of the families and of all templates ("family/name").
std::vector<std::string> synthetic_families();
std::vector<std::string> synthetic_templates();

// The split a template's parameter tuple belongs to.
std::string synthetic_split_of(const std::string& template_name, const std::vector<int>& params,
                               int heldout_percent);

// Draws tasks. Throws dc::Error on an unknown split or family, or bad counts.
std::vector<SyntheticTask> generate_synthetic_tasks(const SyntheticOptions& opt);

std::string synthetic_benchmark_line(const SyntheticTask& t);  // one jsonl line, no newline
std::string synthetic_sft_line(const SyntheticTask& t);        // one jsonl line, no newline

// Writes tasks as benchmark jsonl and/or SFT jsonl ("" = skip that file).
void write_synthetic_tasks(const std::vector<SyntheticTask>& tasks, const std::string& benchmark_path,
                           const std::string& sft_path);

}  // namespace dc::train

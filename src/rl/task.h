// RL tasks: a question for the policy and test cases that the host judges (SPEC §6, docs/RL.md).
//
// Two file formats (jsonl, gzip allowed), told apart by the first line:
//  * the generic benchmark format of `diffucoder tasks --benchmark-out` and `eval --dataset`
//    (eval/dataset.h): tests with "input" and "output", or a "canonical_solution" that computes the
//    outputs (eval's expected-output cache), or "asserts" (converted as below). The question is the
//    task's prompt posed as the eval harness poses it in chat ("Please complete the following problem:"
//    and the prompt in a fenced block; MBPP tasks without the first line), with no pre-filled answer.
//  * assert lists, the AceCode-87K shape: {"question": "...", "tests": ["assert f(1) == 2", ...],
//    "id": optional string or number}; each assert is converted to a host-judged case
//    (assert_convert.h).
// A task whose cases cannot all be judged in the host (an unconvertible assert, HumanEval's `check`
// functions) stops the load with one line naming the file, line and test.
#pragma once

#include <string>
#include <vector>

#include "eval/dataset.h"
#include "eval/expected.h"
#include "rl/assert_convert.h"

namespace dc::rl {

struct RlTask {
  std::string id;
  std::string question;  // what the policy is asked
  // How the cases run: kind Io (inputs are JSON argument lists for entry_point) or Expr (inputs are the
  // candidate sides of converted asserts). Every case is in task.base_inputs; plus_inputs is empty.
  eval::Task task;
  std::vector<eval::ExpectedOutput> expected;  // one per case
  std::vector<CaseTolerance> tolerance;        // one per case
  std::vector<std::string> labels;             // one per case: the test as written, for reports
  size_t cases() const { return task.base_inputs.size(); }
};

struct TaskLoadOptions {
  eval::ExpectedOptions expected;  // generic tasks whose outputs a canonical solution computes
  ConvertOptions convert;
  int workers = 0;  // sandboxes at once; <= 0: one per core
};

// Throws dc::Error (one line) for a missing or malformed file, a malformed line (file:line), a task
// without tests, or a test that cannot be judged in the host.
std::vector<RlTask> load_rl_tasks(const std::string& path, const TaskLoadOptions& opt = {});

// Tasks from assert lists already in memory (`where` names each in errors).
struct AssertTask {
  std::string id, question, where;
  std::vector<std::string> tests;
};
std::vector<RlTask> assert_tasks(const std::vector<AssertTask>& tasks, sandbox::Pool& pool,
                                 const ConvertOptions& opt = {});

// Tasks from a generic benchmark (eval/dataset.h); `lines[i]` is task i's line number for errors.
std::vector<RlTask> dataset_tasks(const eval::Dataset& d, const std::vector<int>& lines, sandbox::Pool& pool,
                                  const TaskLoadOptions& opt = {});

}  // namespace dc::rl

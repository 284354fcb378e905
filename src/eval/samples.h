// Candidate programs: EvalPlus-style sample files and the extraction of code from model output (SPEC §8).
#pragma once

#include <string>
#include <vector>

#include "eval/dataset.h"

namespace dc::eval {

struct Sample {
  std::string task_id;
  std::string program;  // the complete program the sandbox runs
  int rank = -1;        // the rank that generated it in this run (-1: read from a file); it judges it
};

// Reads a samples jsonl file: one {"task_id": ..., "solution": ...} (a complete program) or
// {"task_id": ..., "completion": ...} (appended to the task's prompt) per line. Text holding a ``` fence
// (chat output) is reduced to its code first (extract_code). Throws dc::Error naming the line for a
// malformed line or a task id the dataset does not have.
std::vector<Sample> load_samples(const std::string& path, const Dataset& d);

// The code in chat-style text: the body of the first ```python (or ```py, or bare ```) block, up to its
// closing fence or the end of the text. Text without a fence is returned unchanged.
std::string extract_code(const std::string& text);

// The program for a task from a "completion" (prompt + completion, or the extracted code when the
// completion is chat output with a fence) or from a "solution" (used as is, extracted if fenced).
std::string program_from_completion(const Task& task, const std::string& completion);
std::string program_from_solution(const std::string& solution);

}  // namespace dc::eval

// Samples from a model for a benchmark (SPEC §2 prompts, SPEC §8 extraction). The model is reached only
// through a CompleteFn, so tests drive this with a fake generator and the CLI with dc::TextGenerator.
//
// Instruct models get the paper's evaluation prompts: HumanEval tasks the user turn
// "Please complete the following problem:\n```\n{prompt}\n```\n", MBPP tasks "```\n{prompt}\n```\n" (the task
// prompt stripped of surrounding white space), and the assistant turn pre-filled with
// "Here is the code to solve this problem:\n```python\n". Base models complete the task prompt as text.
//
// Samples file (jsonl, appended as each batch finishes, so an interrupted run resumes):
//   {"task_id", "sample": j, "completion": <raw text>, "solution": <program>}
// It is also a valid --samples file.
//
// In a job of N ranks (`mpirun -np N diffucoder eval --model ...`) the ranks share the batches: the run's
// batches are numbered j = 0, 1, ... (each pass's missing tasks in batches of tasks_per_call, pass after
// pass) and batch j goes to rank j % N, so every batch holds the same prompts as in one process and gives
// the same text (the seed depends on the pass and on the row in the batch, never on the rank).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dist/comm.h"
#include "eval/dataset.h"
#include "eval/samples.h"

namespace dc::eval {

struct PromptRequest {
  std::string prompt;  // the user's message (chat) or the text to complete
  bool chat = false;
  std::string assistant_prefix;  // chat only
};

// Completes every request (same order). `sample` is the sample index (0..n-1): use it to vary the seed.
using CompleteFn =
    std::function<std::vector<std::string>(const std::vector<PromptRequest>& requests, int sample)>;

// The request for one task.
PromptRequest eval_prompt(const Task& task, bool chat);

// The program a model's answer gives: chat answers continue an open ```python block, so the code runs to
// the closing fence; imports of the task prompt are kept in front (the model often leaves them out);
// if the entry point is not defined the answer is treated as a completion of the prompt. Base answers
// are appended to the prompt. generate_samples then sanitises chat programs (sanitize.h).
std::string program_from_answer(const Task& task, const std::string& answer, bool chat);

struct GenerateSamplesOptions {
  int n = 1;  // samples per task
  bool chat = false;
  std::string samples_path;  // required: appended and resumed
  bool progress = true;
  size_t tasks_per_call = 0;  // requests per CompleteFn call; 0 = all tasks of a pass at once
  dist::Comm comm;            // the ranks sharing the batches (default: this process alone)
};

// Generates what the samples file does not hold yet and returns every sample in (sample, task) order, on
// every rank; Sample::rank is the rank that generated a sample in this call (-1: read from the file).
// Only rank 0 writes the samples file (see generation.cpp for how a job records its progress).
//
// Test-only fault injection: DIFFUCODER_FAULT_KILL="RANK:BATCH" makes rank RANK fail with a dc::Error just
// before it generates batch BATCH, as a rank that is killed there would stop (the tests interrupt a run
// at a known point with it).
std::vector<Sample> generate_samples(const Dataset& d, const CompleteFn& complete,
                                     const GenerateSamplesOptions& opt);

}  // namespace dc::eval

// The RL reward (SPEC §6): reward = code_weight * code + format_weight * format, per completion.
//
//  format: 1.0 when the completion is exactly one ```python block closing the text with "```\n" and the
//          block parses as Python, 0.5 when the shape matches but the block does not parse, else 0
//          (format.h).
//  code:   the fraction of the task's cases passed, computed only when format == 1 (else 0). The block
//          is the program; each case has its own time limit; every case runs (a failing, crashing or
//          exiting case does not stop the others: the program is started again after it); the values
//          are compared with the expected ones in this process (case_judge.h), never in the candidate's.
//          An exit code means nothing: `sys.exit(0)` or `os._exit(0)` anywhere scores no case.
//
// Completions are the decoded text with special tokens removed. Nothing is written to disk per sample;
// the sandboxes of one group run concurrently. score_group may be called from several threads at once
// (the sandbox caps how many processes run in all).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rl/task.h"

namespace dc::rl {

struct RewardOptions {
  double code_weight = 2.0;
  double format_weight = 0.5;
  double case_seconds = 5.0;           // per case
  double load_seconds = 20.0;          // interpreter start and loading the program
  uint64_t memory_bytes = 4ull << 30;  // per sandbox
  int workers = 0;                     // sandboxes at once for one group; <= 0: one per core
  bool use_namespaces = true;
};

struct Reward {
  double reward = 0, code = 0, format = 0;
  int passed = 0, total = 0;  // cases (total = the task's cases; passed = 0 when format < 1)
  // "pass" (every case), "partial", "fail" (no case), "program_error" (the block did not load),
  // "syntax_error" (format 0.5), "bad_format" (format 0)
  std::string status;
  std::string detail;  // the first failure, one line
};

std::vector<Reward> score_group(const RlTask& task, const std::vector<std::string>& completions,
                                const RewardOptions& opt = {});

}  // namespace dc::rl

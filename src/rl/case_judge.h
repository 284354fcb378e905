// Judging one case of an RL task in the host process: the candidate's typed value against the expected
// one, with the eval judge's rules (strict types, EvalPlus's float rule) or a converted assert's absolute
// tolerance (assert_convert.h).
#pragma once

#include <string>

#include "rl/task.h"

namespace dc::rl {

// True when `out_text` (the candidate's typed encoding for case `k`) passes; `why` gets a one-line reason
// otherwise. Each case is judged alone (a fresh eval::JudgeState: EvalPlus's raised atol does not carry
// over from one case to the next).
bool judge_case(const RlTask& task, size_t k, const std::string& out_text, std::string* why = nullptr);

}  // namespace dc::rl

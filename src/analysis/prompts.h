// Prompts for `diffucoder analyze --model --prompt-file F.jsonl`: JSON lines with a `prompt` string and
// optionally a `task_id` (the benchmark files themselves come through the eval module's loaders). Only
// those two fields are read: benchmark-style lines may also hold integers beyond 64 bits and the
// non-standard tokens Infinity / NaN, so each line is scanned for its top-level members instead of being
// parsed as a whole. The raw `prompt` is the model input; templates are the caller's business.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dc::analysis {

struct PromptTask {
  std::string id;      // task_id, or "WHAT:LINE" when the line has none
  std::string prompt;  // the raw prompt text
};

// Every non-blank line of `text` (JSON lines); `what` (a path) prefixes errors. Throws dc::Error naming
// WHAT:LINE for a line that is not an object with a string `prompt`, and for text without any line.
std::vector<PromptTask> parse_prompt_lines(std::string_view text, const std::string& what);

}  // namespace dc::analysis

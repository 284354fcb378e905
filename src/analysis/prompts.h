// Prompts for `diffucoder analyze --model`: benchmark task files (JSON lines with a `prompt` string and
// optionally a `task_id`, e.g. HumanEval.jsonl / MbppPlus.jsonl after decompression) or one plain-text
// prompt. Only those two fields are read: the benchmark lines also hold integers beyond 64 bits and the
// non-standard tokens Infinity / NaN, so each line is scanned for its top-level members instead of being
// parsed as a whole. For base models the raw `prompt` is the model input (HumanEval: the function
// signature and docstring), so no template is applied here.
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

// The path of a named benchmark: "humaneval" -> DATA_DIR/HumanEval.jsonl.gz, "mbpp+" / "mbppplus" ->
// DATA_DIR/MbppPlus.jsonl.gz, "humaneval+" -> DATA_DIR/HumanEvalPlus.jsonl.gz; anything else is taken as a
// file path.
std::string benchmark_path(const std::string& name, const std::string& data_dir);

}  // namespace dc::analysis

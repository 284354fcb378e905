// Prompt text for DiffuCoder / Dream instruct models (SPEC §2), as plain strings: Tokenizer::encode turns
// the role markers (<|im_start|>, <|im_end|>) into their special-token ids, since added tokens are matched
// inside text. Nothing here is tokenised or depends on a vocabulary.
//
// The instruct layout, exactly (note the newline before the user's <|im_end|>, which the standard Qwen2.5
// ChatML template does not have):
//   <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{query}\n<|im_end|>\n<|im_start|>assistant\n
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dc {

inline constexpr std::string_view kDefaultSystemPrompt = "You are a helpful assistant.";

// The instruct prompt for one user turn; `system` nullopt means kDefaultSystemPrompt.
std::string instruct_prompt(std::string_view query, std::optional<std::string_view> system = std::nullopt);

// Evaluation prompts pre-fill the assistant turn. HumanEval: the user turn is
//   "Please complete the following problem:\n```\n{task_prompt}\n```\n"
// and the assistant turn starts with "Here is the code to solve this problem:\n```python\n".
// `task_prompt` is inserted as given (callers strip it first if their harness does).
std::string humaneval_prompt(std::string_view task_prompt,
                             std::optional<std::string_view> system = std::nullopt);

// MBPP: as HumanEval without the first line of the user turn: "```\n{task_prompt}\n```\n".
std::string mbpp_prompt(std::string_view task_prompt, std::optional<std::string_view> system = std::nullopt);

// The assistant prefix that humaneval_prompt and mbpp_prompt end with.
inline constexpr std::string_view kEvalAssistantPrefix =
    "Here is the code to solve this problem:\n```python\n";

}  // namespace dc

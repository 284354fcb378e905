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

// LLaDA-8B-Instruct's template (Llama-3 headers with LLaDA's bos, docs/LLADA.md §6) for one user turn and
// the generation prompt; no default system prompt (an empty `system` adds no system turn). Contents are
// trimmed of surrounding whitespace as the template's `| trim` does:
//   <|startoftext|>[<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>]
//   <|start_header_id|>user<|end_header_id|>\n\n{query}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n
std::string llada_chat_prompt(std::string_view query, std::string_view system = {});

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

// DiffuCoder prompt layouts (see chat_template.h).
#include "tokenizer/chat_template.h"

namespace dc {

std::string instruct_prompt(std::string_view query, std::optional<std::string_view> system) {
  std::string s;
  s.reserve(query.size() + 128);
  s += "<|im_start|>system\n";
  s += system.value_or(kDefaultSystemPrompt);
  s += "<|im_end|>\n<|im_start|>user\n";
  s += query;
  s += "\n<|im_end|>\n<|im_start|>assistant\n";
  return s;
}

std::string humaneval_prompt(std::string_view task_prompt, std::optional<std::string_view> system) {
  std::string user = "Please complete the following problem:\n```\n";
  user += task_prompt;
  user += "\n```\n";
  return instruct_prompt(user, system) + std::string(kEvalAssistantPrefix);
}

std::string mbpp_prompt(std::string_view task_prompt, std::optional<std::string_view> system) {
  std::string user = "```\n";
  user += task_prompt;
  user += "\n```\n";
  return instruct_prompt(user, system) + std::string(kEvalAssistantPrefix);
}

}  // namespace dc

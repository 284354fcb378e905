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

namespace {

std::string_view trimmed(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

void llada_turn(std::string& s, std::string_view role, std::string_view content) {
  s += "<|start_header_id|>";
  s += role;
  s += "<|end_header_id|>\n\n";
  s += trimmed(content);
  s += "<|eot_id|>";
}

}  // namespace

std::string llada_chat_prompt(std::string_view query, std::string_view system) {
  std::string s = "<|startoftext|>";
  if (!trimmed(system).empty()) llada_turn(s, "system", system);
  llada_turn(s, "user", query);
  s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
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

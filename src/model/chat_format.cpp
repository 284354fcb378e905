// Choosing the chat template by architecture (see chat_format.h).
#include "model/chat_format.h"

#include <optional>

#include "tokenizer/chat_template.h"

namespace dc {

std::string chat_prompt(Arch arch, std::string_view query, std::string_view system) {
  if (arch == Arch::Llada) return llada_chat_prompt(query, system);
  return instruct_prompt(query, system.empty() ? std::nullopt : std::optional<std::string_view>(system));
}

}  // namespace dc

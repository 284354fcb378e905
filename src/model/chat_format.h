// The instruct prompt of a model's architecture (architecture.h) for one user turn: Dream / DiffuCoder's
// ChatML layout (tokenizer/chat_template.h: instruct_prompt, system "You are a helpful assistant." by
// default) or LLaDA's Llama-3 header layout (llada_chat_prompt, no system turn by default). The one place
// that chooses between them: generation, SFT data and RL prompts all call it.
#pragma once

#include <string>
#include <string_view>

#include "model/architecture.h"

namespace dc {

// `system` empty: the architecture's default.
std::string chat_prompt(Arch arch, std::string_view query, std::string_view system = {});

}  // namespace dc

// The JSON bodies the server sends, in OpenAI's shapes: whole responses ("text_completion",
// "chat.completion"), stream chunks ("text_completion" / "chat.completion.chunk"), the model list, and the
// canvas extension of a stream ("diffusion.canvas": every slot's text, null where masked). Each returns one
// line; text that is not valid UTF-8 is repaired, never thrown on.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "server/completion_request.h"

namespace dc::server {

struct ResponseHeader {
  std::string id;       // "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;
  Endpoint endpoint = Endpoint::Completions;
};

struct ChoiceOutput {
  std::string text;
  std::string finish_reason;  // "stop" or "length"
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

std::string completion_body(const ResponseHeader& h, std::span<const ChoiceOutput> choices,
                            const Usage& usage);

// One choice's stream chunk: `delta` text (chat: with the assistant role on `first`), and when the choice
// ended its finish_reason (otherwise null).
std::string chunk_body(const ResponseHeader& h, int index, const std::string& delta, bool first,
                       const std::optional<std::string>& finish_reason);

// The stream's last chunk before [DONE]: no choices, the usage of the whole request.
std::string usage_chunk_body(const ResponseHeader& h, const Usage& usage);

// The canvas of every choice after a step: `slots[i]` holds each slot's text (nullopt: masked), `fresh[i]`
// the slots this step committed.
std::string canvas_body(const ResponseHeader& h, int step, int total_steps,
                        const std::vector<std::vector<std::optional<std::string>>>& slots,
                        const std::vector<std::vector<int32_t>>& fresh);

// GET /v1/models: one model.
std::string models_body(const std::string& model, int64_t created);

}  // namespace dc::server

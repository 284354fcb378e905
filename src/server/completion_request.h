// The body of POST /v1/completions and /v1/chat/completions, parsed and validated before any work is
// queued. Fields (anything else is a 400 "unknown_field"):
//   OpenAI: model, prompt (completions) | messages (chat), max_tokens, temperature, top_p, top_k, seed,
//           stop (string or array), n, stream
//   diffusion settings under their CLI names: steps, alg, alg_temp, block_length, eps, threshold, factor,
//           early_stop, cache, precision
//   extension: stream_canvas (with stream: also send the whole canvas after every step)
// Defaults are those of `diffucoder generate` (temperature 0.2, top_p 0.95, steps = max_tokens) with
// max_tokens 128. Chat messages: an optional system message, then one user message (the instruct template
// holds one turn).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "decode/params.h"
#include "generate/text_generator.h"
#include "model/architecture.h"
#include "server/limits.h"

namespace dc::server {

enum class Endpoint { Completions, ChatCompletions };

struct CompletionRequest {
  Endpoint endpoint = Endpoint::Completions;
  std::string model;        // as the client named it (echoed back)
  TextRequest text;         // the prompt, or the user's message with chat = true
  GenerationParams params;  // validated; seed is the request's (choice i draws from stream i)
  int n = 1;
  bool stream = false;
  bool stream_canvas = false;
  std::vector<std::string> stop;
};

// Throws ApiError (400) naming the field for malformed JSON, invalid UTF-8, wrong types, unknown fields and
// values out of range (limits: max_tokens, n, stop). `arch` gives the model's default remasking rule and
// block length.
CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint,
                                           const ServerLimits& limits, Arch arch);

// A string of the settings that must agree for two requests to be decoded in one batch: every generation
// setting but the seed, and the prompt kind (chat or not: it sets the end tokens).
std::string batch_key(const CompletionRequest& r);

}  // namespace dc::server

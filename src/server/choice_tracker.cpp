// Per-choice streaming state (see choice_tracker.h).
#include "server/choice_tracker.h"

#include <algorithm>

namespace dc::server {

ChoiceTracker::ChoiceTracker(const TextGenerator& generator, bool chat, std::vector<std::string> stops)
    : generator_(generator), chat_(chat), mask_(generator.special().mask), delta_(std::move(stops)) {}

std::string ChoiceTracker::update(std::span<const int32_t> slots, bool complete) {
  if (finished_) return {};
  const auto first_mask = std::find(slots.begin(), slots.end(), mask_);
  const std::span<const int32_t> prefix(slots.begin(), first_mask);
  const std::vector<int32_t> answer = generator_.postprocess(prefix, chat_);
  const bool marker = answer.size() < prefix.size();  // an end marker lies inside the committed prefix
  const bool settled = marker || first_mask == slots.end() || complete;
  const Tokenizer& tok = generator_.tokenizer();
  std::string delta = delta_.update(tok.decode_bytes(answer), settled);
  if (!delta_.stopped() && !settled) return delta;
  finished_ = true;
  finish_reason_ = delta_.stopped() || marker ? "stop" : "length";
  // Tokens whose bytes begin before the end of the returned text.
  size_t bytes = 0;
  for (int32_t id : answer) {
    if (bytes >= delta_.sent().size() && delta_.stopped()) break;
    bytes += tok.decode_bytes(std::span(&id, 1)).size();
    ++completion_tokens_;
  }
  return delta;
}

}  // namespace dc::server

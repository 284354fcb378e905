// One choice (one batch row) of a request while it is decoded: after every step it takes the row's
// generated slots, cuts the committed prefix to the answer (TextGenerator::postprocess), and produces the
// streamed delta (StreamDelta). It knows when the answer is settled before decoding ends: an end marker or
// a stop string inside the committed prefix fixes everything before it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "generate/text_generator.h"
#include "server/stream_delta.h"

namespace dc::server {

class ChoiceTracker {
 public:
  ChoiceTracker(const TextGenerator& generator, bool chat, std::vector<std::string> stops);

  // `slots`: the row's L generated slots now (the mask token where still masked). Returns the text to
  // append to what was sent; `complete`: decoding has ended, every slot is final. Once finished(), returns
  // nothing more.
  std::string update(std::span<const int32_t> slots, bool complete);

  bool finished() const { return finished_; }
  // "stop" (end marker or stop string) or "length" (every slot filled, no end); valid once finished().
  const std::string& finish_reason() const { return finish_reason_; }
  const std::string& text() const { return delta_.sent(); }
  // The answer tokens that make text() (a token that a stop string cuts counts).
  int completion_tokens() const { return completion_tokens_; }

 private:
  const TextGenerator& generator_;
  bool chat_;
  int32_t mask_;
  StreamDelta delta_;
  bool finished_ = false;
  std::string finish_reason_;
  int completion_tokens_ = 0;
};

}  // namespace dc::server

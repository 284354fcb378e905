// Append-only text of a diffusion answer that grows while it is decoded. A diffusion model commits tokens
// anywhere on the canvas, so what a client may be sent is the answer's longest committed prefix; this turns
// successive prefixes (as bytes) into deltas that never take text back:
//  * a trailing UTF-8 sequence that is still incomplete is held back until its last byte arrives;
//  * text that might begin a stop string is held back until it is known not to;
//  * at the first stop string the answer ends, cut before it.
// Stop rule: the answer is cut at the stop occurrence that ends first (the longest of those ending at the
// same byte), so that a prefix decides exactly what the whole answer would.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dc::server {

struct StopMatch {
  size_t begin = 0;  // byte offset of the stop string in the text
  size_t end = 0;    // one past its last byte
};

// The first stop occurrence in `text` by the rule above, or nullopt.
std::optional<StopMatch> find_stop(std::string_view text, std::span<const std::string> stops);

// Length of the longest suffix of `text` that is a proper prefix of one of `stops` (0 when none).
size_t stop_prefix_suffix(std::string_view text, std::span<const std::string> stops);

// Bytes at the end of `bytes` that start a UTF-8 sequence not yet complete (0 to 3).
size_t incomplete_utf8_suffix(std::string_view bytes);

class StreamDelta {
 public:
  explicit StreamDelta(std::vector<std::string> stops = {}) : stops_(std::move(stops)) {}

  // `bytes`: the answer's bytes so far, each call's a prefix of the next's (decode_bytes of the committed
  // answer tokens); `final`: the answer is complete. Returns the text to append to what was sent. Ill-formed
  // UTF-8 becomes U+FFFD (Tokenizer::decode's repair), so the whole sent text equals the final answer.
  std::string update(std::string_view bytes, bool final);

  bool stopped() const { return stopped_; }          // a stop string ended the answer
  const std::string& sent() const { return sent_; }  // every delta so far, concatenated

 private:
  std::vector<std::string> stops_;
  std::string sent_;
  bool stopped_ = false;
};

}  // namespace dc::server

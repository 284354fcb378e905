// Deltas of the committed prefix (see stream_delta.h).
#include "server/stream_delta.h"

#include "tokenizer/utf8.h"

namespace dc::server {

std::optional<StopMatch> find_stop(std::string_view text, std::span<const std::string> stops) {
  std::optional<StopMatch> best;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    const size_t at = text.find(s);
    if (at == std::string_view::npos) continue;
    const StopMatch m{at, at + s.size()};
    if (!best || m.end < best->end || (m.end == best->end && m.begin < best->begin)) best = m;
  }
  return best;
}

size_t stop_prefix_suffix(std::string_view text, std::span<const std::string> stops) {
  size_t longest = 0;
  for (const std::string& s : stops) {
    for (size_t len = std::min(text.size(), s.size() - 1); len > longest; --len) {
      if (text.substr(text.size() - len) == std::string_view(s).substr(0, len)) {
        longest = len;
        break;
      }
    }
  }
  return longest;
}

size_t incomplete_utf8_suffix(std::string_view bytes) {
  // Look back over at most 3 continuation bytes for the lead byte of the last sequence.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= std::min<size_t>(n, 4); ++back) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking
    const size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    // Incomplete only when the bytes so far could still become a well-formed sequence: an ill-formed start
    // is repaired now (it can never complete).
    if (need <= back) return 0;
    std::string probe(bytes.substr(n - back));
    static constexpr char kMaxContinuation[] = "\x80\x80\x80";
    probe.append(kMaxContinuation, need - back);
    for (unsigned char fill = 0x80; fill <= 0xBF; ++fill) {
      probe.replace(back, need - back, need - back, char(fill));
      if (tok::utf8_sequence_length(probe, 0) == need) return back;
    }
    return 0;
  }
  return 0;
}

std::string StreamDelta::update(std::string_view bytes, bool final) {
  if (stopped_) return {};
  const size_t usable = final ? bytes.size() : bytes.size() - incomplete_utf8_suffix(bytes);
  const std::string_view head = bytes.substr(0, usable);
  std::string text = tok::utf8_is_valid(head) ? std::string(head) : tok::utf8_lossy(head);
  size_t limit = text.size();
  if (const auto m = find_stop(text, stops_)) {
    limit = m->begin;
    stopped_ = true;
  } else if (!final) {
    limit -= stop_prefix_suffix(text, stops_);
  }
  // Never retract: a limit below what was sent (possible only when a caller breaks the prefix contract)
  // sends nothing more.
  if (limit <= sent_.size() || text.compare(0, sent_.size(), sent_) != 0) return {};
  std::string delta = text.substr(sent_.size(), limit - sent_.size());
  sent_ += delta;
  return delta;
}

}  // namespace dc::server

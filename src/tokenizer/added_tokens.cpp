// Added-token matching (see added_tokens.h).
#include "tokenizer/added_tokens.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace dc::tok {

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens, std::vector<std::string> patterns)
    : tokens_(std::move(tokens)), patterns_(std::move(patterns)) {
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (!patterns_[i].empty()) by_first_byte_[uint8_t(patterns_[i][0])].push_back(int(i));
  }
  for (auto& list : by_first_byte_) {
    std::stable_sort(list.begin(), list.end(),
                     [&](int a, int b) { return patterns_[a].size() > patterns_[b].size(); });
  }
}

int AddedTokenMatcher::longest_at(std::string_view text, size_t pos) const {
  for (int i : by_first_byte_[uint8_t(text[pos])]) {
    const std::string& p = patterns_[i];
    if (text.size() - pos >= p.size() && text.compare(pos, p.size(), p) == 0) return i;
  }
  return -1;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Piece>& pieces) const {
  if (text.empty()) return;
  size_t done = 0;  // end of the last emitted piece
  size_t pos = 0;   // where the search for the next match resumes
  while (pos < text.size()) {
    const int m = by_first_byte_[uint8_t(text[pos])].empty() ? -1 : longest_at(text, pos);
    if (m < 0) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens_[m];
    size_t start = pos, stop = pos + patterns_[m].size();
    pos = stop;
    if (t.single_word) {
      size_t len;
      const bool word_before = start > 0 && is_unicode_word(utf8_decode_before(text, start, &len));
      const bool word_after = stop < text.size() && is_unicode_word(utf8_decode_at(text, stop, &len));
      if (word_before || word_after) continue;
    }
    if (t.lstrip) {
      size_t s = start;
      while (s > 0) {
        size_t len;
        if (!is_unicode_space(utf8_decode_before(text, s, &len))) break;
        s -= len;
      }
      start = std::max(s, done);
    }
    if (t.rstrip) {
      while (stop < text.size()) {
        size_t len;
        if (!is_unicode_space(utf8_decode_at(text, stop, &len))) break;
        stop += len;
      }
    }
    if (done < start) pieces.push_back({-1, uint32_t(done), uint32_t(start)});
    pieces.push_back({t.id, uint32_t(start), uint32_t(stop)});
    done = stop;
  }
  if (done < text.size()) pieces.push_back({-1, uint32_t(done), uint32_t(text.size())});
}

}  // namespace dc::tok

// Iterating over the lines of a JSON-lines text: one callback per non-blank line with its 1-based line
// number (for "FILE:LINE: ..." errors). Lines end at '\n'; a missing final newline is fine.
#pragma once

#include <string_view>

namespace dc {

template <typename Fn>  // Fn: void(std::string_view line, int line_no)
void for_each_nonblank_line(std::string_view text, Fn&& fn) {
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    fn(line, line_no);
  }
}

}  // namespace dc

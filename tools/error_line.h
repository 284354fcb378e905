// One error, one line: the CLI prints every error as a single stderr line, but messages often quote what
// the user gave (a task_id, a path, a token) and those may hold newlines or terminal escapes. Control
// characters are written as escapes (\n, \t, \xNN) so that a message can never span lines or drive the
// terminal.
#pragma once

#include <string>
#include <string_view>

namespace dc::cli {

inline std::string one_line(std::string_view msg) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(msg.size());
  for (const char ch : msg) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace dc::cli

// Token-id list parsing (see id_list.h).
#include "tokenizer/id_list.h"

#include <charconv>

#include "core/error.h"

namespace dc::tok {

std::vector<int32_t> parse_id_list(std::string_view text, const std::string& source) {
  // Strip one pair of brackets around the whole list (a JSON array); inside, separators are white space
  // and commas. A JSON array therefore parses the same way as the plain form.
  size_t a = text.find_first_not_of(" \t\r\n");
  size_t b = text.find_last_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  std::string_view body = text.substr(a, b - a + 1);
  if (body.front() == '[') {
    if (body.back() != ']') throw_error("{}: a JSON array of ids must end with ']'", source);
    body = body.substr(1, body.size() - 2);
  }
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < body.size() && body[j] != ' ' && body[j] != '\t' && body[j] != '\r' && body[j] != '\n' &&
           body[j] != ',') {
      ++j;
    }
    const std::string_view item = body.substr(i, j - i);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || end != item.data() + item.size()) {
      throw_error("{}: '{}' is not a token id (expected integers separated by spaces or commas)", source,
                  item.substr(0, 40));
    }
    if (v < 0 || v > INT32_MAX) throw_error("{}: token id {} is out of range", source, v);
    ids.push_back(int32_t(v));
    i = j;
  }
  return ids;
}

}  // namespace dc::tok

// See records.h.
#include "dist/records.h"

#include <charconv>

#include "core/error.h"

namespace dc::dist {

std::string pack(const std::vector<std::string>& records) {
  std::string out;
  for (const std::string& r : records) {
    out += std::to_string(r.size());
    out += ':';
    out += r;
  }
  return out;
}

std::vector<std::string> unpack(std::string_view bytes) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t colon = bytes.find(':', pos);
    size_t n = 0;
    const char* first = bytes.data() + pos;
    const char* last = colon == std::string_view::npos ? nullptr : bytes.data() + colon;
    if (last == nullptr || last == first || std::from_chars(first, last, n).ptr != last ||
        n > bytes.size() - colon - 1)
      throw_error("dist: a packed record at byte {} is malformed", pos);
    out.emplace_back(bytes.substr(colon + 1, n));
    pos = colon + 1 + n;
  }
  return out;
}

}  // namespace dc::dist

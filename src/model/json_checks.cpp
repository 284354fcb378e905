#include "model/json_checks.h"

#include <set>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"

namespace dc {

nlohmann::json parse_json_checked(std::string_view text, const std::string& source) {
  // One set of seen keys per open object (the callback sees object starts, keys and object ends in order).
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  int duplicate_depth = 0;
  auto cb = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) {
      open_objects.emplace_back();
    } else if (event == E::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == E::key && !open_objects.empty() && parsed.is_string()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(k).second && duplicate.empty()) {
        duplicate = k;
        duplicate_depth = int(open_objects.size());
      }
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end(), cb);
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: the rest says where and what.
    if (!msg.empty() && msg[0] == '[') {
      size_t close = msg.find("] ");
      if (close != std::string::npos) msg = msg.substr(close + 2);
    }
    throw_error("{}: bad JSON: {}", source, printable(msg, 300));
  }
  if (!duplicate.empty())
    throw_error("{}: duplicate key '{}' in {}", source, printable(duplicate),
                duplicate_depth == 1 ? "the top-level object" : "a nested object");
  return j;
}

std::string printable(std::string_view s, size_t max_chars) {
  std::string out;
  size_t shown = 0;
  for (unsigned char c : s) {
    if (shown >= max_chars) {
      out += "...";
      break;
    }
    if (c == '\\' || c == '\'' || c == '"') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += char(c);
    }
    ++shown;
  }
  return out;
}

const char* json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    case nlohmann::json::value_t::binary:
      return "binary";
    case nlohmann::json::value_t::discarded:
      return "discarded";
  }
  return "?";
}

}  // namespace dc

// Helpers shared by the checkpoint file parsers (config.json, safetensors headers, the shard index): strict
// JSON parsing that turns every failure into one dc::Error line, and safe quoting of untrusted strings.
// Internal to src/model/; nothing here knows about models.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dc {

// Parses `text` as JSON. Throws dc::Error "SOURCE: bad JSON: <parser message>" on a syntax error, and
// "SOURCE: duplicate key 'K' in the top-level object" (or "in a nested object") when an object repeats a key
// (nlohmann would silently keep the last one; a repeated tensor name is a malformed file, not a choice to
// make).
nlohmann::json parse_json_checked(std::string_view text, const std::string& source);

// `s` with control characters, quotes, backslashes and bytes >= 0x7f written as escapes, cut to at most
// `max_chars` characters (then "..."), so that an untrusted name never breaks a one-line message.
std::string printable(std::string_view s, size_t max_chars = 200);

// Name of a JSON value's type for messages: "string", "number", "object", ...
const char* json_type_name(const nlohmann::json& v);

}  // namespace dc

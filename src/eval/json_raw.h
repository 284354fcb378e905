// Splitting JSON text into raw value spans without interpreting numbers. Benchmark files hold integers
// beyond 64 bits and the non-standard tokens NaN / Infinity / -Infinity, which a C++ JSON library would
// reject or round; the project keeps such values as text and lets Python parse them inside the sandbox.
// Only strings are decoded here (through nlohmann::json, which handles every escape).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dc::eval::json_raw {

// The span of the JSON value that starts at s[pos] (leading white space skipped) and the position after
// it. Accepts NaN, Infinity, -Infinity and numbers of any length. Throws dc::Error("{where}: ...").
std::string_view value_at(std::string_view s, size_t& pos, const std::string& where);

// The members of a JSON object, in file order, as (decoded key, raw value) pairs.
std::vector<std::pair<std::string, std::string_view>> object_members(std::string_view s,
                                                                     const std::string& where);

// The items of a JSON array as raw spans.
std::vector<std::string_view> array_items(std::string_view s, const std::string& where);

// A JSON string literal decoded to UTF-8. Throws if `raw` is not a string.
std::string decode_string(std::string_view raw, const std::string& where);

// A JSON number (or NaN / Infinity token) as a double. Throws if `raw` is not a number.
double decode_number(std::string_view raw, const std::string& where);

}  // namespace dc::eval::json_raw

// Parsing token-id lists typed by a user (the `tokenize --decode` input): a JSON array ("[1, 2, 3]") or
// integers separated by white space and/or commas ("1 2,3"). Bad input is a one-line dc::Error naming
// `source` (e.g. "--text" or "stdin") and the offending item.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dc::tok {

std::vector<int32_t> parse_id_list(std::string_view text, const std::string& source);

}  // namespace dc::tok

// Lists of byte strings as one string, for gather() and broadcast(): each record is its length in decimal,
// a ':' and its bytes (any bytes: a program a model wrote may hold newlines or invalid UTF-8). The form
// concatenates: the gathered packs of several ranks, joined in rank order, are the pack of their records
// in that order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dc::dist {

std::string pack(const std::vector<std::string>& records);

// Inverse of pack (of one pack or of several joined). Throws dc::Error on bytes that are not a pack.
std::vector<std::string> unpack(std::string_view bytes);

}  // namespace dc::dist

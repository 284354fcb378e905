// CLI11's parse errors in words a user acts on. Most of its messages already name the flag and the value;
// the one for a flag given twice ("--threads: At Most 1 required but received 2") reads like a count of
// values, so it is rewritten to say what to do.
#pragma once

#include <regex>
#include <string>

namespace dc::cli {

inline std::string usage_message(const std::string& what) {
  static const std::regex at_most(R"(^(\S+): At Most 1 required but received (\d+)$)");
  std::smatch m;
  if (std::regex_match(what, m, at_most))
    return m[1].str() + ": takes one value but was given " + m[2].str() + " (give the flag once)";
  return what;
}

}  // namespace dc::cli

// Reducing a model's code answer to what the evaluation needs (SPEC §8, extraction): parse it with
// Python's ast (the longest prefix of lines that parses, when the whole does not), then keep the imports
// and the classes, functions and top-level assignments reachable from the entry point, in their original
// order and text. Top-level test code (prints, asserts, `if __name__ == "__main__":` blocks) is dropped.
// The parsing runs in the sandbox (trusted code over untrusted text); nothing of the answer is executed.
#pragma once

#include <string>
#include <vector>

namespace dc::eval {

struct SanitizeRequest {
  std::string code;
  std::string entry_point;
};

// One result per request. When the entry point is not defined, or the sandbox cannot run, the code is
// returned unchanged.
std::vector<std::string> sanitize(const std::vector<SanitizeRequest>& requests);

}  // namespace dc::eval

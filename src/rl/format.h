// The format part of the reward (SPEC §6). A completion (decoded with special tokens removed) has the
// expected format when it is
//     <text without ```> ```python\n <code without ```> ```\n
// and nothing else: exactly one fence opening with "```python" and a newline, one closing fence, and the
// text ends with that closing "```\n". Then the code between the fences (leading and trailing whitespace
// stripped) must parse as Python: format = 1.0 if it does, 0.5 if it does not, 0.0 when the shape does
// not match. Parsing runs Python's `ast.parse` in the sandbox; nothing of the code is executed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"

namespace dc::rl {

// The code between the fences (unstripped, as it will be run) when `text` has the shape above.
std::optional<std::string> extract_formatted_code(const std::string& text);

// Whether each code text, stripped, parses as Python (one sandbox run for them all; a parse that raises
// anything or runs past `seconds` counts as not parsing).
std::vector<bool> parses_as_python(const std::vector<std::string>& codes, sandbox::Pool& pool,
                                   bool use_namespaces = true, double seconds = 5.0);

}  // namespace dc::rl

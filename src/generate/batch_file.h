// The prompts of `generate --batch-file`: JSON lines, one object per prompt,
//   {"prompt": "...", "chat": true|false (optional), "system": "..." (optional)}
// Blank lines are skipped; fields a line leaves out come from the defaults (the command's --chat and
// --system). Every malformed line is one dc::Error "FILE:LINE: what is wrong".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "generate/text_generator.h"

namespace dc {

// `text` is the file's content; `path` names it in errors. Throws when a line is malformed or when the
// text holds no prompt.
std::vector<TextRequest> parse_batch_file(std::string_view text, const std::string& path,
                                          const TextRequest& defaults);

// Reads `path` (dc::Error naming it when unreadable) and parses it as above.
std::vector<TextRequest> read_batch_file(const std::string& path, const TextRequest& defaults);

}  // namespace dc

// Reading a file that may be gzip-compressed (benchmark .jsonl.gz files are read in place).
#pragma once

#include <string>

namespace dc::eval {

// The file's bytes, decompressed when they start with the gzip magic (1f 8b). Throws dc::Error naming the
// path for a missing file or corrupt gzip data.
std::string read_maybe_gzip(const std::string& path);

// Decompresses gzip bytes; `what` names the source in errors.
std::string gunzip(const std::string& data, const std::string& what);

}  // namespace dc::eval

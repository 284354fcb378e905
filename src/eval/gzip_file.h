// Reading a file that may be gzip-compressed (benchmark .jsonl.gz files are read in place).
#pragma once

#include <cstdint>
#include <string>

namespace dc::eval {

// The file's bytes, decompressed when they start with the gzip magic (1f 8b). Throws dc::Error naming the
// path for a missing file or corrupt gzip data.
std::string read_maybe_gzip(const std::string& path);

// The most a gzip file may decompress to: 256 MiB, 33 times the largest benchmark file (HumanEvalPlus,
// 7.7 MB) and room for 200 samples per task of 164 tasks at 8 KB each. A 1 MB gzip bomb that expands to
// 1 GiB stops here with one line instead of taking the memory.
inline constexpr uint64_t kMaxGunzipBytes = uint64_t(256) << 20;

// Decompresses gzip bytes; `what` names the source in errors. Throws dc::Error for corrupt data and for
// output beyond max_bytes (checked as it is produced, so at most max_bytes are ever held).
std::string gunzip(const std::string& data, const std::string& what, uint64_t max_bytes = kMaxGunzipBytes);

}  // namespace dc::eval

// Standard input read with a size cap: a command that holds its whole input (and a few working copies of
// it) must not be driven out of memory by an unbounded stream. Exceeding the cap is one dc::Error line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"

namespace dc::cli {

inline std::string read_stdin_capped(uint64_t max_bytes, const std::string& what) {
  std::string data;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), stdin)) > 0) {
    if (data.size() + n > max_bytes)
      throw_error("{}: standard input is larger than {} MiB, the cap for one input", what, max_bytes >> 20);
    data.append(buf, n);
  }
  return data;
}

}  // namespace dc::cli

// Internal: how the DC_ISA environment variable selects the instruction set (exposed for tests).
#pragma once

#include <string>

#include "kernels/ops.h"

namespace dc::kernels {

// The ISA for DC_ISA=value ("scalar", "avx2", "avx512"; null or empty: best). A value above `best` or an
// unknown name gives `best` and a one-line *warning (printed once at start-up, where no error boundary
// exists yet).
Isa isa_from_env(const char* value, Isa best, std::string* warning);

}  // namespace dc::kernels

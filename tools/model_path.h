// Where a subcommand finds its model when --model is not given.
#pragma once

#include <string>

#include "model/architecture.h"

namespace dc::cli {

// Returns `given` if non-empty (a training run folder with a `latest` file: its latest checkpoint); else
// $DIFFUCODER_MODEL; else the bundled model (models/diffucoder-tiny in the source tree) if present; else the
// small test model (tests/testdata/tiny-dream).
std::string resolve_model_dir(const std::string& given);

// The architecture of the model at `dir` (a folder or a GGUF file), from its config alone (cheap: read before
// any weights, so flags are checked against it first). Throws dc::Error naming the file.
Arch model_arch(const std::string& dir);

}  // namespace dc::cli

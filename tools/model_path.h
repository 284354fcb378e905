// Where a subcommand finds its model when --model is not given.
#pragma once

#include <string>

namespace dc::cli {

// Returns `given` if non-empty (a training run folder with a `latest` file: its latest checkpoint); else
// $DIFFUCODER_MODEL; else the bundled model (models/diffucoder-tiny in the source tree) if present; else the
// small test model (tests/testdata/tiny-dream).
std::string resolve_model_dir(const std::string& given);

}  // namespace dc::cli

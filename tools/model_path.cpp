#include "model_path.h"

#include <cstdlib>
#include <filesystem>

#include "model/model_files.h"
#include "train/trainer.h"

namespace dc::cli {

std::string resolve_model_dir(const std::string& given) {
  if (!given.empty()) {
    // A training run folder (checkpoint-<step>/ + `latest`) stands for its latest checkpoint.
    const std::filesystem::path p = given;
    if (!std::filesystem::exists(p / "config.json") && std::filesystem::is_regular_file(p / "latest"))
      return train::latest_checkpoint(given);
    return given;
  }
  if (const char* env = std::getenv("DIFFUCODER_MODEL"); env && *env) return env;
  const std::filesystem::path root = DC_SOURCE_DIR;
  for (const char* rel : {"models/diffucoder-tiny", "tests/testdata/tiny-dream"}) {
    if (std::filesystem::exists(root / rel / "config.json")) return (root / rel).string();
  }
  return (root / "tests/testdata/tiny-dream").string();
}

Arch model_arch(const std::string& dir) {
  return load_model_config_at(dir).arch;
}

}  // namespace dc::cli

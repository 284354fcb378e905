// Shared set-up for the rl tests: task loading with the expected-output cache in the build tree, fast
// limits, and a helper that wraps code in the one ```python block the format rule wants.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rl/reward.h"
#include "rl/task.h"

namespace dc::rl::testing {

inline TaskLoadOptions load_options() {
  TaskLoadOptions o;
  o.expected.cache_dir = std::string(DC_BINARY_DIR) + "/rl-test-cache";
  o.expected.progress = false;
  return o;
}

inline RewardOptions fast_options() {
  RewardOptions o;
  o.case_seconds = 1.0;
  o.memory_bytes = 1ull << 30;
  o.load_seconds = 5.0;
  return o;
}

inline std::string block(const std::string& code) {
  return "```python\n" + code + "```\n";
}

// A file under a fresh per-process directory in the system temp dir (removed with the directory at exit).
inline std::string temp_file(const std::string& name, const std::string& contents) {
  static struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("dc-rl-test-" + std::to_string(getpid()));
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir;
  std::string p = (dir.path / name).string();
  std::ofstream(p, std::ios::binary) << contents;
  return p;
}

// Tasks from assert lists in memory.
inline RlTask assert_task(const std::string& id, const std::vector<std::string>& tests) {
  sandbox::Pool pool(2);
  return assert_tasks({{id, "Write " + id + ".", id, tests}}, pool).at(0);
}

}  // namespace dc::rl::testing

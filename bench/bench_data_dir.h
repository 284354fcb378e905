// Where benchmarks keep the files they write once and reuse (random or sparse checkpoints): bench-data/
// beside the build folder's bin/, or a folder under the system's temporary directory.
#pragma once

#include <filesystem>
#include <string>

namespace dc::bench {

inline std::string default_data_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return (std::filesystem::temp_directory_path() / "diffucoder-bench-data").string();
  return (exe.parent_path().parent_path() / "bench-data").string();
}

}  // namespace dc::bench

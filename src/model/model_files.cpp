#include "model/model_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "model/gguf.h"
#include "model/gguf_dream.h"
#include "tokenizer/loader.h"

namespace dc {

namespace fs = std::filesystem;

namespace {

bool has_gguf_magic(const std::string& path) {
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, 4) && std::string_view(magic, 4) == "GGUF";
}

}  // namespace

std::string find_gguf(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec))
    return has_gguf_magic(path) || fs::path(path).extension() == ".gguf" ? path : "";
  if (!fs::is_directory(path, ec)) return "";
  const fs::path dir = path;
  if (fs::exists(dir / "model.safetensors", ec) || fs::exists(dir / "model.safetensors.index.json", ec))
    return "";
  std::vector<std::string> found;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".gguf" && it->is_regular_file(ec)) found.push_back(it->path().string());
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    throw_error("{}: {} .gguf files ({}, {}, ...) and no safetensors; name one file with --model", path,
                found.size(), fs::path(found[0]).filename().string(), fs::path(found[1]).filename().string());
  }
  return found.empty() ? "" : found[0];
}

ModelConfig load_model_config_at(const std::string& path) {
  if (const std::string gguf = find_gguf(path); !gguf.empty())
    return dream_config_from_gguf(GgufFile::open(gguf));
  return load_model_config((fs::path(path) / "config.json").string());
}

Tokenizer load_model_tokenizer(const std::string& path) {
  if (const std::string gguf = find_gguf(path); !gguf.empty())
    return Tokenizer::from_spec(tokenizer_spec_from_gguf(GgufFile::open(gguf)), gguf);
  return Tokenizer::load(path);
}

}  // namespace dc

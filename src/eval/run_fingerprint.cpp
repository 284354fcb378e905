#include "eval/run_fingerprint.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "core/mapped_file.h"

namespace dc::eval {

namespace fs = std::filesystem;

nlohmann::json generation_fingerprint(const std::string& model_dir, const GenerationParams& p, bool chat) {
  std::vector<fs::path> paths;
  std::error_code ec;
  if (fs::is_regular_file(model_dir, ec)) {
    paths.push_back(model_dir);  // a GGUF file is the whole model
  } else {
    for (fs::directory_iterator it(model_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (it->is_regular_file() &&
          (name.ends_with(".safetensors") || name.ends_with(".json") || name.ends_with(".gguf")))
        paths.push_back(it->path());
    }
    if (ec) throw_error("{}: cannot list the model folder: {}", model_dir, ec.message());
  }
  std::sort(paths.begin(), paths.end());
  nlohmann::json files = nlohmann::json::array();
  for (const fs::path& f : paths) {
    const auto mtime = fs::last_write_time(f).time_since_epoch();
    files.push_back({{"name", f.filename().string()},
                     {"bytes", fs::file_size(f)},
                     {"mtime_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count()}});
  }
  nlohmann::json out = {{"model", fs::absolute(model_dir).lexically_normal().string()},
                        {"files", files},
                        {"chat", chat},
                        {"alg", std::string(alg_name(p.alg))},
                        {"steps", p.steps},
                        {"max_new_tokens", p.max_new_tokens},
                        {"temperature", p.temperature},
                        {"top_p", p.top_p},
                        {"top_k", p.top_k},
                        {"alg_temp", p.alg_temp},
                        {"eps", p.eps},
                        {"block_length", p.block_length},
                        {"seed", p.seed}};
  // The fast-decoding settings only when on, so that runs started before they existed still resume.
  if (p.threshold > 0) out["threshold"] = p.threshold;
  if (p.factor > 0) out["factor"] = p.factor;
  if (p.early_stop) out["early_stop"] = true;
  if (p.cache != CacheMode::None) out["cache"] = std::string(cache_name(p.cache));
  if (p.precision != kernels::Precision::Exact) out["precision"] = std::string(precision_name(p.precision));
  return out;
}

std::string fingerprint_path(const std::string& samples_path) {
  constexpr std::string_view kSuffix = ".samples.jsonl";
  if (samples_path.ends_with(kSuffix))
    return samples_path.substr(0, samples_path.size() - kSuffix.size()) + ".generation.json";
  return samples_path + ".generation.json";
}

void check_generation_fingerprint(const std::string& samples_path, const nlohmann::json& now) {
  const std::string path = fingerprint_path(samples_path);
  if (fs::exists(samples_path) && fs::exists(path)) {
    const nlohmann::json before = nlohmann::json::parse(read_file(path), nullptr, false);
    if (!before.is_discarded() && before != now) {
      std::string what;
      for (const auto& [key, value] : now.items())
        if (!before.contains(key) || before[key] != value) what += (what.empty() ? "" : ", ") + key;
      throw_error(
          "{}: holds samples generated with another {} (see {}); give another --out-dir or delete them",
          samples_path, what.empty() ? std::string("setup") : what, path);
    }
  }
  write_file_atomic(path, now.dump(2) + "\n");
}

}  // namespace dc::eval

// The output folder of a resumable run (see run_folder.h).
#include "train/run_folder.h"

#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/config.h"
#include "model/safetensors.h"
#include "model/safetensors_writer.h"

namespace dc::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kTokenizerFiles[] = {"tokenizer.json", "tokenizer_config.json",   "vocab.json",
                                           "merges.txt",     "special_tokens_map.json", "added_tokens.json"};

}  // namespace

std::string latest_checkpoint(const std::string& out_dir) {
  const std::string ptr = out_dir + "/latest";
  if (!fs::exists(ptr)) return "";
  std::string name = read_file(ptr);
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  if (name.empty() || name.find('/') != std::string::npos || !fs::is_directory(out_dir + "/" + name))
    throw_error("{}: does not name a checkpoint folder inside {}", ptr, out_dir);
  return fs::absolute(out_dir + "/" + name).string();
}

std::string publish_checkpoint(const std::string& out_dir, int64_t step,
                               const std::function<void(const std::string& dir)>& fill) {
  const std::string name = fmt::format("checkpoint-{}", step);
  const std::string tmp = out_dir + "/." + name + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  fill(tmp);
  fs::remove_all(out_dir + "/" + name);
  fs::rename(tmp, out_dir + "/" + name);
  write_file_atomic(out_dir + "/latest", name + "\n");
  for (const auto& e : fs::directory_iterator(out_dir)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("checkpoint-", 0) == 0 && f != name) fs::remove_all(e.path());
  }
  return fs::absolute(out_dir + "/" + name).string();
}

void write_model_folder(const std::string& dir, const ModelParams& p, DType dtype,
                        const std::string& tokenizer_dir) {
  fs::create_directories(dir);
  ModelConfig c = p.config;
  c.torch_dtype = dtype == DType::BF16 ? "bfloat16" : "float32";
  write_file_atomic(dir + "/config.json", model_config_to_json(c));
  save_params(p, dir + "/model.safetensors", dtype);
  if (tokenizer_dir.empty()) return;
  for (const char* f : kTokenizerFiles)
    if (fs::exists(tokenizer_dir + "/" + f))
      write_file_atomic(dir + "/" + f, read_file(tokenizer_dir + "/" + f));
}

void write_optimizer_state(const std::string& dir, AdamW& opt, const json& state,
                           const std::string& state_file) {
  std::vector<TensorRef> refs;
  for (const ParamTensor& t : opt.m().tensors)
    refs.push_back({"m." + t.name, {DType::F32, t.shape, t.data.data()}});
  for (const ParamTensor& t : opt.v().tensors)
    refs.push_back({"v." + t.name, {DType::F32, t.shape, t.data.data()}});
  write_safetensors(dir + "/optimizer.safetensors", refs);
  write_file_atomic(dir + "/" + state_file, state.dump(2) + "\n");
}

void load_f32_tensors(const std::string& path, const std::string& prefix, ModelParams& p) {
  SafetensorsFile f(path);
  for (ParamTensor& t : p.tensors) {
    const TensorView& tv = f.get(prefix + t.name);
    if (tv.dtype != DType::F32 || tv.shape != t.shape)
      throw_error("{}: tensor '{}{}' has the wrong type or shape", path, prefix, t.name);
    std::memcpy(t.data.data(), tv.data, t.data.size() * 4);
  }
}

void load_optimizer_moments(const std::string& path, AdamW& opt) {
  load_f32_tensors(path, "m.", opt.m());
  load_f32_tensors(path, "v.", opt.v());
}

void check_resume_state(const std::string& state_path, const json& state, const json& expected) {
  for (auto& [k, v] : expected.items())
    if (state.value(k, json()) != v)
      throw_error("{}: {} is {}, but this run uses {}", state_path, k, state.value(k, json()).dump(),
                  v.dump());
}

std::vector<json> keep_metrics_until(const std::string& metrics_path, int64_t step) {
  std::vector<json> kept_json;
  std::string kept;
  if (fs::exists(metrics_path)) {
    std::istringstream in(read_file(metrics_path));
    for (std::string line; std::getline(in, line);) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("step", int64_t(0)) > step) continue;
      kept += line + "\n";
      kept_json.push_back(std::move(j));
    }
  }
  write_file_atomic(metrics_path, kept);
  return kept_json;
}

std::string hms(double s) {
  const int64_t t = int64_t(std::max(0.0, s));
  return fmt::format("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
}

}  // namespace dc::train

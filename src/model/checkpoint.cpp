#include "model/checkpoint.h"

#include "model/tensor_table.h"

#include <sys/stat.h>

#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/gguf_dream.h"
#include "model/json_checks.h"
#include "model/model_files.h"

namespace dc {

namespace {

using nlohmann::json;

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// A shard name from the index must be a plain file name in the checkpoint folder (no escaping it).
bool plain_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

}  // namespace

std::map<std::string, std::string> parse_safetensors_index(std::string_view text,
                                                           const std::string& index_path) {
  json j = parse_json_checked(text, index_path);
  if (!j.is_object()) throw_error("{}: expected a JSON object, got {}", index_path, json_type_name(j));
  auto wm = j.find("weight_map");
  if (wm == j.end()) throw_error("{}: missing 'weight_map'", index_path);
  if (!wm->is_object())
    throw_error("{}: 'weight_map' must be an object, got {}", index_path, json_type_name(*wm));
  if (wm->empty()) throw_error("{}: 'weight_map' is empty", index_path);
  std::map<std::string, std::string> out;
  for (const auto& [name, file] : wm->items()) {
    if (!file.is_string())
      throw_error("{}: 'weight_map' entry for '{}' must be a file name string, got {}", index_path,
                  printable(name), json_type_name(file));
    const auto& f = file.get_ref<const std::string&>();
    if (!plain_file_name(f))
      throw_error("{}: shard '{}' for tensor '{}' must be a file name inside the checkpoint folder",
                  index_path, printable(f), printable(name));
    out[name] = f;
  }
  return out;
}

Checkpoint Checkpoint::from_views(std::string label, ModelConfig config,
                                  std::map<std::string, TensorView> tensors) {
  Checkpoint ck;
  ck.dir_ = std::move(label);
  ck.config_ = std::move(config);
  ck.tensors_ = std::move(tensors);
  for (const auto& kv : ck.tensors_) ck.owner_.emplace(kv.first, ck.dir_);
  return ck;
}

Checkpoint Checkpoint::open(const std::string& dir) {
  Checkpoint ck;
  ck.dir_ = dir;
  if (const std::string gguf = find_gguf(dir); !gguf.empty()) {
    ck.gguf_ = std::make_unique<GgufFile>(GgufFile::open(gguf));
    ck.config_ = dream_config_from_gguf(*ck.gguf_);
    for (const auto& [name, view] : ck.gguf_->tensors()) {
      std::string hf = hf_name_of(name);
      if (hf.empty()) hf = name;  // kept under its GGUF name: listed by unexpected_tensors()
      if (!ck.tensors_.emplace(hf, view).second)
        throw_error("{}: tensor '{}' is stored twice (once as '{}')", gguf, printable(hf), printable(name));
      ck.owner_.emplace(hf, gguf);
    }
    return ck;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw_error("{}: not a checkpoint folder (expected a directory with config.json and safetensors)", dir);
  ck.config_ = load_model_config(join(dir, "config.json"));

  const std::string single = join(dir, "model.safetensors");
  const std::string index = join(dir, "model.safetensors.index.json");
  if (is_regular_file(single)) {
    // Like transformers, a single model.safetensors takes precedence over an index.
    ck.files_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& [name, view] : ck.files_.back()->tensors()) {
      ck.tensors_.emplace(name, view);
      ck.owner_.emplace(name, single);
    }
  } else if (is_regular_file(index)) {
    const auto weight_map = parse_safetensors_index(read_file(index), index);
    std::map<std::string, std::vector<std::string>> by_shard;  // shard -> tensor names the index assigns it
    for (const auto& [name, shard] : weight_map) by_shard[shard].push_back(name);
    for (const auto& [shard, names] : by_shard) {
      const std::string path = join(dir, shard);
      if (!is_regular_file(path))
        throw_error("{}: shard '{}' (holding '{}') does not exist", index, printable(shard),
                    printable(names[0]));
      ck.files_.push_back(std::make_unique<SafetensorsFile>(path));
      const SafetensorsFile* f = ck.files_.back().get();
      for (const auto& name : names) {
        if (!f->has(name))
          throw_error("{}: tensor '{}' listed in model.safetensors.index.json is missing from this shard",
                      path, printable(name));
        ck.tensors_.emplace(name, f->get(name));
        ck.owner_.emplace(name, path);
      }
      for (const auto& [name, view] : f->tensors()) {
        auto it = weight_map.find(name);
        if (it == weight_map.end() || it->second != shard)
          throw_error("{}: tensor '{}' is not assigned to this shard by model.safetensors.index.json", path,
                      printable(name));
      }
    }
  } else {
    throw_error("{}: no model.safetensors or model.safetensors.index.json", dir);
  }
  return ck;
}

const TensorView& Checkpoint::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw_error("{}: missing tensor '{}'", dir_, printable(name));
  return it->second;
}

const std::string& Checkpoint::file_of(const std::string& name) const {
  auto it = owner_.find(name);
  if (it == owner_.end()) throw_error("{}: missing tensor '{}'", dir_, printable(name));
  return it->second;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& kv : tensors_) out.push_back(kv.first);
  return out;
}

void Checkpoint::drop_pages(const std::string& name) const {
  const TensorView& t = get(name);
  if (gguf_ && gguf_->drop_pages(t.data, t.nbytes())) return;
  for (const auto& f : files_)
    if (f->drop_pages(t.data, t.nbytes())) return;
}

uint64_t Checkpoint::total_bytes() const {
  uint64_t n = 0;
  for (const auto& kv : tensors_) n += kv.second.nbytes();
  return n;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> tensor_shapes(const ModelConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (TensorSpec& t : tensor_table(c)) out.emplace_back(std::move(t.name), std::move(t.shape));
  return out;
}

namespace {

// The output head's spec as if the embeddings were untied (a tied checkpoint may still carry one).
TensorSpec untied_head(const ModelConfig& c) {
  ModelConfig untied = c;
  untied.tie_word_embeddings = false;
  return tensor_table(untied).back();
}

}  // namespace

void validate_tensors(const Checkpoint& ck) {
  const ModelConfig& c = ck.config();
  auto check = [&](const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& t = ck.get(name);  // throws "DIR: missing tensor 'NAME'"
    if (t.shape != shape)
      throw_error("{}: tensor '{}' has shape {} but the config implies {}", ck.file_of(name), name,
                  shape_string(t.shape), shape_string(shape));
    const bool is_float = t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16;
    if (shape.size() == 1 && !is_float)
      throw_error("{}: tensor '{}' has dtype {}; norms and biases must be F32, F16 or BF16", ck.file_of(name),
                  name, dtype_name(t.dtype));
    if (!is_float && !dtype_is_block(t.dtype))
      throw_error("{}: tensor '{}' has dtype {}; weights must be F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K",
                  ck.file_of(name), name, dtype_name(t.dtype));
  };
  for (const auto& [name, shape] : tensor_shapes(c)) check(name, shape);
  const TensorSpec head = untied_head(c);
  if (c.tie_word_embeddings && ck.has(head.name)) check(head.name, head.shape);
}

std::vector<std::string> unexpected_tensors(const Checkpoint& ck) {
  std::set<std::string> expected;
  for (const auto& kv : tensor_shapes(ck.config())) expected.insert(kv.first);
  expected.insert(untied_head(ck.config()).name);
  std::vector<std::string> out;
  for (const auto& name : ck.names())
    if (!expected.count(name)) out.push_back(name);
  return out;
}

}  // namespace dc

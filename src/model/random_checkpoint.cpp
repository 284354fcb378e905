// Random-weight Dream checkpoints; see random_checkpoint.h.
#include "model/random_checkpoint.h"
#include "model/tensor_table.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/rng.h"
#include "model/checkpoint.h"
#include "model/safetensors_writer.h"

namespace dc {

ModelConfig qwen25_05b_dream_config() {
  ModelConfig c;
  c.hidden_size = 896;
  c.num_hidden_layers = 24;
  c.num_attention_heads = 14;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.intermediate_size = 4864;
  c.vocab_size = 151936;
  c.max_position_embeddings = 32768;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 1e6;
  c.tie_word_embeddings = true;
  c.mask_token_id = 151666;
  c.pad_token_id = 151643;
  c.bos_token_id = 151665;
  c.eos_token_id = 151643;
  return c;
}

ModelConfig diffucoder_7b_config() {
  ModelConfig c;
  c.hidden_size = 3584;
  c.num_hidden_layers = 28;
  c.num_attention_heads = 28;
  c.num_key_value_heads = 4;
  c.head_dim = 128;
  c.intermediate_size = 18944;
  c.vocab_size = 152064;
  c.max_position_embeddings = 131072;
  c.rope_theta = 1e6;
  c.mask_token_id = 151666;
  c.pad_token_id = c.bos_token_id = c.eos_token_id = 151643;
  c.torch_dtype = "bfloat16";
  return c;
}

namespace {

std::string stamp_of(const ModelConfig& cfg, DType dtype, uint64_t seed) {
  return model_config_to_json(cfg) + "\nrandom weights: dtype " + dtype_name(dtype) + ", seed " +
         std::to_string(seed) + "\n";
}

// One tensor of random values (bf16-representable), stored as `dtype`.
TensorView random_tensor(Rng& rng, DType dtype, std::vector<int64_t> shape, float std_dev, float mean,
                         std::vector<uint8_t>& bytes) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  bytes.resize(size_t(n) * dtype_size(dtype));
  const float a = std_dev * std::sqrt(3.0f);  // uniform(-a, a) has std a / sqrt(3)
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = f32_to_bf16(mean + a * (2.0f * rng.uniform() - 1.0f));
    if (dtype == DType::BF16) {
      reinterpret_cast<uint16_t*>(bytes.data())[i] = h;
    } else {
      reinterpret_cast<float*>(bytes.data())[i] = bf16_to_f32(h);
    }
  }
  return TensorView{dtype, std::move(shape), bytes.data()};
}

}  // namespace

bool random_dream_checkpoint_exists(const std::string& dir, const ModelConfig& cfg, DType dtype,
                                    uint64_t seed) {
  const std::string stamp = dir + "/random_weights.txt";
  if (!std::filesystem::exists(stamp)) return false;
  return read_file(stamp) == stamp_of(cfg, dtype, seed);
}

void write_random_checkpoint(const std::string& dir, const ModelConfig& cfg, DType dtype, uint64_t seed,
                             int64_t layers_per_shard) {
  if (dtype != DType::F32 && dtype != DType::BF16)
    throw_error("{}: random checkpoints are F32 or BF16, not {}", dir, dtype_name(dtype));
  validate_model_config(cfg, dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_error("{}: cannot create folder: {}", dir, ec.message());
  std::filesystem::remove(dir + "/random_weights.txt", ec);

  const std::vector<TensorSpec> table = tensor_table(cfg);
  Rng rng(seed);
  // Shard 0: embeddings, final norm, head; then groups of layers_per_shard layers.
  const int64_t groups = (cfg.num_hidden_layers + layers_per_shard - 1) / layers_per_shard;
  const int64_t shards = 1 + groups;
  std::map<std::string, std::string> weight_map;
  uint64_t total = 0;
  for (int64_t s = 0; s < shards; ++s) {
    std::vector<TensorRef> refs;
    std::vector<std::vector<uint8_t>> store;
    store.reserve(16 * size_t(layers_per_shard) + 4);
    auto add = [&](const std::string& name, std::vector<int64_t> shape, float std_dev, float mean) {
      store.emplace_back();
      refs.push_back({name, random_tensor(rng, dtype, std::move(shape), std_dev, mean, store.back())});
    };
    // Shard 0 holds the tensors outside the layers, shard s >= 1 layers [l0, l1), each in table order.
    const int64_t l0 = s == 0 ? -1 : (s - 1) * layers_per_shard;
    const int64_t l1 = s == 0 ? -1 : std::min(cfg.num_hidden_layers, l0 + layers_per_shard);
    for (const TensorSpec& t : table) {
      if (s == 0 ? t.layer != -1 : (t.layer < l0 || t.layer >= l1)) continue;
      switch (t.role) {
        case TensorRole::Embedding:
          add(t.name, t.shape, 1.0f, 0.0f);
          break;
        case TensorRole::Norm:
          add(t.name, t.shape, 0.0f, 1.0f);
          break;
        case TensorRole::Bias:
          add(t.name, t.shape, 0.1f, 0.0f);
          break;
        case TensorRole::Matrix:
        case TensorRole::Head:
          add(t.name, t.shape, 1.0f / std::sqrt(float(t.shape[1])), 0.0f);  // std 1/sqrt(fan_in)
          break;
      }
    }
    const std::string file = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards);
    write_safetensors(dir + "/" + file, refs, {{"format", "pt"}});
    for (const TensorRef& r : refs) {
      weight_map[r.name] = file;
      total += r.view.nbytes();
    }
  }
  write_safetensors_index(dir + "/model.safetensors.index.json", weight_map, total);
  ModelConfig stored = cfg;
  stored.torch_dtype = dtype == DType::BF16 ? "bfloat16" : "float32";
  write_file_atomic(dir + "/config.json", model_config_to_json(stored));
  write_file_atomic(dir + "/random_weights.txt", stamp_of(cfg, dtype, seed));
}

void write_sparse_checkpoint(const std::string& dir, const ModelConfig& cfg, int shards) {
  DC_ASSERT(shards >= 1);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_error("{}: cannot create folder: {}", dir, ec.message());
  ModelConfig stored = cfg;
  stored.torch_dtype = "bfloat16";
  write_file_atomic(dir + "/config.json", model_config_to_json(stored));
  const auto shapes = tensor_shapes(cfg);
  std::map<std::string, std::string> weight_map;
  uint64_t total = 0;
  const size_t per = (shapes.size() + size_t(shards) - 1) / size_t(shards);
  for (int s = 0; s < shards; ++s) {
    const std::string name = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards);
    nlohmann::json header = nlohmann::json::object();
    uint64_t off = 0;
    for (size_t i = size_t(s) * per; i < std::min(shapes.size(), size_t(s + 1) * per); ++i) {
      uint64_t nb = 2;
      for (int64_t d : shapes[i].second) nb *= uint64_t(d);
      header[shapes[i].first] = {
          {"dtype", "BF16"}, {"shape", shapes[i].second}, {"data_offsets", {off, off + nb}}};
      weight_map[shapes[i].first] = name;
      off += nb;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const uint64_t n = text.size();
    const std::string path = dir + "/" + name;
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(reinterpret_cast<const char*>(&n), 8);
      f.write(text.data(), std::streamsize(text.size()));
      if (!f) throw_error("{}: cannot write", path);
    }
    std::filesystem::resize_file(path, 8 + n + off, ec);
    if (ec) throw_error("{}: cannot extend to {} bytes: {}", path, 8 + n + off, ec.message());
    total += off;
  }
  write_safetensors_index(dir + "/model.safetensors.index.json", weight_map, total);
}

}  // namespace dc

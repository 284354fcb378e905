// Helpers for the checkpoint tests: temporary folders, hand-assembled safetensors bytes, small Dream
// checkpoints whose every weight value is a known formula, and an exact-message assertion for dc::Error.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/safetensors_writer.h"

namespace dc::testing {

// Asserts that `stmt` throws dc::Error whose message is exactly `msg`.
#define EXPECT_DC_ERROR(stmt, msg)                        \
  do {                                                    \
    try {                                                 \
      stmt;                                               \
      ADD_FAILURE() << "expected dc::Error: " << (msg);   \
    } catch (const ::dc::Error& e) {                      \
      EXPECT_EQ(std::string(e.what()), std::string(msg)); \
    }                                                     \
  } while (0)

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/dc_ckpt_test_XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (!p) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A safetensors file assembled by hand: 8-byte little-endian length, the header text verbatim, the data.
inline std::vector<uint8_t> raw_safetensors(const std::string& header,
                                            const std::vector<uint8_t>& data = {}) {
  std::vector<uint8_t> out(8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// A small Dream config: C 16, 2 layers, 2 query heads / 1 KV head of 8, FFN 32, vocab 64.
inline ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.head_dim = 8;
  c.intermediate_size = 32;
  c.vocab_size = 64;
  c.max_position_embeddings = 128;
  c.mask_token_id = 63;
  c.pad_token_id = 62;
  c.bos_token_id = 61;
  c.eos_token_id = 62;
  c.torch_dtype = "bfloat16";
  return c;
}

// The value of element i of the k-th tensor in a formula checkpoint: a multiple of 1/64 in [-2, 2), exactly
// representable in BF16, F16 and F32, different for neighbouring elements and tensors.
inline float formula_value(size_t k, int64_t i) {
  return float(int64_t((i * 7 + int64_t(k) * 13) % 256) - 128) / 64.0f;
}

// Every tensor a Dream checkpoint with `cfg` holds (tensor_shapes order), filled with formula_value.
inline std::vector<NamedTensor> formula_tensors(const ModelConfig& cfg, DType dtype) {
  std::vector<NamedTensor> out;
  size_t k = 0;
  for (const auto& [name, shape] : tensor_shapes(cfg)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = formula_value(k, i);
    out.push_back(make_float_tensor(name, dtype, shape, v));
    ++k;
  }
  return out;
}

// Writes config.json and the tensors to `dir`: one model.safetensors when shards == 1, otherwise
// model-0000i-of-0000n.safetensors files (tensors dealt out in order) plus model.safetensors.index.json.
inline void write_checkpoint(const std::string& dir, const ModelConfig& cfg,
                             const std::vector<NamedTensor>& tensors, int shards = 1) {
  write_text(dir + "/config.json", model_config_to_json(cfg));
  if (shards == 1) {
    write_safetensors(dir + "/model.safetensors", tensors);
    return;
  }
  std::map<std::string, std::string> weight_map;
  uint64_t total = 0;
  const size_t per = (tensors.size() + size_t(shards) - 1) / size_t(shards);
  for (int s = 0; s < shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
    std::vector<NamedTensor> part;
    for (size_t i = size_t(s) * per; i < std::min(tensors.size(), size_t(s + 1) * per); ++i) {
      part.push_back(tensors[i]);
      weight_map[tensors[i].name] = name;
      total += tensors[i].bytes.size();
    }
    write_safetensors(dir + "/" + name, part);
  }
  write_safetensors_index(dir + "/model.safetensors.index.json", weight_map, total);
}

}  // namespace dc::testing

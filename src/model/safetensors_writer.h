// Writing safetensors files (and the index of a sharded checkpoint) in the layout the safetensors library
// itself produces, so that files round-trip through SafetensorsFile and through PyTorch:
//  * the JSON header is padded with spaces to a multiple of 8 bytes, so the data section starts 8-aligned;
//  * tensors are laid out by decreasing element size, then by name, with no gaps, so every tensor's bytes are
//    aligned to its element size and SafetensorsFile can hand out zero-copy views.
// Writes are atomic: a temporary file in the same folder, fsync, then rename over `path`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"

namespace dc {

struct NamedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // numel * dtype_size bytes, little-endian
};

// Throws dc::Error naming `path` on an I/O failure, a duplicate name, or bytes that do not match dtype x
// shape.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The same from borrowed views (e.g. tensors of a loaded Checkpoint or training buffers): no copies.
struct TensorRef {
  std::string name;
  TensorView view;
};
void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Writes `model.safetensors.index.json` text: {"metadata": {"total_size": N}, "weight_map": {tensor: file}}.
void write_safetensors_index(const std::string& path, const std::map<std::string, std::string>& weight_map,
                             uint64_t total_size);

// Convenience for tests and tools: a NamedTensor holding `values` converted to `dtype` (F32, F16 or BF16).
NamedTensor make_float_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                              const std::vector<float>& values);

}  // namespace dc

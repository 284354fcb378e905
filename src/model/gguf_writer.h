// Writing GGUF v3 files (the layout gguf.h reads; SPEC §10): header, metadata in the given order, tensor
// infos in the given order, zero padding to the alignment, then each tensor's bytes at an offset that is a
// multiple of the alignment (padding between tensors). `general.alignment` is written into the metadata
// when `alignment` differs from the default 32 (and must not be given in `metadata` then). Shapes are given
// in PyTorch order and stored reversed (ggml order, innermost first).
// Writes are atomic: a temporary file in the same folder, fsync, then rename over `path`; tensor data is
// streamed from the views, never assembled in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/gguf.h"

namespace dc {

struct GgufTensorRef {
  std::string name;
  TensorView view;  // dtype: F32, F16, BF16 or a block type; innermost dim a whole number of blocks
  // When set (and view.data is null), produces the tensor's view.nbytes() bytes into a buffer the writer
  // owns, just before they are written: a converted checkpoint never holds more than one tensor in memory.
  std::function<void(uint8_t* out)> fill = nullptr;
};

// Throws dc::Error naming `path` on an I/O failure, a duplicate key or tensor name, a dtype GGUF cannot
// store, a shape GGUF cannot describe (not 1..4 dims, a negative dim, a partial block), or a bad alignment.
void write_gguf(const std::string& path, const GgufMetadata& metadata,
                const std::vector<GgufTensorRef>& tensors, uint32_t alignment = 32);

}  // namespace dc

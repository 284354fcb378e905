// A non-owning view of a stored tensor: element type, PyTorch-order shape ([out, in] for weights) and data.
// Views into memory-mapped checkpoint files stay valid as long as the owning Checkpoint lives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace dc {

struct TensorView {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  // Block types: numel() / block elements whole blocks (the innermost dimension is a multiple of the block).
  size_t nbytes() const { return size_t(numel() / dtype_block_elems(dtype)) * dtype_block_bytes(dtype); }
  int64_t dim(size_t i) const { return shape.at(i); }
  const float* f32() const { return static_cast<const float*>(data); }
  const uint16_t* u16() const { return static_cast<const uint16_t*>(data); }
};

std::string shape_string(const std::vector<int64_t>& shape);  // "[3584, 152064]"

}  // namespace dc

// Per-thread scratch buffers for the kernels (see gemm.h: thread_scratch).
#include <cstdlib>

#include "core/error.h"
#include "kernels/cpu/gemm.h"

namespace dc::kernels::cpu {

namespace {
constexpr int kSlots = 4;
struct Buffer {
  void* data = nullptr;
  size_t size = 0;
  ~Buffer() { std::free(data); }
};
}  // namespace

void* thread_scratch(int slot, size_t bytes) {
  thread_local Buffer buffers[kSlots];
  DC_ASSERT(slot >= 0 && slot < kSlots);
  Buffer& b = buffers[slot];
  if (b.size < bytes) {
    std::free(b.data);
    b.size = (bytes + 4095) / 4096 * 4096;
    b.data = std::aligned_alloc(64, b.size);
    DC_ASSERT(b.data != nullptr, "out of memory for kernel scratch");
  }
  return b.data;
}

}  // namespace dc::kernels::cpu

// Weight packing for the GEMM kernels (layouts documented in gemm.h). Plain C++: runs once at load time,
// split over the pool by panel.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/cpu/gemm.h"

namespace dc::kernels::cpu {

namespace {

// Uninitialised 64-byte aligned storage for `panels` panels of panel_bytes each. The pack functions write
// every byte: the one partial panel (the last) is zeroed before it is filled.
PackResult allocate(int64_t panels, size_t panel_bytes) {
  const size_t bytes = size_t(panels) * panel_bytes, rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  DC_ASSERT(p != nullptr, "out of memory while packing a weight");
  std::memset(static_cast<uint8_t*>(p) + bytes, 0, rounded - bytes);
  return PackResult{std::shared_ptr<void>(p, std::free), rounded};
}

// Widened element (row n, column k) of a 2-D F32/F16/BF16 tensor.
inline float element_f32(const TensorView& w, int64_t n, int64_t k) {
  const int64_t i = n * w.dim(1) + k;
  switch (w.dtype) {
    case DType::F32:
      return w.f32()[i];
    case DType::F16:
      return f16_to_f32(w.u16()[i]);
    case DType::BF16:
      return bf16_to_f32(w.u16()[i]);
    default:
      return 0.0f;
  }
}

}  // namespace

PackResult pack_avx512_bf16(const TensorView& w) {
  DC_ASSERT(w.dtype == DType::BF16);
  const int64_t N = w.dim(0), K = w.dim(1), Kp = K + (K & 1), nr = kAvx512Nr;
  const int64_t panels = (N + nr - 1) / nr;
  PackResult r = allocate(panels, size_t(Kp * nr) * 2);
  uint16_t* out = static_cast<uint16_t*>(r.storage.get());
  const uint16_t* src = w.u16();
  // Writes go through the panel in order; the 32 source rows are read side by side, a pair at a time.
  global_pool().parallel_for(panels, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      uint16_t* panel = out + p * Kp * nr;
      const int64_t cols = std::min(nr, N - p * nr);
      const uint16_t* rows = src + p * nr * K;
      if (cols < nr) std::memset(panel, 0, size_t(Kp * nr) * 2);
      for (int64_t kk = 0; kk < K / 2; ++kk)
        for (int64_t c = 0; c < cols; ++c) std::memcpy(panel + (kk * nr + c) * 2, rows + c * K + 2 * kk, 4);
      if (K & 1) {  // the last pair of odd K: {W[n, K-1], 0}
        for (int64_t c = 0; c < cols; ++c) {
          panel[((K / 2) * nr + c) * 2] = rows[c * K + K - 1];
          panel[((K / 2) * nr + c) * 2 + 1] = 0;
        }
      }
    }
  });
  return r;
}

PackResult pack_avx512_f32(const TensorView& w) {
  DC_ASSERT(w.dtype == DType::F32 || w.dtype == DType::F16);
  const int64_t N = w.dim(0), K = w.dim(1), nr = kAvx512Nr;
  const int64_t panels = (N + nr - 1) / nr;
  PackResult r = allocate(panels, size_t(K * nr) * 4);
  float* out = static_cast<float*>(r.storage.get());
  global_pool().parallel_for(panels, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      float* panel = out + p * K * nr;
      const int64_t cols = std::min(nr, N - p * nr);
      if (cols < nr) std::memset(panel, 0, size_t(K * nr) * 4);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < cols; ++c) panel[k * nr + c] = element_f32(w, p * nr + c, k);
    }
  });
  return r;
}

PackResult pack_avx2(const TensorView& w) {
  const int64_t N = w.dim(0), K = w.dim(1), nr = kAvx2Nr;
  const int64_t panels = (N + nr - 1) / nr;
  const size_t esize = dtype_size(w.dtype);
  PackResult r = allocate(panels, size_t(K * nr) * esize);
  uint8_t* out = static_cast<uint8_t*>(r.storage.get());
  const uint8_t* src = static_cast<const uint8_t*>(w.data);
  global_pool().parallel_for(panels, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      uint8_t* panel = out + size_t(p * K * nr) * esize;
      const int64_t cols = std::min(nr, N - p * nr);
      if (cols < nr) std::memset(panel, 0, size_t(K * nr) * esize);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(panel + size_t(k * nr + c) * esize, src + size_t((p * nr + c) * K + k) * esize, esize);
    }
  });
  return r;
}

}  // namespace dc::kernels::cpu

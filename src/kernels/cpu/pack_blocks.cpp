// Repacking of Q8_0 / Q4_0 / Q4_K / Q6_K rows into the 16-row interleaved panels of the VNNI panel kernel
// (layout in gemm.h). Plain C++: runs once at load time, split over the pool by panel.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/quant.h"

namespace dc::kernels::cpu {

namespace {

constexpr int64_t kPr = kVnniPanelRows;

// One panel (rows n0 .. n0 + 15, missing rows left zero) of a Q8_0 or Q4_0 matrix of nb blocks per row:
// the units' quants, then their fp16 scales. Q8_0 quants are stored plus 128. Q4_0's source byte j holds
// value j (low nibble) and j + 16 (high nibble), which is the panel's pairing of groups g and g + 4
// already: vector j of a unit takes source bytes 4j .. 4j + 3.
void pack_f16_scaled_panel(DType t, const uint8_t* src, size_t row_bytes, int64_t n0, int64_t rows,
                           int64_t nb, uint8_t* dst) {
  const bool q8 = t == DType::Q8_0;
  const size_t unit_quants = q8 ? kVnniQ8_0UnitQuants : kVnniQ4UnitQuants, block = dtype_block_bytes(t);
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* unit = dst + size_t(b) * unit_quants;
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* blk = src + size_t(n0 + r) * row_bytes + size_t(b) * block;
      std::memcpy(dst + size_t(nb) * unit_quants + size_t(b) * kVnniUnitScales + 2 * r, blk, 2);  // fp16 d
      const uint8_t* q = blk + 2;
      for (size_t v = 0; v < unit_quants / 64; ++v)
        for (int i = 0; i < 4; ++i) unit[64 * v + 4 * r + i] = uint8_t(q[4 * v + i] ^ (q8 ? 0x80 : 0));
    }
  }
}

// Q4_K: a group of 256 values per panel is a header (d, dmin as fp32, the 6-bit scales and mins as bytes)
// and 8 units, one per sub-block, whose nibbles pair values i and i + 16 of the sub-block like Q4_0.
void pack_q4_k_panel(const uint8_t* src, size_t row_bytes, int64_t n0, int64_t rows, int64_t ng,
                     uint8_t* dst) {
  for (int64_t g = 0; g < ng; ++g) {
    uint8_t* grp = dst + g * kVnniQ4_KGroupBytes;
    float* d = reinterpret_cast<float*>(grp);
    float* dmin = d + kPr;
    uint8_t* sc = grp + 128;
    uint8_t* mn = grp + 256;
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* blk = src + size_t(n0 + r) * row_bytes + size_t(g) * 144;
      d[r] = load_f16(blk);
      dmin[r] = load_f16(blk + qblock::kQ4_KDmin);
      for (int j = 0; j < 8; ++j) {
        int s = 0, m = 0;
        q4_k_scale_min(blk + qblock::kQ4_KScales, j, &s, &m);
        sc[16 * j + r] = uint8_t(s);
        mn[16 * j + r] = uint8_t(m);
        // Value v of sub-block j: byte 32 (j / 2) + v of the quants, low nibble for even j, high for odd.
        const uint8_t* q = blk + qblock::kQ4_KQuants + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        uint8_t* unit = grp + kVnniQ4_KHeaderBytes + 256 * j;
        for (int jj = 0; jj < 4; ++jj)
          for (int i = 0; i < 4; ++i) {
            const int lo = (q[4 * jj + i] >> shift) & 0xF, hi = (q[16 + 4 * jj + i] >> shift) & 0xF;
            unit[64 * jj + 4 * r + i] = uint8_t(lo | (hi << 4));
          }
      }
    }
  }
}

// Q6_K: a group of 256 values per panel is a header (d as fp32, the 16 int8 scales) and 8 units of one
// byte per quant, in Q8_0's group order.
void pack_q6_k_panel(const uint8_t* src, size_t row_bytes, int64_t n0, int64_t rows, int64_t ng,
                     uint8_t* dst) {
  for (int64_t g = 0; g < ng; ++g) {
    uint8_t* grp = dst + g * kVnniQ6_KGroupBytes;
    float* d = reinterpret_cast<float*>(grp);
    uint8_t* sc = grp + 64;
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* blk = src + size_t(n0 + r) * row_bytes + size_t(g) * 210;
      d[r] = load_f16(blk + qblock::kQ6_KD);
      for (int i = 0; i < 16; ++i) sc[16 * i + r] = blk[qblock::kQ6_KScales + i];
      for (int j = 0; j < 8; ++j) {
        uint8_t* unit = grp + kVnniQ6_KHeaderBytes + 512 * j;
        for (int gg = 0; gg < 8; ++gg)
          for (int i = 0; i < 4; ++i)
            unit[64 * gg + 4 * r + i] = uint8_t(q6_k_quant(blk, 32 * j + 4 * gg + i));
      }
    }
  }
}

}  // namespace

size_t vnni_panel_bytes(DType dtype, int64_t K) {
  size_t bytes = 0;
  switch (dtype) {
    case DType::Q8_0:
      bytes = size_t(K / 32) * (kVnniQ8_0UnitQuants + kVnniUnitScales);
      break;
    case DType::Q4_0:
      bytes = size_t(K / 32) * (kVnniQ4UnitQuants + kVnniUnitScales);
      break;
    case DType::Q4_K:
      bytes = size_t(K / 256) * kVnniQ4_KGroupBytes;
      break;
    case DType::Q6_K:
      bytes = size_t(K / 256) * kVnniQ6_KGroupBytes;
      break;
    default:
      DC_ASSERT(false, "vnni panels: not a panel type");
  }
  return (bytes + 63) / 64 * 64;
}

PackResult pack_blocks_vnni_panels(const TensorView& w) {
  const DType t = w.dtype;
  DC_ASSERT(dtype_is_block(t));
  const int64_t N = w.dim(0), K = w.dim(1), panels = (N + kPr - 1) / kPr;
  const size_t panel_bytes = vnni_panel_bytes(t, K), row_bytes = quantized_bytes(t, K);
  const size_t bytes = size_t(panels) * panel_bytes;
  void* storage = std::aligned_alloc(64, bytes);
  DC_ASSERT(storage != nullptr, "out of memory while packing a weight");
  PackResult r{std::shared_ptr<void>(storage, std::free), bytes};
  uint8_t* out = static_cast<uint8_t*>(storage);
  const uint8_t* src = static_cast<const uint8_t*>(w.data);
  // Missing rows of the last panel stay zero (zero scales: they add nothing), as does each panel's rounding
  // tail.
  global_pool().parallel_for(panels, [&](int64_t p0, int64_t p1, int) {
    std::memset(out + size_t(p0) * panel_bytes, 0, size_t(p1 - p0) * panel_bytes);
  });
  global_pool().parallel_for(panels, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n0 = p * kPr, rows = std::min<int64_t>(kPr, N - n0);
      uint8_t* dst = out + size_t(p) * panel_bytes;
      if (t == DType::Q8_0 || t == DType::Q4_0)
        pack_f16_scaled_panel(t, src, row_bytes, n0, rows, K / 32, dst);
      if (t == DType::Q4_K) pack_q4_k_panel(src, row_bytes, n0, rows, K / 256, dst);
      if (t == DType::Q6_K) pack_q6_k_panel(src, row_bytes, n0, rows, K / 256, dst);
    }
  });
  return r;
}

}  // namespace dc::kernels::cpu

// Block quantization of rows of fp32 values into the ggml/GGUF block types Q8_0, Q4_0, Q4_K and Q6_K, and
// back. The byte layouts are described in core/dtype.h; they are bit-compatible with ggml's, so the same
// bytes can be read from and written to GGUF files. Scalar and portable (no ISA-specific code).
//
// Encoders:
//  * Q8_0: d = amax / 127 (stored as fp16), q = round(x / d).
//  * Q4_0: d = max / -8 where max is the value of largest magnitude (with its sign), q = clamp(round(x / d
//    + 8), 0, 15): the largest value maps to q = 0 exactly and the 16 levels are used asymmetrically.
//  * Q4_K: per sub-block of 32, a scale and a non-negative min fitted by least squares over a few candidate
//    ranges; scales and mins quantized to 6 bits against fp16 super-scales d = max scale / 63, dmin = max
//    min / 63.
//  * Q6_K: per sub-block of 16, a signed scale (the largest value maps near the -32 end of q - 32 in
//    [-32, 31]) refined by least squares; scales quantized to int8 against the fp16 d = max |scale| / 127.
// In every encoder the quants are computed against the scales as stored (fp16 / 6-bit / int8), so the
// rounding error is measured from the decoded grid. Scales must be representable in fp16 (|x| up to about
// 8e6 for Q8_0 and 5e5 for the 4-bit types).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/dtype.h"

namespace dc::kernels {

// Bytes of n values of a block type (n a multiple of the block size).
size_t quantized_bytes(DType type, int64_t n);

// dst receives quantized_bytes(type, n) bytes. n must be a multiple of dtype_block_elems(type).
void quantize_row(DType type, const float* src, void* dst, int64_t n);

// dst receives n fp32 values decoded from quantized_bytes(type, n) bytes of src.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Byte offsets inside one block (see core/dtype.h).
namespace qblock {
constexpr size_t kQ8_0Quants = 2;    // after fp16 d
constexpr size_t kQ4_0Quants = 2;    // after fp16 d
constexpr size_t kQ4_KDmin = 2;      // fp16 d at 0, fp16 dmin at 2
constexpr size_t kQ4_KScales = 4;    // 12 bytes of packed 6-bit scales and mins
constexpr size_t kQ4_KQuants = 16;   // 128 bytes of nibbles
constexpr size_t kQ6_KHigh = 128;    // ql[128] at 0, qh[64] at 128
constexpr size_t kQ6_KScales = 192;  // int8 scales[16]
constexpr size_t kQ6_KD = 208;       // fp16 d
}  // namespace qblock

// The fp16 at p (unaligned), widened.
inline float load_f16(const void* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K block, from its 12 packed bytes: sub-blocks 0..3
// keep their scale and min in the low 6 bits of bytes j and j + 4; sub-blocks 4..7 keep the low 4 bits in
// byte j + 4 (scale low nibble, min high nibble) and the top 2 bits in the spare top bits of bytes j - 4
// (scale) and j (min).
inline void q4_k_scale_min(const uint8_t* packed, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *min = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4);
    *min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

// The 6-bit quant of value v (0..255) of a Q6_K block: each 128-value half h uses ql[64h..64h+63] and
// qh[32h..32h+31]; value 128h + 32g + l (g = 0..3, l = 0..31) takes the low nibble of ql[64h + l + 32(g & 1)]
// for g < 2 and its high nibble for g >= 2, and bits 2g, 2g+1 of qh[32h + l] as its top two bits.
inline int q6_k_quant(const uint8_t* block, int v) {
  const int h = v / 128, g = (v % 128) / 32, l = v % 32;
  const uint8_t lo = block[64 * h + l + 32 * (g & 1)];
  const uint8_t hi = block[qblock::kQ6_KHigh + 32 * h + l];
  return ((g < 2 ? lo & 0xF : lo >> 4) | (((hi >> (2 * g)) & 3) << 4));
}

}  // namespace dc::kernels

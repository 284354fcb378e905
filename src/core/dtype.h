// Element types of stored tensors and scalar conversions between them.
// bf16 and f16 are kept as raw uint16_t bit patterns; arithmetic always happens in fp32.
//
// Block-quantized types (the ggml/GGUF layouts, SPEC §10) store a row as consecutive blocks; a block of
// dtype_block_elems() values takes dtype_block_bytes() bytes. The innermost dimension must be a multiple of
// the block size. dtype_size() is meaningful for the scalar types only (it returns 0 for block types):
//  * Q8_0: 32 values, 34 bytes: fp16 scale d, 32 int8 q; value = d * q.
//  * Q4_0: 32 values, 18 bytes: fp16 d, 16 bytes of nibbles; byte j holds value j (low nibble) and value
//    j + 16 (high nibble); value = d * (q - 8).
//  * Q4_K: 256 values, 144 bytes: fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales/mins for 8 sub-blocks
//    of 32, 128 bytes of nibbles; value = d * sc[j] * q - dmin * m[j].
//  * Q6_K: 256 values, 210 bytes: 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales (sub-blocks of
//    16), fp16 d; value = d * sc[j] * (q - 32).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace dc {

enum class DType : uint8_t { F32, F16, BF16, I32, I64, U8, Q8_0, Q4_0, Q4_K, Q6_K };

inline bool dtype_is_block(DType t) {
  return t == DType::Q8_0 || t == DType::Q4_0 || t == DType::Q4_K || t == DType::Q6_K;
}

// Values per block: 1 for the scalar types.
inline int64_t dtype_block_elems(DType t) {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0:
      return 32;
    case DType::Q4_K:
    case DType::Q6_K:
      return 256;
    default:
      return 1;
  }
}

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32:
      return 4;
    case DType::F16:
      return 2;
    case DType::BF16:
      return 2;
    case DType::I32:
      return 4;
    case DType::I64:
      return 8;
    case DType::U8:
      return 1;
    default:
      return 0;  // block types: see dtype_block_bytes
  }
}

// Bytes per block (the element size for the scalar types).
inline size_t dtype_block_bytes(DType t) {
  switch (t) {
    case DType::Q8_0:
      return 34;
    case DType::Q4_0:
      return 18;
    case DType::Q4_K:
      return 144;
    case DType::Q6_K:
      return 210;
    default:
      return dtype_size(t);
  }
}

// Names as written in safetensors headers ("F32", "F16", "BF16", ...).
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I32:
      return "I32";
    case DType::I64:
      return "I64";
    case DType::U8:
      return "U8";
    case DType::Q8_0:
      return "Q8_0";
    case DType::Q4_0:
      return "Q4_0";
    case DType::Q4_K:
      return "Q4_K";
    case DType::Q6_K:
      return "Q6_K";
  }
  return "?";
}

inline float bf16_to_f32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round-to-nearest-even, NaN preserved (quiet). Matches PyTorch's float -> bfloat16 conversion.
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

inline float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t u;
  if (exp == 0) {
    if (mant == 0) {
      u = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ffu;
      u = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | (mant << 13);
  } else {
    u = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round-to-nearest-even float -> IEEE half.
inline uint16_t f32_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u);
  if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow -> inf
  if (a < 0x38800000u) {                                  // subnormal or zero
    if (a < 0x33000000u) return uint16_t(sign);
    uint32_t e = a >> 23;
    uint32_t m = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e;  // value = m * 2^(e-150); half subnormal unit is 2^-24
    uint32_t r = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return uint16_t(sign | r);
  }
  uint32_t r = ((a >> 13) - (112u << 10));
  uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1))) ++r;
  return uint16_t(sign | r);
}

}  // namespace dc

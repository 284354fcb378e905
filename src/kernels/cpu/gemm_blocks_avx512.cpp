// AVX512-VNNI GEMM for block-quantized weights (Q8_0, Q4_0, Q4_K, Q6_K in ggml's row layout, read in place).
//
// x is quantized once per call to int8 blocks of 32 (kernels/act_quant.h). The K axis is walked in chunks
// of 64 values: each chunk of a weight row is unpacked into 64 unsigned quants in natural order (one zmm) and
// each chunk of an activation row is one zmm of int8, so one vpdpbusd gives 16 lanes of 4-value integer dot
// products. A lane lies inside one weight (sub-)block and one activation block, so it is scaled by
// (weight scale) x (activation scale) in fp32 and accumulated in fp32 lanes, reduced at the end of a K block.
// Weight offsets are folded in exactly, in integers: a format storing q - offset (Q8_0 as q + 128 so that it
// is unsigned, Q4_0 q - 8, Q6_K q - 32) starts each lane from -offset x (the lane's activation sum), itself
// one vpdpbusd of the activations against the offset. Q4_K's mins (value = d sc q - dmin m) are a separate
// fp32 term per sub-block: -(dmin m_j) (d_x sum_x) over the 8 sub-blocks of a block.
//
// Register tile: kNr weight rows x up to kMr activation rows (kNr x kMr zmm accumulators); the unpacked
// weight chunk is reused across the activation rows, the activation chunk across the weight rows. K is
// blocked only beyond kKc values: on a Zen 4 core (1 MiB L2) whole rows of K = 18944 ran as fast as or faster
// than 4096-value blocks for M = 8 .. 256 (the activation rows stream well from L3, and each block costs a
// reduction and a pass over y).
// Threads split the weight-row tiles (or the activation-row tiles when there are few weight rows); each
// output is computed by one thread in a fixed order, so results do not depend on the thread count.

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their internal _mm512_undefined_* (GCC PR 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/error.h"
#include "kernels/act_quant.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"
#include "kernels/quant.h"

namespace dc::kernels::cpu {

namespace {

constexpr int kNr = 4;          // weight rows per register tile
constexpr int kMr = 4;          // activation rows per register tile (at most)
constexpr int64_t kKc = 32768;  // values of K per block (a multiple of every format's group)
constexpr int64_t kChunk = 64;  // values per vpdpbusd

inline float f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// [a x 8, b x 8]: the per-lane scale of a chunk made of two blocks of 32.
inline __m512 pair_lanes(float a, float b) {
  return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

inline __m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline __m256i load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// ---- Formats. Each walks a row in groups of kGroup values (kChunks chunks of 64): decode() reads what a
// group's chunks share (scales), quants() unpacks chunk c as 64 unsigned bytes, scales() gives its 16 lanes'
// weight scales. kOffset is what the unsigned quants exceed the signed ones by.

struct FmtQ8_0 {
  static constexpr int64_t kGroup = 64, kBytes = 2 * 34;
  static constexpr int kChunks = 1, kOffset = 128;
  static constexpr bool kMins = false;
  struct Scales {};
  static void decode(const uint8_t*, Scales&) {}
  static __m512i quants(const uint8_t* g, int, const Scales&) {
    const uint8_t* q = g + qblock::kQ8_0Quants;
    return _mm512_xor_si512(join(load256(q), load256(q + 34)), _mm512_set1_epi8(char(0x80)));
  }
  static __m512 scales(const uint8_t* g, int, const Scales&) { return pair_lanes(f16(g), f16(g + 34)); }
  // One block (the upper 32 lanes meet zero activations).
  static __m512i half_quants(const uint8_t* g) {
    return _mm512_xor_si512(_mm512_zextsi256_si512(load256(g + qblock::kQ8_0Quants)),
                            _mm512_set1_epi8(char(0x80)));
  }
};

struct FmtQ4_0 {
  static constexpr int64_t kGroup = 64, kBytes = 2 * 18;
  static constexpr int kChunks = 1, kOffset = 8;
  static constexpr bool kMins = false;
  struct Scales {};
  static void decode(const uint8_t*, Scales&) {}
  // Byte j of a block holds values j (low nibble) and j + 16 (high nibble).
  static __m512i quants(const uint8_t* g, int, const Scales&) {
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + qblock::kQ4_0Quants));
    const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 18 + qblock::kQ4_0Quants));
    const __m512i both =
        join(_mm256_set_m128i(_mm_srli_epi16(q0, 4), q0), _mm256_set_m128i(_mm_srli_epi16(q1, 4), q1));
    return _mm512_and_si512(both, _mm512_set1_epi8(0x0F));
  }
  static __m512 scales(const uint8_t* g, int, const Scales&) { return pair_lanes(f16(g), f16(g + 18)); }
  static __m512i half_quants(const uint8_t* g) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + qblock::kQ4_0Quants));
    return _mm512_and_si512(_mm512_zextsi256_si512(_mm256_set_m128i(_mm_srli_epi16(q, 4), q)),
                            _mm512_set1_epi8(0x0F));
  }
};

struct FmtQ4_K {
  static constexpr int64_t kGroup = 256, kBytes = 144;
  static constexpr int kChunks = 4, kOffset = 0;
  static constexpr bool kMins = true;
  struct Scales {
    float v[16];  // d * sc_j for j = 0..7, then dmin * m_j
  };
  // The 6-bit fields of q4_k_scale_min for all 8 sub-blocks at once: bytes 0..7 of v are the scales,
  // 8..15 the mins. Low bits: scales 0..3 from bytes 0..3 & 63, scales 4..7 from bytes 8..11 & 15, mins 0..3
  // from bytes 4..7 & 63, mins 4..7 from bytes 8..11 >> 4; top bits of sub-blocks 4..7 from bytes 0..3
  // (scales) and 4..7 (mins) >> 6. The 16-byte load stays inside the block (the quants follow).
  static void decode(const uint8_t* g, Scales& s) {
    const __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + qblock::kQ4_KScales));
    const __m128i lo_src =
        _mm_shuffle_epi8(p, _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
    const __m128i hi_src =
        _mm_shuffle_epi8(p, _mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7));
    const __m128i lo = _mm_or_si128(
        _mm_and_si128(lo_src, _mm_setr_epi8(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0)),
        _mm_and_si128(_mm_srli_epi16(lo_src, 4),
                      _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15)));
    const __m128i hi = _mm_slli_epi16(_mm_and_si128(_mm_srli_epi16(hi_src, 6), _mm_set1_epi8(3)), 4);
    const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_or_si128(lo, hi)));
    const __m512 dd = pair_lanes(f16(g), f16(g + qblock::kQ4_KDmin));
    _mm512_storeu_ps(s.v, _mm512_mul_ps(v, dd));
  }
  // Chunk c is sub-blocks 2c (low nibbles of bytes 32c .. 32c + 31) and 2c + 1 (their high nibbles).
  static __m512i quants(const uint8_t* g, int c, const Scales&) {
    const __m256i q = load256(g + qblock::kQ4_KQuants + 32 * c);
    const __m256i m = _mm256_set1_epi8(0x0F);
    return join(_mm256_and_si256(q, m), _mm256_and_si256(_mm256_srli_epi16(q, 4), m));
  }
  static __m512 scales(const uint8_t*, int c, const Scales& s) {
    return pair_lanes(s.v[2 * c], s.v[2 * c + 1]);
  }
};

struct FmtQ6_K {
  static constexpr int64_t kGroup = 256, kBytes = 210;
  static constexpr int kChunks = 4, kOffset = 32;
  static constexpr bool kMins = false;
  struct Scales {
    float scale[16];  // d * sc_i, one per 16 values
  };
  static void decode(const uint8_t* g, Scales& s) {
    const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + qblock::kQ6_KScales));
    _mm512_storeu_ps(s.scale, _mm512_mul_ps(_mm512_set1_ps(f16(g + qblock::kQ6_KD)),
                                            _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc))));
  }
  // Chunk c = 2h + p is values 64c .. 64c + 63: low (p = 0) or high (p = 1) nibbles of ql[64h .. 64h + 63]
  // in order, with bits 4p, 4p + 1 (first 32 values) and 4p + 2, 4p + 3 (last 32) of qh[32h .. 32h + 31]
  // on top.
  static __m512i quants(const uint8_t* g, int c, const Scales&) {
    const int h = c / 2, p = c % 2;
    __m512i lo = _mm512_loadu_si512(g + 64 * h);
    if (p) lo = _mm512_srli_epi16(lo, 4);
    const __m256i qh = load256(g + qblock::kQ6_KHigh + 32 * h);
    const __m512i hi = join(_mm256_srli_epi16(qh, 4 * p), _mm256_srli_epi16(qh, 4 * p + 2));
    return _mm512_or_si512(_mm512_and_si512(lo, _mm512_set1_epi8(0x0F)),
                           _mm512_slli_epi16(_mm512_and_si512(hi, _mm512_set1_epi8(3)), 4));
  }
  static __m512 scales(const uint8_t*, int c, const Scales& s) {
    const __m512i idx = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_loadu_ps(s.scale + 4 * c)));
  }
};

// acc[r][m] += the chunk of 64 values at k: weight quants w[r] with lane scales ws[r] against activation
// row m0 + m. A half chunk (the last block of a row of an odd number of 32-blocks) reads 32 activations.
template <class F, int MR>
inline void chunk_step(__m512 (&acc)[kNr][MR], const __m512i (&w)[kNr], const __m512 (&ws)[kNr],
                       const ActBlocks& a, int64_t m0, int64_t k, bool half) {
  const int64_t nb = a.blocks();
  const __mmask64 xmask = half ? __mmask64(0xFFFFFFFFull) : ~__mmask64(0);
#pragma GCC unroll 8
  for (int m = 0; m < MR; ++m) {
    const __m512i x = _mm512_maskz_loadu_epi8(xmask, a.q + (m0 + m) * a.K + k);
    const float* dx = a.d + (m0 + m) * nb + k / kActBlock;
    // [dx[0] x 8, dx[1] x 8] (dx[1] = 0 for a half chunk).
    const __m128 d2 =
        half ? _mm_load_ss(dx) : _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(dx)));
    const __m512 xs = _mm512_permutexvar_ps(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
                                            _mm512_castps128_ps512(d2));
    __m512i base = _mm512_setzero_si512();
    if constexpr (F::kOffset != 0)
      base = _mm512_sub_epi32(
          base, _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(char(F::kOffset)), x));
#pragma GCC unroll 8
    for (int r = 0; r < kNr; ++r) {
      const __m512i dot = _mm512_dpbusd_epi32(base, w[r], x);
      acc[r][m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(ws[r], xs), acc[r][m]);
    }
  }
}

// out[r][m] = sum over groups [g0, g1) of weight row rows[r] (row_bytes apart) against activation row
// m0 + m (m < MR), plus the half group g1 when half_tail (formats of 32-blocks only).
template <class F, int MR>
void tile(const uint8_t* const* rows, const ActBlocks& a, int64_t m0, int64_t g0, int64_t g1, bool half_tail,
          float (*out)[kMr]) {
  const int64_t nb = a.blocks();
  __m512 acc[kNr][MR];
#pragma GCC unroll 8
  for (int r = 0; r < kNr; ++r)
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) acc[r][m] = _mm512_setzero_ps();
  for (int64_t g = g0; g < g1; ++g) {
    const uint8_t* gp[kNr];
    typename F::Scales sc[kNr];
#pragma GCC unroll 8
    for (int r = 0; r < kNr; ++r) {
      gp[r] = rows[r] + g * F::kBytes;
      F::decode(gp[r], sc[r]);
    }
    if constexpr (F::kMins) {
      // -sum_j (dmin m_j) (d_x,j sum_x,j) over the group's 8 sub-blocks, in the low 8 lanes.
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m) {
        const int64_t b = (m0 + m) * nb + g * 8;
        const __m256 xs = _mm256_mul_ps(_mm256_loadu_ps(a.d + b),
                                        _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i*)(a.sum + b))));
#pragma GCC unroll 8
        for (int r = 0; r < kNr; ++r)
          acc[r][m] = _mm512_fnmadd_ps(_mm512_zextps256_ps512(_mm256_loadu_ps(sc[r].v + 8)),
                                       _mm512_zextps256_ps512(xs), acc[r][m]);
      }
    }
#pragma GCC unroll 4
    for (int c = 0; c < F::kChunks; ++c) {
      __m512i w[kNr];
      __m512 ws[kNr];
#pragma GCC unroll 8
      for (int r = 0; r < kNr; ++r) {
        w[r] = F::quants(gp[r], c, sc[r]);
        ws[r] = F::scales(gp[r], c, sc[r]);
      }
      chunk_step<F, MR>(acc, w, ws, a, m0, g * F::kGroup + c * kChunk, false);
    }
  }
  if constexpr (F::kGroup == kChunk) {
    if (half_tail) {
      __m512i w[kNr];
      __m512 ws[kNr];
#pragma GCC unroll 8
      for (int r = 0; r < kNr; ++r) {
        const uint8_t* gp = rows[r] + g1 * F::kBytes;
        w[r] = F::half_quants(gp);
        ws[r] = pair_lanes(f16(gp), 0.0f);
      }
      chunk_step<F, MR>(acc, w, ws, a, m0, g1 * F::kGroup, true);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kNr; ++r)
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) out[r][m] = _mm512_reduce_add_ps(acc[r][m]);
}

using TileFn = void (*)(const uint8_t* const*, const ActBlocks&, int64_t, int64_t, int64_t, bool,
                        float (*)[kMr]);

template <class F, size_t... I>
constexpr auto tile_table(std::index_sequence<I...>) {
  return std::array<TileFn, sizeof...(I)>{&tile<F, int(I) + 1>...};
}

template <class F>
void gemm(float* y, int64_t ldy, const ActBlocks& a, const uint8_t* w, size_t row_bytes, int64_t M, int64_t N,
          int64_t K, const float* bias) {
  static constexpr auto kTiles = tile_table<F>(std::make_index_sequence<kMr>());  // [rows - 1]
  // Whole groups, then (32-block formats only) one half group when K is an odd number of blocks.
  const int64_t groups = K / F::kGroup, kc = kKc / F::kGroup;
  const bool half_tail = K % F::kGroup != 0;
  const int64_t kblocks = std::max<int64_t>(1, (groups + kc - 1) / kc);
  // Row tile t covers activation rows [t M / tiles, (t + 1) M / tiles): heights differ by at most one.
  const int64_t panels = (N + kNr - 1) / kNr, tiles = (M + kMr - 1) / kMr;
  parallel_panels_or_tiles(panels, tiles, [&](int64_t p0, int64_t p1, int64_t t0, int64_t t1) {
    for (int64_t kb = 0; kb < kblocks; ++kb) {
      const int64_t g0 = kb * kc, g1 = std::min(groups, g0 + kc);
      const bool tail = half_tail && kb == kblocks - 1;
      for (int64_t p = p0; p < p1; ++p) {
        // The last panel repeats its last row in place of the missing ones (computed, not stored).
        const uint8_t* rows[kNr];
        const int64_t nrows = std::min<int64_t>(kNr, N - p * kNr);
        for (int r = 0; r < kNr; ++r)
          rows[r] = w + size_t(p * kNr + std::min<int64_t>(r, nrows - 1)) * row_bytes;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t r0 = t * M / tiles, mrows = (t + 1) * M / tiles - r0;
          float out[kNr][kMr];
          kTiles[size_t(mrows - 1)](rows, a, r0, g0, g1, tail, out);
          for (int64_t r = 0; r < nrows; ++r) {
            const int64_t n = p * kNr + r;
            for (int64_t m = 0; m < mrows; ++m) {
              float& dst = y[(r0 + m) * ldy + n];
              dst = (kb == 0 ? (bias ? bias[n] : 0.0f) : dst) + out[r][m];
            }
          }
        }
      }
    }
  });
}

}  // namespace

void gemm_blocks_vnni(float* y, int64_t ldy, const float* x, int64_t ldx, const void* w, DType dtype,
                      int64_t M, int64_t N, int64_t K, const float* bias) {
  DC_ASSERT(K % dtype_block_elems(dtype) == 0);
  // The activation blocks, shared read-only by all threads.
  const ActBlocks a = act_blocks_in(thread_scratch(0, act_blocks_bytes(M, K)), M, K);
  quantize_acts(x, ldx, a);
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const size_t rb = size_t(K / dtype_block_elems(dtype)) * dtype_block_bytes(dtype);
  switch (dtype) {
    case DType::Q8_0:
      return gemm<FmtQ8_0>(y, ldy, a, wb, rb, M, N, K, bias);
    case DType::Q4_0:
      return gemm<FmtQ4_0>(y, ldy, a, wb, rb, M, N, K, bias);
    case DType::Q4_K:
      return gemm<FmtQ4_K>(y, ldy, a, wb, rb, M, N, K, bias);
    case DType::Q6_K:
      return gemm<FmtQ6_K>(y, ldy, a, wb, rb, M, N, K, bias);
    default:
      DC_ASSERT(false, "gemm_blocks_vnni: not a block type");
  }
}

}  // namespace dc::kernels::cpu

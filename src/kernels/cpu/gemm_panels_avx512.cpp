// AVX512-VNNI GEMM on Q8_0 / Q4_0 / Q4_K / Q6_K weights repacked into 16-row panels (layout in gemm.h).
//
// x is quantized once per call to int8 blocks of 32 (kernels/act_quant.h), as the scalar reference does. For
// a unit of 32 values (a block, or a K-quant sub-block) and a register tile of kNv panels (16 weight rows
// each) x up to kMaxRows activation rows (per format), 8 vpdpbusd per (panel, activation row) each add one
// 4-value group of 16 rows against the activation row's 4 bytes of that group broadcast to every lane: the
// unit's integer dot product of each weight row ends whole in its own lane. It is then converted and scaled
// once, (weight scale) x (activation scale), into fp32 lanes that are the outputs themselves: 8 integer
// operations per 3 fp32 ones and no reduction at the end. (Reading the ggml rows in place instead, a
// vpdpbusd's 16 lanes split two blocks 8 ways, and every vpdpbusd needs 3 fp32 operations to scale its lanes:
// about a quarter of this rate.) Weight offsets are exact, in integers: the unsigned quants exceed the signed
// ones by an offset (Q8_0 128, Q4_0 8, Q6_K 32), so each unit's lanes start from -offset x (the activation
// block's sum; Q6_K, whose scales cover 16 values, keeps two sums per unit, one per half). Q4_K's mins (value
// = d sc q - dmin m) are one fp32 term per sub-block: -(dmin m) (d_x sum_x). K is blocked by kKcUnits units
// so that a tile's weights (2 panels x 4096 values) stay in L2 while every activation tile passes over them;
// y accumulates over the K blocks. Threads split the panel pairs (or the activation tiles when there are few
// panels); each output is computed by one thread in a fixed order, so results do not depend on the thread
// count.

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their internal _mm512_undefined_* (GCC PR 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "kernels/act_quant.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace dc::kernels::cpu {

namespace {

constexpr int kNv = 2;  // panels per register tile (32 weight rows)
// Activation rows per register tile (at most): each format's kMaxRows, as many as its registers allow
// (accumulators, integer sums and the loaded weights of kNv panels in 32 zmm): 6 with one set of sums per
// unit, 4 for Q6_K's two. More rows share each weight load and scale among more vpdpbusd.
constexpr int64_t kKcUnits = 128;  // units of K per block (4096 values; a multiple of Q4_K's 8)

inline __m512i broadcast_word(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// ---- Formats. unit(panel, u) is the quants of unit u; dots() adds the unit's 8 groups into ia (one set of
// integer sums per scale: kHalves); scale(panel, u, h) gives the 16 rows' scale of half h of unit u; mins()
// (kMins only) their dmin m; act_sum() the activation sum the offset multiplies.

template <int NV, int MR>
inline void q4_dots(__m512i (&ia)[1][NV][MR], const uint8_t* const (&up)[NV], const int8_t* const (&xq)[MR]) {
  const __m512i low = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    __m512i lo[NV], hi[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const __m512i raw = _mm512_load_si512(up[v] + 64 * j);
      lo[v] = _mm512_and_si512(raw, low);
      hi[v] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low);
    }
#pragma GCC unroll 6
    for (int m = 0; m < MR; ++m) {
      const __m512i xa = broadcast_word(xq[m] + 4 * j), xb = broadcast_word(xq[m] + 4 * (j + 4));
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        ia[0][v][m] = _mm512_dpbusd_epi32(ia[0][v][m], lo[v], xa);
        ia[0][v][m] = _mm512_dpbusd_epi32(ia[0][v][m], hi[v], xb);
      }
    }
  }
}

// Units of one byte per quant (Q8_0, Q6_K): groups 0..3 go to ia[0] and 4..7 to ia[H - 1].
template <int H, int NV, int MR>
inline void byte_dots(__m512i (&ia)[H][NV][MR], const uint8_t* const (&up)[NV],
                      const int8_t* const (&xq)[MR]) {
#pragma GCC unroll 8
  for (int g = 0; g < 8; ++g) {
    const int h = g < 4 ? 0 : H - 1;
    __m512i w[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) w[v] = _mm512_load_si512(up[v] + 64 * g);
#pragma GCC unroll 6
    for (int m = 0; m < MR; ++m) {
      const __m512i xb = broadcast_word(xq[m] + 4 * g);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) ia[h][v][m] = _mm512_dpbusd_epi32(ia[h][v][m], w[v], xb);
    }
  }
}

inline __m512 f16_scales(const uint8_t* p) {
  return _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(p)));
}

// Q8_0 (bytes, offset 128) and Q4_0 (nibbles, offset 8): units of quants, then one fp16 scale per row and
// unit.
template <bool kNibbles>
struct PanelF16Scaled {
  static constexpr int kOffset = kNibbles ? 8 : 128, kHalves = 1, kMaxRows = 6;
  static constexpr bool kMins = false;
  static constexpr size_t kUnitQuants = kNibbles ? kVnniQ4UnitQuants : kVnniQ8_0UnitQuants;
  int64_t units;  // per row
  const uint8_t* unit(const uint8_t* panel, int64_t u) const { return panel + u * kUnitQuants; }
  template <int NV, int MR>
  static void dots(__m512i (&ia)[1][NV][MR], const uint8_t* const (&up)[NV], const int8_t* const (&xq)[MR]) {
    if constexpr (kNibbles)
      q4_dots(ia, up, xq);
    else
      byte_dots(ia, up, xq);
  }
  __m512 scale(const uint8_t* panel, int64_t u, int) const {
    return f16_scales(panel + units * kUnitQuants + u * kVnniUnitScales);
  }
  __m512 mins(const uint8_t*, int64_t) const { return _mm512_setzero_ps(); }
  int32_t act_sum(const ActBlocks& a, int64_t m, int64_t u, int) const { return a.sum[m * a.blocks() + u]; }
};
using PanelQ8_0 = PanelF16Scaled<false>;
using PanelQ4_0 = PanelF16Scaled<true>;

struct PanelQ4_K {
  static constexpr int kOffset = 0, kHalves = 1, kMaxRows = 6;
  static constexpr bool kMins = true;
  int64_t units;
  static const uint8_t* group(const uint8_t* panel, int64_t u) {
    return panel + (u / 8) * kVnniQ4_KGroupBytes;
  }
  const uint8_t* unit(const uint8_t* panel, int64_t u) const {
    return group(panel, u) + kVnniQ4_KHeaderBytes + (u % 8) * kVnniQ4UnitQuants;
  }
  template <int NV, int MR>
  static void dots(__m512i (&ia)[1][NV][MR], const uint8_t* const (&up)[NV], const int8_t* const (&xq)[MR]) {
    q4_dots(ia, up, xq);
  }
  // d sc_j (bytes 128 + 16 j) and dmin m_j (bytes 256 + 16 j) for the 16 rows.
  static __m512 times_bytes(const uint8_t* g, size_t at, int64_t u, size_t field) {
    const __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(g + at + 16 * (u % 8)));
    return _mm512_mul_ps(_mm512_load_ps(reinterpret_cast<const float*>(g + field)),
                         _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)));
  }
  __m512 scale(const uint8_t* panel, int64_t u, int) const { return times_bytes(group(panel, u), 128, u, 0); }
  __m512 mins(const uint8_t* panel, int64_t u) const { return times_bytes(group(panel, u), 256, u, 64); }
  int32_t act_sum(const ActBlocks&, int64_t, int64_t, int) const { return 0; }
};

// Q6_K's scales cover 16 values, half a unit: each half has its own integer sums (kHalves = 2), started
// from -32 x the sum of the activations of that half (half_sums, [M, K / 16]).
struct PanelQ6_K {
  static constexpr int kOffset = 32, kHalves = 2, kMaxRows = 4;
  static constexpr bool kMins = false;
  int64_t units;
  const int32_t* half_sums;
  static const uint8_t* group(const uint8_t* panel, int64_t u) {
    return panel + (u / 8) * kVnniQ6_KGroupBytes;
  }
  const uint8_t* unit(const uint8_t* panel, int64_t u) const {
    return group(panel, u) + kVnniQ6_KHeaderBytes + (u % 8) * kVnniQ8_0UnitQuants;
  }
  template <int NV, int MR>
  static void dots(__m512i (&ia)[2][NV][MR], const uint8_t* const (&up)[NV], const int8_t* const (&xq)[MR]) {
    byte_dots(ia, up, xq);
  }
  // d sc_i for sub-block i = 2 (u % 8) + h of the 16 rows.
  __m512 scale(const uint8_t* panel, int64_t u, int h) const {
    const uint8_t* g = group(panel, u);
    const __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(g + 64 + 16 * (2 * (u % 8) + h)));
    return _mm512_mul_ps(_mm512_load_ps(reinterpret_cast<const float*>(g)),
                         _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b)));
  }
  __m512 mins(const uint8_t*, int64_t) const { return _mm512_setzero_ps(); }
  int32_t act_sum(const ActBlocks& a, int64_t m, int64_t u, int h) const {
    return half_sums[m * (a.K / 16) + 2 * u + h];
  }
};

// y[m0 + m, n0 + 16 v + lane] (for lanes below N) = (first ? bias : y) + the units [u0, u1) of panel v
// against activation row m0 + m.
template <class F, int NV, int MR>
void tile(const F& f, const uint8_t* const* panel, const ActBlocks& a, int64_t m0, int64_t u0, int64_t u1,
          bool first, float* y, int64_t ldy, int64_t n0, int64_t N, const float* bias) {
  const int64_t nb = a.blocks();
  __m512 acc[NV][MR];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
#pragma GCC unroll 6
    for (int m = 0; m < MR; ++m) acc[v][m] = _mm512_setzero_ps();
  for (int64_t u = u0; u < u1; ++u) {
    const uint8_t* up[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) up[v] = f.unit(panel[v], u);
    constexpr int H = F::kHalves;
    __m512i ia[H][NV][MR];
    const int8_t* xq[MR];
#pragma GCC unroll 6
    for (int m = 0; m < MR; ++m) {
      xq[m] = a.q + (m0 + m) * a.K + u * kActBlock;
#pragma GCC unroll 2
      for (int h = 0; h < H; ++h) {
        const __m512i start =
            F::kOffset ? _mm512_set1_epi32(-F::kOffset * f.act_sum(a, m0 + m, u, h)) : _mm512_setzero_si512();
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) ia[h][v][m] = start;
      }
    }
    F::template dots<NV, MR>(ia, up, xq);
#pragma GCC unroll 2
    for (int h = 0; h < H; ++h) {
      __m512 s[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) s[v] = f.scale(panel[v], u, h);
#pragma GCC unroll 6
      for (int m = 0; m < MR; ++m) {
        const __m512 dx = _mm512_set1_ps(a.d[(m0 + m) * nb + u]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v)
          acc[v][m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ia[h][v][m]), _mm512_mul_ps(s[v], dx), acc[v][m]);
      }
    }
    if constexpr (F::kMins) {
      __m512 mn[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) mn[v] = f.mins(panel[v], u);
#pragma GCC unroll 6
      for (int m = 0; m < MR; ++m) {
        const int64_t b = (m0 + m) * nb + u;
        const __m512 c = _mm512_set1_ps(a.d[b] * float(a.sum[b]));
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[v][m] = _mm512_fnmadd_ps(mn[v], c, acc[v][m]);
      }
    }
  }
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) {
    const int64_t n = n0 + kVnniPanelRows * v, valid = std::min<int64_t>(kVnniPanelRows, N - n);
    const __mmask16 mask = __mmask16((1u << valid) - 1);
#pragma GCC unroll 6
    for (int m = 0; m < MR; ++m) {
      float* dst = y + (m0 + m) * ldy + n;
      const __m512 prev = !first ? _mm512_maskz_loadu_ps(mask, dst)
                          : bias ? _mm512_maskz_loadu_ps(mask, bias + n)
                                 : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(dst, mask, _mm512_add_ps(prev, acc[v][m]));
    }
  }
}

template <class F>
using TileFn = void (*)(const F&, const uint8_t* const*, const ActBlocks&, int64_t, int64_t, int64_t, bool,
                        float*, int64_t, int64_t, int64_t, const float*);

template <class F, int NV, size_t... I>
constexpr auto tile_row(std::index_sequence<I...>) {
  return std::array<TileFn<F>, sizeof...(I)>{&tile<F, NV, int(I) + 1>...};
}

template <class F>
void gemm(const F& f, float* y, int64_t ldy, const ActBlocks& a, const uint8_t* w, size_t panel_bytes,
          int64_t M, int64_t N, const float* bias) {
  constexpr int MR = F::kMaxRows;
  // [panels in the tile - 1][activation rows - 1]
  static constexpr std::array<std::array<TileFn<F>, MR>, kNv> kTiles = {
      tile_row<F, 1>(std::make_index_sequence<MR>()), tile_row<F, 2>(std::make_index_sequence<MR>())};
  const int64_t units = f.units, panels = (N + kVnniPanelRows - 1) / kVnniPanelRows;
  const int64_t pairs = (panels + kNv - 1) / kNv, tiles = (M + MR - 1) / MR;
  const int64_t kblocks = (units + kKcUnits - 1) / kKcUnits;
  parallel_panels_or_tiles(pairs, tiles, [&](int64_t p0, int64_t p1, int64_t t0, int64_t t1) {
    for (int64_t pp = p0; pp < p1; ++pp) {
      const int64_t nv = std::min<int64_t>(kNv, panels - pp * kNv);
      const uint8_t* panel[kNv];
      for (int v = 0; v < kNv; ++v)
        panel[v] = w + size_t(pp * kNv + std::min<int64_t>(v, nv - 1)) * panel_bytes;
      for (int64_t kb = 0; kb < kblocks; ++kb) {
        const int64_t u0 = kb * kKcUnits, u1 = std::min(units, u0 + kKcUnits);
        for (int64_t t = t0; t < t1; ++t) {
          // Row tile t covers activation rows [t M / tiles, (t + 1) M / tiles): heights differ by at most
          // one.
          const int64_t r0 = t * M / tiles, mrows = (t + 1) * M / tiles - r0;
          kTiles[size_t(nv - 1)][size_t(mrows - 1)](f, panel, a, r0, u0, u1, kb == 0, y, ldy,
                                                    pp * kNv * kVnniPanelRows, N, bias);
        }
      }
    }
  });
}

}  // namespace

void gemm_vnni_panels(float* y, int64_t ldy, const float* x, int64_t ldx, const void* panels, DType dtype,
                      int64_t M, int64_t N, int64_t K, const float* bias) {
  DC_ASSERT(dtype_is_block(dtype) && K % dtype_block_elems(dtype) == 0);
  // The activation blocks, shared read-only by all threads.
  const ActBlocks a = act_blocks_in(thread_scratch(0, act_blocks_bytes(M, K)), M, K);
  quantize_acts(x, ldx, a);
  int32_t* half_sums = nullptr;
  if (dtype == DType::Q6_K) {
    half_sums = static_cast<int32_t*>(thread_scratch(1, size_t(M * (K / 16)) * sizeof(int32_t)));
    for (int64_t i = 0; i < M * (K / 16); ++i) {
      const int8_t* q = a.q + (i / (K / 16)) * a.K + (i % (K / 16)) * 16;
      int32_t sum = 0;
      for (int k = 0; k < 16; ++k) sum += q[k];
      half_sums[i] = sum;
    }
  }
  const uint8_t* w = static_cast<const uint8_t*>(panels);
  const size_t pb = vnni_panel_bytes(dtype, K);
  const int64_t units = K / kActBlock;
  switch (dtype) {
    case DType::Q8_0:
      return gemm(PanelQ8_0{units}, y, ldy, a, w, pb, M, N, bias);
    case DType::Q4_0:
      return gemm(PanelQ4_0{units}, y, ldy, a, w, pb, M, N, bias);
    case DType::Q4_K:
      return gemm(PanelQ4_K{units}, y, ldy, a, w, pb, M, N, bias);
    case DType::Q6_K:
      return gemm(PanelQ6_K{units, half_sums}, y, ldy, a, w, pb, M, N, bias);
    default:
      DC_ASSERT(false, "gemm_vnni_panels: not a panel type");
  }
}

}  // namespace dc::kernels::cpu

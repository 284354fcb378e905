// Attention driver for the AVX2 / AVX-512 paths (contract in ops.h). For each KV head, the valid keys are
// gathered once into kt[D, Nv] (transposed) and vv[Nv, D], so masked keys cost nothing and need no -inf.
// Work units are (query head, block of query rows); per unit, with S[rows, Nv] in per-thread scratch:
//   S = Q_blk kt  (GEMM)  ->  S = exp((S - rowmax) / sqrt(D)), row sums  ->  out = S vv / rowsum  (GEMM).
// Units are handed out in head-major chunks (parallel.h), so a thread reuses one KV head's kt / vv from
// cache.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/ops_table.h"
#include "kernels/cpu/parallel.h"

namespace dc::kernels::cpu {

void attention_blocked(const OpsTable& ops, int64_t block_rows, float* out, const float* q, const float* k,
                       const float* v, int64_t Nq, int64_t Nk, int64_t H, int64_t Hkv, int64_t D,
                       const uint8_t* key_valid, const uint8_t* query_valid) {
  const int64_t group = H / Hkv;
  std::vector<int64_t> keys;  // indices of the valid keys
  keys.reserve(size_t(Nk));
  for (int64_t j = 0; j < Nk; ++j)
    if (!key_valid || key_valid[j]) keys.push_back(j);
  const int64_t Nv = int64_t(keys.size());
  if (Nv == 0) {  // every key excluded: every row is zero
    for (int64_t i = 0; i < Nq * H * D; ++i) out[i] = 0.0f;
    return;
  }
  // kt[g] [D, Nv] and vv[g] [Nv, D] for each KV head g, in the calling thread's scratch.
  float* kt = static_cast<float*>(thread_scratch(1, size_t(2 * Hkv * D * Nv) * sizeof(float)));
  float* vv = kt + Hkv * D * Nv;
  for (int64_t g = 0; g < Hkv; ++g) {
    float* ktg = kt + g * D * Nv;
    float* vvg = vv + g * Nv * D;
    for (int64_t jj = 0; jj < Nv; ++jj) {
      const float* kr = k + (keys[size_t(jj)] * Hkv + g) * D;
      const float* vr = v + (keys[size_t(jj)] * Hkv + g) * D;
      for (int64_t d = 0; d < D; ++d) {
        ktg[d * Nv + jj] = kr[d];
        vvg[jj * D + d] = vr[d];
      }
    }
  }
  const float scale = float(1.0 / std::sqrt(double(D)));
  const int64_t blocks = (Nq + block_rows - 1) / block_rows;
  parallel_chunks(H * blocks, chunk_for(H * blocks, 4), [&](int64_t u0, int64_t u1) {
    float* s = static_cast<float*>(thread_scratch(2, size_t(block_rows * (Nv + 1)) * sizeof(float)));
    float* inv = s + block_rows * Nv;  // [rows] 1 / row sum, or 0 for an invalid query
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t h = u / blocks, i0 = (u % blocks) * block_rows;
      const int64_t rows = std::min(block_rows, Nq - i0);
      const int64_t g = h / group;
      ops.gemm_nn(s, Nv, q + (i0 * H + h) * D, H * D, kt + g * D * Nv, Nv, rows, Nv, D);
      for (int64_t r = 0; r < rows; ++r) {
        const bool valid = !query_valid || query_valid[i0 + r];
        inv[r] = valid ? 1.0f / ops.exp_shifted(s + r * Nv, Nv, scale) : 0.0f;
      }
      float* o = out + (i0 * H + h) * D;
      ops.gemm_nn(o, H * D, s, Nv, vv + g * Nv * D, D, rows, D, Nv);
      for (int64_t r = 0; r < rows; ++r) {
        if (inv[r] == 0.0f) {
          for (int64_t d = 0; d < D; ++d) o[r * H * D + d] = 0.0f;  // never 0 * NaN
        } else {
          ops.scale(o + r * H * D, D, inv[r]);
        }
      }
    }
  });
}

}  // namespace dc::kernels::cpu

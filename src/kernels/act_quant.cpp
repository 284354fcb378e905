// Int8 activation blocks for the block-weight GEMM (see act_quant.h).
#include "kernels/act_quant.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/thread_pool.h"

namespace dc::kernels {

namespace {
size_t round64(size_t n) {
  return (n + 63) / 64 * 64;
}
}  // namespace

size_t act_blocks_bytes(int64_t M, int64_t K) {
  DC_ASSERT(K % kActBlock == 0);
  const size_t blocks = size_t(M * (K / kActBlock));
  return round64(size_t(M * K)) + 2 * round64(blocks * 4);
}

ActBlocks act_blocks_in(void* storage, int64_t M, int64_t K) {
  DC_ASSERT(K % kActBlock == 0);
  ActBlocks a;
  a.M = M;
  a.K = K;
  uint8_t* p = static_cast<uint8_t*>(storage);
  const size_t blocks = size_t(M * (K / kActBlock));
  a.q = reinterpret_cast<int8_t*>(p);
  p += round64(size_t(M * K));
  a.d = reinterpret_cast<float*>(p);
  p += round64(blocks * 4);
  a.sum = reinterpret_cast<int32_t*>(p);
  return a;
}

void quantize_act_rows(const float* x, int64_t ldx, const ActBlocks& a, int64_t m0, int64_t m1) {
  const int64_t nb = a.blocks();
  for (int64_t m = m0; m < m1; ++m) {
    for (int64_t b = 0; b < nb; ++b) {
      const float* xb = x + m * ldx + b * kActBlock;
      int8_t* qb = a.q + m * a.K + b * kActBlock;
      float amax = 0.0f;
      for (int64_t i = 0; i < kActBlock; ++i) amax = std::max(amax, std::fabs(xb[i]));
      // One multiply and one round-to-nearest-even per value: the same operations as the vector code.
      const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
      int32_t sum = 0;
      for (int64_t i = 0; i < kActBlock; ++i) {
        const int q = int(std::nearbyint(xb[i] * id));
        qb[i] = int8_t(q);
        sum += q;
      }
      a.d[m * nb + b] = amax / 127.0f;
      a.sum[m * nb + b] = sum;
    }
  }
}

void quantize_acts(const float* x, int64_t ldx, const ActBlocks& a) {
  global_pool().parallel_for(
      a.M, [&](int64_t m0, int64_t m1, int) { quantize_act_rows(x, ldx, a, m0, m1); },
      std::max<int64_t>(1, 16384 / std::max<int64_t>(a.K, 1)));
}

}  // namespace dc::kernels

// Internal: the int8 activation blocks of the block-weight GEMM (kernels::linear on Q8_0 / Q4_0 / Q4_K / Q6_K
// weights). Once per call, each row of x[M, K] is cut into blocks of 32 values; block b of row m gets the
// fp32 scale d = amax / 127 (0 for an all-zero block), the int8 quants q = nearbyint(x * (127 / amax)) in
// [-127, 127] and the sum of those quants (for the weights' offset terms). Every kernel, the scalar
// reference included, multiplies the weights' integer quants with these int8 values, so all paths share one
// rounding of the activations and differ only in fp summation order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dc::kernels {

constexpr int64_t kActBlock = 32;

// Views into storage of act_blocks_bytes(M, K) bytes (64-byte aligned). K is a multiple of kActBlock.
struct ActBlocks {
  int64_t M = 0, K = 0;
  int8_t* q = nullptr;     // [M, K], row stride K
  float* d = nullptr;      // [M, K / 32]
  int32_t* sum = nullptr;  // [M, K / 32]

  int64_t blocks() const { return K / kActBlock; }
};

size_t act_blocks_bytes(int64_t M, int64_t K);
ActBlocks act_blocks_in(void* storage, int64_t M, int64_t K);

// Quantizes rows [m0, m1) of x (row stride ldx) into a, on the calling thread.
void quantize_act_rows(const float* x, int64_t ldx, const ActBlocks& a, int64_t m0, int64_t m1);
// All M rows, shared over the global pool.
void quantize_acts(const float* x, int64_t ldx, const ActBlocks& a);

}  // namespace dc::kernels

#include "core/error.h"
#include "kernels/cpu/gemm.h"
namespace dc::kernels::cpu {
PackResult pack_avx512_bf16(const TensorView&) {
  DC_ASSERT(false);
}
PackResult pack_avx512_f32(const TensorView&) {
  DC_ASSERT(false);
}
PackResult pack_avx2(const TensorView&) {
  DC_ASSERT(false);
}
void gemm_avx512_bf16(float*, int64_t, const float*, int64_t, const void*, int64_t, int64_t, int64_t,
                      const float*) {
  DC_ASSERT(false);
}
void gemm_avx512_f32(float*, int64_t, const float*, int64_t, const void*, int64_t, int64_t, int64_t,
                     const float*) {
  DC_ASSERT(false);
}
void gemm_avx2(float*, int64_t, const float*, int64_t, const void*, DType, int64_t, int64_t, int64_t,
               const float*) {
  DC_ASSERT(false);
}
void* thread_scratch(int, size_t) {
  return nullptr;
}
}  // namespace dc::kernels::cpu

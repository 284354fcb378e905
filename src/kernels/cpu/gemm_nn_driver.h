// Internal: the loop nest of the small row-major GEMM (OpsTable::gemm_nn) shared by the ISA files, which
// supply only their micro-kernels. Everything here has internal linkage, so each ISA file compiles its
// own copy with its own instruction-set flags.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace dc::kernels::cpu {
namespace {

// c[rows, ncols] = a[rows, K] * b[K, ncols] for rows fixed by the kernel and ncols <= its panel width.
using MicroNN = void (*)(float* c, int64_t ldc, const float* a, int64_t lda, const float* b, int64_t ldb,
                         int64_t K, int64_t ncols);

// {kernel<1>, ..., kernel<MR>}: `pointer_of(std::integral_constant<int, R>)` returns &kernel<R>.
template <size_t MR, class PointerOf>
constexpr std::array<MicroNN, MR> micro_table(PointerOf pointer_of) {
  return [&]<size_t... I>(std::index_sequence<I...>) {
    return std::array<MicroNN, MR>{pointer_of(std::integral_constant<int, int(I) + 1>{})...};
  }
  (std::make_index_sequence<MR>());
}

// c[M, N] = a[M, K] * b[K, N] (row strides ldc, lda, ldb) in column panels of NR and row blocks of up
// to MR; a block of r < MR rows (the last one) uses micro[r - 1].
template <int NR, size_t MR>
void gemm_nn_blocked(const std::array<MicroNN, MR>& micro, float* c, int64_t ldc, const float* a, int64_t lda,
                     const float* b, int64_t ldb, int64_t M, int64_t N, int64_t K) {
  for (int64_t n0 = 0; n0 < N; n0 += NR) {
    const int64_t nc = std::min<int64_t>(NR, N - n0);
    for (int64_t m0 = 0; m0 < M; m0 += int64_t(MR)) {
      const int64_t rows = std::min<int64_t>(int64_t(MR), M - m0);
      micro[size_t(rows - 1)](c + m0 * ldc + n0, ldc, a + m0 * lda, lda, b + n0, ldb, K, nc);
    }
  }
}

}  // namespace
}  // namespace dc::kernels::cpu

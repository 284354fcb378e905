// Dispatch of the public ops (kernels/ops.h) to the scalar references or the ISA-specific kernels.
#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/ops_table.h"
#include "kernels/ref/ref_ops.h"

namespace dc::kernels {

void linear(float* y, const float* x, const PackedWeight& w, const float* bias, int64_t M,
            Precision precision) {
  linear(y, w.rows(), x, w.cols(), w, bias, M, precision);
}

void linear(float* y, int64_t ldy, const float* x, int64_t ldx, const PackedWeight& w, const float* bias,
            int64_t M, Precision precision) {
  DC_ASSERT(!w.empty(), "linear: weight was never packed");
  DC_ASSERT(ldx >= w.cols() && ldy >= w.rows());
  if (M <= 0) return;
  const int64_t N = w.rows(), K = w.cols();
  switch (w.layout()) {
    case PackedWeight::Layout::View: {
      TensorView view{w.dtype(), {N, K}, w.data()};
      ref::linear(y, ldy, x, ldx, view, bias, M);
      return;
    }
    case PackedWeight::Layout::Avx512Bf16:
      cpu::gemm_avx512_bf16(y, ldy, x, ldx, w.data(), M, N, K, bias, precision == Precision::Exact);
      return;
    case PackedWeight::Layout::Avx512F32:
      cpu::gemm_avx512_f32(y, ldy, x, ldx, w.data(), M, N, K, bias);
      return;
    case PackedWeight::Layout::Avx2Panel:
      cpu::gemm_avx2(y, ldy, x, ldx, w.data(), w.dtype(), M, N, K, bias);
      return;
    case PackedWeight::Layout::VnniPanels:
      cpu::gemm_vnni_panels(y, ldy, x, ldx, w.data(), w.dtype(), M, N, K, bias);
      return;
    case PackedWeight::Layout::Blocks: {
      TensorView view{w.dtype(), {N, K}, w.data()};
      ref::linear_quant(y, ldy, x, ldx, view, bias, M);
      return;
    }
    case PackedWeight::Layout::None:
      break;
  }
  DC_ASSERT(false, "linear: unknown weight layout");
}

namespace {

// The primitive table of the active ISA, or nullptr for the scalar reference path.
const cpu::OpsTable* active_ops() {
  switch (active_isa()) {
    case Isa::Avx512:
      return &cpu::ops_avx512();
    case Isa::Avx2:
      return &cpu::ops_avx2();
    case Isa::Scalar:
      break;
  }
  return nullptr;
}

// Element-wise loops are split over the pool in chunks of this many values (below it: one thread).
constexpr int64_t kElementGrain = 1 << 14;

}  // namespace

void rmsnorm(float* y, const float* x, const TensorView& weight, int64_t M, int64_t C, float eps) {
  DC_ASSERT(weight.numel() == C, "rmsnorm: weight length differs from the row length");
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::rmsnorm(y, x, weight, M, C, eps);
  // The weight as fp32 [C] (a copy only when it is stored as BF16 / F16).
  std::vector<float> wf;
  const float* w = weight.f32();
  if (weight.dtype != DType::F32) {
    wf.resize(size_t(C));
    for (int64_t c = 0; c < C; ++c) wf[size_t(c)] = ref::load_element(weight, c);
    w = wf.data();
  }
  global_pool().parallel_for(
      M,
      [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) {
          const float ms = ops->sum_squares(x + m * C, C) / float(C);
          ops->scale_mul(y + m * C, x + m * C, 1.0f / std::sqrt(ms + eps), w, C);
        }
      },
      std::max<int64_t>(1, kElementGrain / std::max<int64_t>(C, 1)));
}

namespace {

// cos/sin for positions [0, positions) of one (D, theta): cs[p * D + j] = cos, cs[p * D + D/2 + j] = sin.
// Kept per calling thread and extended on demand: a forward pass applies RoPE to q and k of every layer at
// the same positions, so each value is computed once (std::cos / std::sin in double are the costly part).
struct RopeTable {
  int64_t D = 0;
  double theta = 0.0;
  int64_t positions = 0;
  std::vector<float> cs;
};

// The table covering every pos[i] (all in [0, 2^20)), or nullptr when some position is outside that range.
const float* rope_table(const int32_t* pos, int64_t M, int64_t D, double theta) {
  thread_local RopeTable t;
  int32_t hi = -1;
  for (int64_t i = 0; i < M; ++i) {
    if (pos[i] < 0 || pos[i] >= (1 << 20)) return nullptr;
    hi = std::max(hi, pos[i]);
  }
  if (t.D != D || t.theta != theta) t = RopeTable{D, theta, 0, {}};
  if (hi >= t.positions) {
    const int64_t n = std::max<int64_t>(hi + 1, 2 * t.positions), half = D / 2;
    t.cs.resize(size_t(n * D));
    for (int64_t p = t.positions; p < n; ++p)
      for (int64_t j = 0; j < half; ++j)
        ref::rope_cos_sin(int32_t(p), j, D, theta, &t.cs[size_t(p * D + j)], &t.cs[size_t(p * D + half + j)]);
    t.positions = n;
  }
  return t.cs.data();
}

}  // namespace

void rope(float* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta) {
  DC_ASSERT(D % 2 == 0, "rope needs an even head dimension");
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::rope(x, pos, M, H, D, theta);
  const int64_t half = D / 2;
  const float* table = rope_table(pos, M, D, theta);
  global_pool().parallel_for(
      M,
      [&](int64_t m0, int64_t m1, int) {
        std::vector<float> own;  // cos [half], sin [half] of one position, when there is no table
        if (!table) own.resize(size_t(D));
        for (int64_t m = m0; m < m1; ++m) {
          const float* cs = table ? table + int64_t(pos[m]) * D : own.data();
          if (!table)
            for (int64_t j = 0; j < half; ++j)
              ref::rope_cos_sin(pos[m], j, D, theta, &own[size_t(j)], &own[size_t(half + j)]);
          ops->rope_row(x + m * H * D, cs, cs + half, H, D);
        }
      },
      std::max<int64_t>(1, kElementGrain / std::max<int64_t>(H * D, 1)));
}

void attention(float* out, const float* q, const float* k, const float* v, int64_t Nq, int64_t Nk, int64_t H,
               int64_t Hkv, int64_t D, const uint8_t* key_valid, const uint8_t* query_valid) {
  DC_ASSERT(Hkv > 0 && H % Hkv == 0, "attention: query heads must be a multiple of KV heads");
  if (Nq <= 0) return;
  switch (active_isa()) {
    case Isa::Avx512:
      return cpu::attention_blocked(cpu::ops_avx512(), 24, out, q, k, v, Nq, Nk, H, Hkv, D, key_valid,
                                    query_valid);
    case Isa::Avx2:
      return cpu::attention_blocked(cpu::ops_avx2(), 24, out, q, k, v, Nq, Nk, H, Hkv, D, key_valid,
                                    query_valid);
    case Isa::Scalar:
      break;
  }
  ref::attention(out, q, k, v, Nq, Nk, H, Hkv, D, key_valid, query_valid);
}

void swiglu(float* out, const float* gate, const float* up, int64_t n) {
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::swiglu(out, gate, up, n);
  global_pool().parallel_for(
      n, [&](int64_t b, int64_t e, int) { ops->swiglu(out + b, gate + b, up + b, e - b); }, kElementGrain);
}

void add_inplace(float* y, const float* x, int64_t n) {
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::add_inplace(y, x, n);
  global_pool().parallel_for(
      n, [&](int64_t b, int64_t e, int) { ops->add(y + b, x + b, e - b); }, kElementGrain);
}

RowRange divide_and_range(float* x, int64_t n, float divisor) {
  DC_ASSERT(n > 0);
  const cpu::OpsTable* ops = active_ops();
  return ops ? ops->divide_and_range(x, n, divisor) : ref::divide_and_range(x, n, divisor);
}

float exp_shifted_row(float* x, int64_t n) {
  DC_ASSERT(n > 0);
  const cpu::OpsTable* ops = active_ops();
  return ops ? ops->exp_shifted(x, n, 1.0f) : ref::exp_shifted_row(x, n);
}

double exp_sum_f64(const float* x, int64_t n, float shift) {
  const cpu::OpsTable* ops = active_ops();
  return ops ? ops->exp_sum_f64(x, n, shift) : ref::exp_sum_f64(x, n, shift);
}

float keep_and_sum(float* e, const float* x, int64_t n, float t, int64_t last_tied) {
  DC_ASSERT(n > 0);
  const cpu::OpsTable* ops = active_ops();
  return ops ? ops->keep_and_sum(e, x, n, t, last_tied) : ref::keep_and_sum(e, x, n, t, last_tied);
}

ProbStats scale_and_stats(float* p, int64_t n, float s, double* block_sums) {
  DC_ASSERT(n > 0);
  const cpu::OpsTable* ops = active_ops();
  return ops ? ops->scale_and_stats(p, n, s, block_sums) : ref::scale_and_stats(p, n, s, block_sums);
}

double sum_p_log_p(const float* p, int64_t n, float eps) {
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::sum_p_log_p(p, n, eps);
  return ops->sum_p_log_p(p, n, eps);
}

void softmax_rows(float* x, int64_t M, int64_t N) {
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::softmax_rows(x, M, N);
  if (N <= 0) return;
  global_pool().parallel_for(
      M,
      [&](int64_t m0, int64_t m1, int) {
        for (int64_t m = m0; m < m1; ++m) {
          const float sum = ops->exp_shifted(x + m * N, N, 1.0f);
          ops->scale(x + m * N, N, 1.0f / sum);
        }
      },
      std::max<int64_t>(1, kElementGrain / N));
}

void bucket_histogram(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                      float inv, double* mass, uint16_t* ids) {
  DC_ASSERT(buckets >= 1 && buckets <= 65536);
  const cpu::OpsTable* ops = active_ops();
  if (!ops) return ref::bucket_histogram(x, e, n, lo, scale, buckets, inv, mass, ids);
  ops->bucket_histogram(x, e, n, lo, scale, buckets, inv, mass, ids);
}

int64_t indices_equal(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out) {
  const cpu::OpsTable* ops = active_ops();
  return ops ? ops->indices_equal(ids, n, value, out) : ref::indices_equal(ids, n, value, out);
}

}  // namespace dc::kernels

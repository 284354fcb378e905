// Compute kernels used by the models: linear layers (GEMM against pre-packed weights), RMSNorm, RoPE,
// bidirectional GQA attention, SwiGLU, residual add and row softmax. All activations are fp32 row-major.
// Kernels know nothing about models: callers pass pointers and sizes only.
//
// Every op has a scalar reference in kernels/ref/ (the test oracle) and AVX2 / AVX-512 (+AVX512-BF16)
// versions in kernels/cpu/, chosen at run time from the CPU's features (or DC_ISA=scalar|avx2|avx512, or
// force_isa()). Multi-threaded ops share work over dc::global_pool(); every output element is computed by
// one thread in a fixed order (no cross-thread sums), so results are bit-identical for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/dtype.h"
#include "core/tensor.h"

namespace dc::kernels {

// Instruction sets, ordered: a CPU that runs one runs all below it. Avx512 means avx512f/bw/vl/dq; it uses
// avx512_bf16 (vdpbf16ps) for BF16 weights when has_avx512_bf16().
enum class Isa : uint8_t { Scalar = 0, Avx2 = 1, Avx512 = 2 };

Isa detected_isa();      // the best the CPU (and OS) supports
bool has_avx512_bf16();  // the CPU supports vdpbf16ps
bool has_avx512_vnni();  // the CPU supports vpdpbusd (int8 dot products for block-quantized weights)
Isa active_isa();        // detected_isa(), lowered by DC_ISA or force_isa()
// Selects the kernels used from now on (tests, benchmarks). Must not exceed detected_isa(). Weights packed
// earlier keep the layout they were packed for and still run their own kernel (see PackedWeight).
void force_isa(Isa isa);
const char* isa_name(Isa isa);  // "scalar", "avx2", "avx512"

// A weight matrix W [N, K] (PyTorch Linear layout, y = x W^T) prepared for one ISA. Holds either a packed
// copy (column panels, see kernels/cpu/gemm.h) or a zero-copy view of the original data when no packing is
// needed (the scalar path, block-quantized weights included: the ggml row-major block layout is the
// reference kernel's input, e.g. straight from a memory-mapped file; the view must then outlive this
// object). Block-quantized weights on AVX512-VNNI are repacked into row-interleaved panels of about their
// stored size (kernels/cpu/gemm.h). Cheap to copy (shared storage).
class PackedWeight {
 public:
  // How the data is laid out; each layout has exactly one GEMM kernel.
  enum class Layout : uint8_t {
    None,        // empty
    View,        // the original [N, K] tensor, any of F32/F16/BF16 (scalar path)
    Avx512Bf16,  // bf16 pairs of K interleaved, 32-column panels (vdpbf16ps); from BF16 weights
    Avx512F32,   // fp32, 32-column panels; from F32 or F16 weights (F16 widened exactly)
    Avx2Panel,   // original element type (F32/F16/BF16), 16-column panels, widened to fp32 in the kernel
    VnniPanels,  // Q8_0/Q4_0/Q4_K/Q6_K repacked into 16-row panels, int8 GEMM with AVX512-VNNI
    Blocks,      // Q8_0/Q4_0/Q4_K/Q6_K rows as stored (view), the same int8 scheme in scalar code
  };

  PackedWeight() = default;
  // Packs w (2-D, F32/F16/BF16, or a block type whose rows are whole blocks) for active_isa(). Throws
  // dc::Error for another rank or element type, or rows that are not whole blocks.
  static PackedWeight pack(const TensorView& w);
  static PackedWeight pack(const TensorView& w, Isa isa);

  int64_t rows() const { return n_; }      // N (output features)
  int64_t cols() const { return k_; }      // K (input features)
  DType dtype() const { return dtype_; }   // element type of the source tensor
  size_t bytes() const { return bytes_; }  // bytes of the packed copy (or of the viewed tensor)
  Layout layout() const { return layout_; }
  bool empty() const { return layout_ == Layout::None; }
  const void* data() const { return data_; }  // layout-specific; see kernels/cpu/gemm.h

 private:
  Layout layout_ = Layout::None;
  DType dtype_ = DType::F32;
  int64_t n_ = 0, k_ = 0;
  size_t bytes_ = 0;
  const void* data_ = nullptr;
  std::shared_ptr<void> storage_;  // owns data_ unless layout_ == View
};

// How a product with BF16 weights treats the fp32 activations. Exact: as they are, against the weights
// widened to fp32 (what every layout but Avx512Bf16 does anyway: the result of an fp32 GEMM). Fast: rounded
// to bf16 once per call and multiplied with vdpbf16ps (Avx512Bf16 only; twice the arithmetic rate, but the
// logits move by about 1e-2 relative, like a model run in bf16).
enum class Precision : uint8_t { Exact, Fast };

// y[M, N] = x[M, K] * W^T (+ bias[N] if non-null); x, y fp32 row-major with row strides K and N.
// y must not overlap x. Threads: global pool. M == 0 does nothing. Runs the kernel of the layout w was packed
// for (bit-identical results for any thread count). Block-quantized weights ignore `precision`: x is
// quantized to int8 blocks of 32 once per call (kernels/act_quant.h) and multiplied in integers.
void linear(float* y, const float* x, const PackedWeight& w, const float* bias, int64_t M,
            Precision precision = Precision::Exact);
// The same with explicit row strides (ldx >= K, ldy >= N), e.g. to write into a slice of a wider buffer.
void linear(float* y, int64_t ldy, const float* x, int64_t ldx, const PackedWeight& w, const float* bias,
            int64_t M, Precision precision = Precision::Exact);

// y[M, C] = x * rsqrt(mean(x^2) + eps) * weight  (fp32 math; weight F32 or BF16 (or F16) [C] view).
// y may alias x.
void rmsnorm(float* y, const float* x, const TensorView& weight, int64_t M, int64_t C, float eps);

// Rotate-half (NeoX) RoPE in place on x[M, H, D] (row stride H*D) at positions pos[M]: pairs (j, j + D/2),
// angle pos * theta^(-2j/D), computed in fp32 like HF (cos/sin of fp32 inv_freq * pos). D must be even.
void rope(float* x, const int32_t* pos, int64_t M, int64_t H, int64_t D, double theta);

// Bidirectional (non-causal) scaled dot-product attention with GQA, one sequence:
// q[Nq, H, D], k[Nk, Hkv, D], v[Nk, Hkv, D] -> out[Nq, H, D]; scale 1/sqrt(D); query head h uses KV head
// h / (H/Hkv). key_valid[Nk] (nullable): keys with 0 are excluded. query_valid[Nq] (nullable): rows with 0
// get zeros (never NaN). A row whose every key is excluded also gets zeros. Threads over heads x query
// blocks. out must not alias q, k or v.
void attention(float* out, const float* q, const float* k, const float* v, int64_t Nq, int64_t Nk, int64_t H,
               int64_t Hkv, int64_t D, const uint8_t* key_valid, const uint8_t* query_valid);

// out[i] = silu(gate[i]) * up[i]  (n values; out may alias gate or up).
void swiglu(float* out, const float* gate, const float* up, int64_t n);

// y += x (n values).
void add_inplace(float* y, const float* x, int64_t n);

// In-place softmax of each row of x[M, N].
void softmax_rows(float* x, int64_t M, int64_t N);

// ---- One row of logits at a time, on the calling thread only: the sampler's per-position work already
// runs inside a parallel_for. Vectorised; the scalar path is kernels/ref. n > 0 throughout.

struct RowRange {
  float max;
  float min;
};

// If divisor > 0, x[i] = x[i] / divisor first (a true division, as PyTorch's logits / temperature).
// Returns the largest and smallest value of the (divided) row.
RowRange divide_and_range(float* x, int64_t n, float divisor);

// x[i] = exp(x[i] - max(x)); returns the sum of the new values. The accumulation order is fixed per ISA and
// shared with keep_and_sum, so that the sum over a filtered row is the one exp_shifted_row would give on
// the row with its removed entries at -inf.
float exp_shifted_row(float* x, int64_t n);

// sum_i exp(x[i] - shift) in double (each term an fp32 exp, relative error about 1e-7): the denominator
// of a softmax evaluated in double precision.
double exp_sum_f64(const float* x, int64_t n, float shift);

// Keeps e[i] where x[i] > t, or x[i] == t and i <= last_tied, and zeroes it elsewhere; returns the sum of
// what is kept (accumulated as exp_shifted_row does).
float keep_and_sum(float* e, const float* x, int64_t n, float t, int64_t last_tied);

// Top-p's bucketing pass over a whole row: ids[i] = bucket of x[i], the truncation of (x[i] - lo) * scale
// clamped to [0, buckets - 1] (NaN: 0), and mass[c * buckets + ids[i]] += double(e[i] * inv) with c
// alternating between two interleaved histograms (so that repeated buckets chain less). mass (2 * buckets)
// is added to, not cleared. buckets <= 65536.
void bucket_histogram(const float* x, const float* e, int64_t n, float lo, float scale, int buckets,
                      float inv, double* mass, uint16_t* ids);

// out = the indices i with ids[i] == value, in increasing order; returns how many.
int64_t indices_equal(const uint16_t* ids, int64_t n, uint16_t value, int32_t* out);

// Width of the blocks of scale_and_stats's block sums.
constexpr int64_t kProbBlock = 256;

struct ProbStats {
  double total = 0;    // sum of the scaled row, in double
  float top1 = 0;      // its largest value ...
  int64_t argmax = 0;  // ... at this index (the first one)
  float top2 = 0;      // its second largest value, ties counted (0 when n == 1)
};

// p[i] *= s, then the statistics of the scaled row; block_sums (nullable, ceil(n / kProbBlock) entries)
// receives the double sum of each block of kProbBlock values, so that an inverse-CDF draw scans one block.
ProbStats scale_and_stats(float* p, int64_t n, float s, double* block_sums);

// sum_i p[i] * log(p[i] + eps) over one row of probabilities (the entropy confidence), on the calling
// thread only. Vectorised with a polynomial log (relative error about 1e-7 per term); the scalar path is
// ref::sum_p_log_p (double log).
double sum_p_log_p(const float* p, int64_t n, float eps);

}  // namespace dc::kernels

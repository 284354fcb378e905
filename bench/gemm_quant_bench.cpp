// Block-quantized weights against BF16 on 7B-shaped linear layers (N x K = 3584 x 3584, 18944 x 3584,
// 3584 x 18944) for M = 8, 32, 64, 256 activation rows, 1 and 2 threads: GFLOP/s of kernels::linear
// (2 M N K / time), the rate the weights stream at (GB/s), and the fraction of this machine's peak for the
// instruction each kernel is built on, measured at start-up (bench/peak_probe.h): fp32 FMA for BF16 at exact
// precision (weights widened to fp32), vdpbf16ps for BF16 at fast precision, vpdpbusd for Q8_0 / Q4_0 / Q4_K
// / Q6_K (int8 activations). Prints figures only; asserts nothing about timings.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_timing.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "kernels/quant.h"
#include "peak_probe.h"

namespace {

using namespace dc;
using namespace dc::kernels;

struct Layer {
  const char* name;
  int64_t N, K;
};

struct Variant {
  const char* name;
  DType dtype;
  Precision precision;
};

// The weights of one variant in their stored form.
struct Stored {
  std::vector<uint16_t> bf16;
  std::vector<uint8_t> blocks;
  TensorView view;
};

Stored store(const std::vector<float>& w, DType dtype, int64_t N, int64_t K) {
  Stored s;
  if (dtype == DType::BF16) {
    s.bf16.resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) s.bf16[i] = f32_to_bf16(w[i]);
    s.view = TensorView{dtype, {N, K}, s.bf16.data()};
    return s;
  }
  const size_t rb = quantized_bytes(dtype, K);
  s.blocks.resize(rb * size_t(N));
  global_pool().parallel_for(N, [&](int64_t n0, int64_t n1, int) {
    for (int64_t n = n0; n < n1; ++n)
      quantize_row(dtype, w.data() + n * K, s.blocks.data() + size_t(n) * rb, K);
  });
  s.view = TensorView{dtype, {N, K}, s.blocks.data()};
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GEMM benchmark: block-quantized weights against BF16 on 7B shapes"};
  std::vector<int> threads = {1, 2};
  std::vector<int64_t> ms = {8, 32, 64, 256};
  double min_seconds = 0.3;
  std::string only;
  app.add_option("--threads", threads, "thread counts to run");
  app.add_option("--m", ms, "activation rows");
  app.add_option("--min-seconds", min_seconds, "time spent per measurement");
  app.add_option("--only", only, "run only layers whose name contains this");
  CLI11_PARSE(app, argc, argv);

  std::printf("detected ISA: %s%s%s\n", isa_name(detected_isa()), has_avx512_bf16() ? " +avx512_bf16" : "",
              has_avx512_vnni() ? " +avx512_vnni" : "");
  std::map<int, bench::Peaks> peaks;
  for (int t : threads) {
    set_num_threads(t);
    peaks[t] = bench::measure_peaks();
    std::printf(
        "measured peak, %d thread(s): vfmadd231ps %.1f GFLOP/s, vdpbf16ps %.1f GFLOP/s, vpdpbusd %.1f "
        "GOP/s (%.1f with the block kernels' scale epilogue: %.0f%%)\n",
        t, peaks[t].fma_f32, peaks[t].dpbf16, peaks[t].dpbusd, peaks[t].dpbusd_scaled,
        peaks[t].dpbusd > 0 ? 100.0 * peaks[t].dpbusd_scaled / peaks[t].dpbusd : 0.0);
  }
  std::fflush(stdout);

  const Layer layers[] = {{"7b_qo", 3584, 3584}, {"7b_gate_up", 18944, 3584}, {"7b_down", 3584, 18944}};
  const Variant variants[] = {
      {"BF16-exact", DType::BF16, Precision::Exact}, {"BF16-fast", DType::BF16, Precision::Fast},
      {"Q8_0", DType::Q8_0, Precision::Exact},       {"Q4_0", DType::Q4_0, Precision::Exact},
      {"Q4_K", DType::Q4_K, Precision::Exact},       {"Q6_K", DType::Q6_K, Precision::Exact}};
  std::printf("%-11s %6s %6s %4s %-10s %2s %10s %9s %12s %9s\n", "layer", "N", "K", "M", "weights", "th",
              "ms", "GFLOP/s", "% of peak", "W GB/s");
  for (const Layer& l : layers) {
    if (!only.empty() && std::string(l.name).find(only) == std::string::npos) continue;
    Rng rng(uint64_t(l.N * 7 + l.K));
    std::vector<float> w(size_t(l.N * l.K));
    for (float& f : w) f = 0.05f * (2.0f * rng.uniform() - 1.0f);
    int64_t max_m = 0;
    for (int64_t m : ms) max_m = std::max(max_m, m);
    std::vector<float> x(size_t(max_m * l.K)), y(size_t(max_m * l.N));
    for (float& f : x) f = 2.0f * rng.uniform() - 1.0f;
    for (const Variant& v : variants) {
      set_num_threads(2);
      const Stored s = store(w, v.dtype, l.N, l.K);
      const PackedWeight pw = PackedWeight::pack(s.view);
      for (int64_t m : ms)
        for (int t : threads) {
          set_num_threads(t);
          const double sec =
              bench::time_best([&] { linear(y.data(), x.data(), pw, nullptr, m, v.precision); }, min_seconds);
          const double gflops = 2.0 * double(m) * double(l.N) * double(l.K) / sec * 1e-9;
          const bench::Peaks& p = peaks[t];
          const double peak =
              v.dtype != DType::BF16                                                              ? p.dpbusd
              : pw.layout() == PackedWeight::Layout::Avx512Bf16 && v.precision == Precision::Fast ? p.dpbf16
                                                                                                  : p.fma_f32;
          const char* unit = v.dtype != DType::BF16 ? "vpdpbusd" : peak == p.dpbf16 ? "vdpbf16ps" : "fma";
          std::printf("%-11s %6lld %6lld %4lld %-10s %2d %10.3f %9.1f %5.1f%% %-9s %6.1f\n", l.name,
                      (long long)l.N, (long long)l.K, (long long)m, v.name, t, sec * 1e3, gflops,
                      peak > 0 ? 100.0 * gflops / peak : 0.0, unit, double(pw.bytes()) / sec * 1e-9);
          std::fflush(stdout);
        }
    }
  }
  return 0;
}

// GEMM and op-level benchmark for the kernels: GFLOP/s of kernels::linear on the linear-layer shapes of a
// Qwen2.5-0.5B-shaped Dream step (hidden 896, 14/2 heads, FFN 4864, vocab 151936, 64 prompt tokens + canvas)
// and a few 7B shapes, BF16 and F32 weights, 1 and 2 threads, on every ISA this CPU runs (the scalar
// reference only on small shapes), plus attention and the element-wise ops. Percentages are of this
// machine's peaks measured at start-up for each thread count (bench/peak_probe.h): vfmadd231ps for F32
// weights and BF16 at exact precision (weights widened to fp32), which every kernel here runs at. Prints
// figures only; asserts nothing about timings.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_timing.h"

#include "core/rng.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "peak_probe.h"

namespace {

using namespace dc;
using namespace dc::kernels;

struct GemmShape {
  const char* name;
  int64_t M, N, K;
};

using bench::time_best;

std::vector<float> random_values(Rng& rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = 2.0f * rng.uniform() - 1.0f;
  return v;
}

std::vector<uint16_t> random_bf16(Rng& rng, int64_t n) {
  std::vector<uint16_t> v(static_cast<size_t>(n));
  for (uint16_t& h : v) h = f32_to_bf16(0.05f * (2.0f * rng.uniform() - 1.0f));
  return v;
}

// Peak fp32 FMA rate (GFLOP/s) per thread count, measured once.
double fma_peak(int threads) {
  static std::map<int, double> peaks;
  auto it = peaks.find(threads);
  if (it != peaks.end()) return it->second;
  set_num_threads(threads);
  const double p = bench::measure_peaks().fma_f32;
  std::printf("measured peak, %d thread(s): vfmadd231ps %.1f GFLOP/s\n", threads, p);
  return peaks[threads] = p;
}

void bench_gemm(const GemmShape& s, DType dtype, Isa isa, const std::vector<int>& threads,
                double min_seconds) {
  Rng rng(uint64_t(s.M * 131 + s.N * 7 + s.K));
  std::vector<uint16_t> wh;
  std::vector<float> wf;
  TensorView view{dtype, {s.N, s.K}, nullptr};
  if (dtype == DType::BF16) {
    wh = random_bf16(rng, s.N * s.K);
    view.data = wh.data();
  } else {
    wf = random_values(rng, s.N * s.K);
    view.data = wf.data();
  }
  const auto pack_start = std::chrono::steady_clock::now();
  const PackedWeight w = PackedWeight::pack(view, isa);
  const double pack_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - pack_start).count();
  const std::vector<float> x = random_values(rng, s.M * s.K);
  std::vector<float> y(size_t(s.M * s.N));
  const double flop = 2.0 * double(s.M) * double(s.N) * double(s.K);
  for (int t : threads) {
    const double peak = fma_peak(t);
    set_num_threads(t);
    double cpu = 0.0;
    const double sec = time_best([&] { linear(y.data(), x.data(), w, nullptr, s.M); }, min_seconds, &cpu);
    const double gflops = flop / sec * 1e-9;
    const double weight_gbs = double(w.bytes()) / sec * 1e-9;
    std::printf(
        "%-14s %5lld %6lld %5lld  %-4s %-6s %dT %9.3f ms %7.1f GFLOP/s %6.1f%% of peak %6.1f GB/s W"
        " | cpu-time rate %7.1f GFLOP/s | pack %.0f ms\n",
        s.name, (long long)s.M, (long long)s.N, (long long)s.K, dtype_name(dtype), isa_name(isa), t,
        sec * 1e3, gflops, 100.0 * gflops / peak, weight_gbs, flop / (cpu / t) * 1e-9, pack_ms);
    std::fflush(stdout);
  }
}

void bench_ops(Isa isa, int64_t canvas, const std::vector<int>& threads, double min_seconds) {
  force_isa(isa);
  const int64_t N = 64 + canvas, H = 14, Hkv = 2, D = 64, C = 896, F = 4864;
  Rng rng(9);
  const auto q = random_values(rng, N * H * D), k = random_values(rng, N * Hkv * D),
             v = random_values(rng, N * Hkv * D);
  std::vector<float> out(size_t(N * H * D));
  auto g = random_values(rng, N * F), u = random_values(rng, N * F), xs = random_values(rng, N * C);
  std::vector<float> o2(size_t(N * F)), y(size_t(N * C));
  const auto gamma = random_values(rng, C);
  const TensorView gv{DType::F32, {C}, gamma.data()};
  std::vector<int32_t> pos(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) pos[size_t(i)] = int32_t(i);
  auto qr = q;
  for (int t : threads) {
    set_num_threads(t);
    double att_cpu = 0.0;
    const double att = time_best(
        [&] { attention(out.data(), q.data(), k.data(), v.data(), N, N, H, Hkv, D, nullptr, nullptr); },
        min_seconds, &att_cpu);
    const double att_flop = 4.0 * double(N) * double(N) * double(D) * double(H);
    const double sw = time_best([&] { swiglu(o2.data(), g.data(), u.data(), N * F); }, min_seconds);
    const double rn = time_best([&] { rmsnorm(y.data(), xs.data(), gv, N, C, 1e-6f); }, min_seconds);
    const double rp = time_best([&] { rope(qr.data(), pos.data(), N, H, D, 1e6); }, min_seconds);
    const double sm = time_best([&] { softmax_rows(o2.data(), N, F); }, min_seconds);
    std::printf(
        "ops N=%-4lld %-6s %dT  attention %8.3f ms (%6.1f GFLOP/s, cpu-time %6.1f)  swiglu %6.3f ms  rmsnorm "
        "%6.3f ms  "
        "rope(q) %6.3f ms  softmax[%lldx%lld] %6.3f ms\n",
        (long long)N, isa_name(isa), t, att * 1e3, att_flop / att * 1e-9, att_flop / (att_cpu / t) * 1e-9,
        sw * 1e3, rn * 1e3, rp * 1e3, (long long)N, (long long)F, sm * 1e3);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GEMM / op benchmark for the compute kernels"};
  bool quick = false, no_ops = false, no_7b = false, ops_only = false;
  double min_seconds = 0.3;
  std::vector<int> threads = {1, 2};
  std::string only;
  app.add_flag("--quick", quick, "step shapes only, 2 threads, BF16 and F32 on the best ISA");
  app.add_flag("--no-ops", no_ops, "skip attention and element-wise ops");
  app.add_flag("--no-7b", no_7b, "skip the 7B shapes");
  app.add_flag("--ops-only", ops_only, "only attention and the element-wise ops");
  app.add_option("--threads", threads, "thread counts to run");
  app.add_option("--min-seconds", min_seconds, "time spent per measurement");
  app.add_option("--only", only, "run only shapes whose name contains this");
  CLI11_PARSE(app, argc, argv);
  if (quick && app.count("--threads") == 0) threads = {2};

  const Isa best = detected_isa();
  std::printf("detected ISA: %s%s, threads available: %u\n", isa_name(best),
              has_avx512_bf16() ? " (+avx512_bf16)" : "", std::max(1u, std::thread::hardware_concurrency()));
  std::printf("%-14s %5s %6s %5s  %-4s %-6s %-2s %12s %15s\n", "shape", "M", "N", "K", "W", "isa", "th",
              "time", "rate");

  // Canvas 256 + 64 prompt tokens = 320 rows; lm_head only on the 256 canvas rows.
  std::vector<GemmShape> step = {{"qo_proj", 320, 896, 896},     {"kv_proj", 320, 128, 896},
                                 {"gate_up", 320, 4864, 896},    {"down", 320, 896, 4864},
                                 {"lm_head", 256, 151936, 896},  {"gate_up_c512", 576, 4864, 896},
                                 {"lm_head_m4", 4, 151936, 896}, {"gate_up_m16", 16, 4864, 896}};
  std::vector<GemmShape> big = {{"7b_qo", 320, 3584, 3584},
                                {"7b_gate_m64", 64, 18944, 3584},
                                {"7b_down_m64", 64, 3584, 18944},
                                {"m1024_k896", 1024, 4864, 896}};
  std::vector<GemmShape> shapes = step;
  if (!no_7b && !quick) shapes.insert(shapes.end(), big.begin(), big.end());

  std::vector<Isa> isas = {best};
  if (!quick)
    for (Isa i : {Isa::Avx2})
      if (i < best) isas.push_back(i);
  for (const auto& s : shapes) {
    if (ops_only) break;
    if (!only.empty() && std::string(s.name).find(only) == std::string::npos) continue;
    for (DType dt : {DType::BF16, DType::F32})
      for (Isa isa : isas) bench_gemm(s, dt, isa, threads, min_seconds);
  }
  if (!quick && only.empty() && !ops_only) {
    // Scalar reference baseline on one small shape (it is far too slow for the others).
    const GemmShape small = {"scalar_small", 64, 896, 896};
    for (DType dt : {DType::BF16, DType::F32}) {
      bench_gemm(small, dt, Isa::Scalar, {2}, min_seconds);
      bench_gemm(small, dt, best, {2}, min_seconds);
    }
  }
  if (!no_ops && only.empty()) {
    for (int64_t canvas : {256, 512}) {
      bench_ops(best, canvas, threads, min_seconds);
      if (!quick && best > Isa::Avx2) bench_ops(Isa::Avx2, canvas, {2}, min_seconds);
      if (!quick) bench_ops(Isa::Scalar, canvas, {2}, 0.0);
    }
  }
  return 0;
}

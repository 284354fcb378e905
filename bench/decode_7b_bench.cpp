// Cached decoding at DiffuCoder-7B's shape (hidden 3584, 28 layers, 28/4 heads x 128, FFN 18944, vocab
// 152064): for each weight format, the load time, the resident memory, the time of the first refresh (a
// pass over prompt + answer slots that stores every position's keys/values), of the later refreshes (dual
// and prefix: the answer slots, keeping the prompt's keys/values; sparse: a block and what follows it)
// and of the window steps of a prefix, a dual and a sparse cache (SPEC §4; sparse: --sparse-rows rows,
// the mean the bundled model runs per step), at prompt 128, 256 answer slots, block 32, one canvas, every
// wanted position in the active block. Then the projected time to a 256-token answer:
//   first refresh + later refreshes + blocks x (steps per block - 1) x window step,
// steps per block = block x steps per slot, at 1 step per slot and at --steps-per-slot (both
// measured on the bundled model, docs/PERFORMANCE.md).
//
// The weights are zeros (the step time of these kernels does not depend on the values): BF16 as sparse
// safetensors files (headers only, data holes: nothing on disk), the quantized formats as GGUF files in the
// types `diffucoder quantize` gives (4-bit: the head at Q6_K), written once under --data. Each format runs in
// a child process of its own so that its peak resident memory (VmHWM) is its alone. Figures only: nothing is
// asserted.
//   bench_decode_7b [--formats bf16,bf16-fast,q8_0,q4_0,q4_k] [--layers N] [--data DIR] [--iters N]
//                   [--steps-per-slot F] [--sparse-rows R]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "bench_data_dir.h"
#include "core/error.h"
#include "core/process_memory.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "model/gguf_dream.h"
#include "model/gguf_writer.h"
#include "model/quant_plan.h"
#include "model/random_checkpoint.h"
#include "model/tensor_table.h"
#include "model/transformer_model.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Shape {
  int64_t prompt = 128, answer = 256, block = 32;
};

// The weight type a format stores its matrices in (BF16 for both BF16 precisions).
dc::DType target_of(const std::string& format) {
  if (format == "q8_0") return dc::DType::Q8_0;
  if (format == "q4_0") return dc::DType::Q4_0;
  if (format == "q4_k") return dc::DType::Q4_K;
  return dc::DType::BF16;
}

// A GGUF model of `cfg` whose every tensor is zero, in the types `diffucoder quantize --type` would give
// (model/quant_plan.h): zero blocks are valid blocks (scale 0). Written for real (no holes): a few GB.
void write_zero_gguf(const std::string& path, const dc::ModelConfig& cfg, dc::DType target) {
  std::vector<dc::GgufTensorRef> tensors;
  for (const dc::TensorSpec& t : dc::tensor_table(cfg)) {
    dc::GgufTensorRef r;
    r.name = dc::gguf_name_of(t.name);
    r.view = dc::TensorView{dc::planned_type(t, target, cfg.tie_word_embeddings), t.shape, nullptr};
    const size_t bytes = r.view.nbytes();
    r.fill = [bytes](uint8_t* out) { std::memset(out, 0, bytes); };
    tensors.push_back(std::move(r));
  }
  dc::write_gguf(path, dc::dream_config_metadata(cfg, dc::gguf_file_type(target)), tensors);
}

// The model path of a format under `data`, written on first use: sparse BF16 safetensors, or a GGUF file.
std::string checkpoint_for(const std::string& format, const std::string& data, int64_t layers) {
  dc::ModelConfig cfg = dc::diffucoder_7b_config();
  cfg.num_hidden_layers = layers;
  const dc::DType target = target_of(format);
  if (target == dc::DType::BF16) {
    const std::string dir = fmt::format("{}/diffucoder-7b-shape-{}l-bf16-sparse", data, layers);
    if (!std::filesystem::exists(dir + "/model.safetensors.index.json"))
      dc::write_sparse_checkpoint(dir, cfg, 4);
    return dir;
  }
  const std::string path = fmt::format("{}/diffucoder-7b-shape-{}l-{}-zero.gguf", data, layers, format);
  if (!std::filesystem::exists(path)) {
    std::filesystem::create_directories(data);
    write_zero_gguf(path, cfg, target);
  }
  return path;
}

// One format, in this process: load, one refresh of each kind, then `iters` window steps of each cache kind
// (medians).
int run_child(const std::string& format, const std::string& dir, const Shape& s, int iters,
              int64_t sparse_rows) {
  const auto t0 = Clock::now();
  dc::TransformerModel model(dir);
  if (format == "bf16-fast") model.set_precision(dc::kernels::Precision::Fast);
  const double load_s = seconds_since(t0);
  const long rss_loaded = dc::resident_kib();

  const int64_t N = s.prompt + s.answer;
  std::vector<int32_t> tokens(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) tokens[size_t(i)] = int32_t((i * 7919) % 150000);
  const dc::CanvasBatch batch{1, N, tokens, {}};
  const int32_t slot = 0;
  std::vector<dc::PredictionRef> block, sparse;  // every block position; sparse_rows of them, every other
  for (int64_t p = s.prompt; p < s.prompt + s.block; ++p) block.push_back({0, int32_t(p)});
  for (int64_t j = 0; j < sparse_rows; ++j)
    sparse.push_back({0, int32_t(s.prompt + (2 * j) % s.block + (2 * j) / s.block)});
  std::sort(sparse.begin(), sparse.end(), [](auto& a, auto& b) { return a.position < b.position; });
  std::vector<float> logits(block.size() * size_t(model.vocab_size()));

  auto call = [&](dc::CacheWindow w, const std::vector<dc::PredictionRef>& wanted) {
    const auto t = Clock::now();
    model.predict_cached(batch, w, wanted, logits.data());
    return seconds_since(t) * 1e3;
  };
  const std::span<const int32_t> slots(&slot, 1);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> full, later, prefix, dual, sparse_steps;
  for (int i = 0; i < iters; ++i)
    full.push_back(call(dc::CacheWindow{true, s.prompt, s.prompt + s.block, 1, slots}, block));
  // A dual or prefix cache's later refreshes keep the prompt; a sparse cache's keep everything before
  // the block: the refreshes of blocks 1 .. blocks - 1, summed.
  for (int i = 0; i < iters; ++i) {
    dc::CacheWindow w{true, s.prompt, N, 1, slots};
    w.refresh_from = s.prompt;
    later.push_back(call(w, block));
  }
  double sparse_refreshes_ms = 0;
  for (int64_t b = s.block; b < s.answer; b += s.block) {
    std::vector<dc::PredictionRef> its_block;
    for (int64_t p = s.prompt + b; p < s.prompt + b + s.block; ++p) its_block.push_back({0, int32_t(p)});
    dc::CacheWindow w{true, s.prompt + b, N, 1, slots};
    w.refresh_from = s.prompt + b;
    sparse_refreshes_ms += call(w, its_block);
  }
  dc::CacheWindow sparse_window{false, s.prompt, s.prompt + s.block, 1, slots};
  sparse_window.sparse = true;
  for (int i = 0; i < iters; ++i)
    prefix.push_back(call(dc::CacheWindow{false, s.prompt, N, 1, slots}, block));
  for (int i = 0; i < iters; ++i)
    dual.push_back(call(dc::CacheWindow{false, s.prompt, s.prompt + s.block, 1, slots}, block));
  for (int i = 0; i < iters; ++i) sparse_steps.push_back(call(sparse_window, sparse));
  // One line for the parent: format load_s rss_loaded_kib peak_kib refresh_ms later_ms sparse_refreshes_ms
  // prefix_ms dual_ms sparse_ms
  std::printf("RESULT %s %.3f %ld %ld %.3f %.3f %.3f %.3f %.3f %.3f\n", format.c_str(), load_s, rss_loaded,
              dc::peak_resident_kib(), median(full), median(later), sparse_refreshes_ms, median(prefix),
              median(dual), median(sparse_steps));
  std::fflush(stdout);
  return 0;
}

struct Result {
  std::string format;
  double load_s = 0, refresh_ms = 0, later_ms = 0, sparse_refreshes_ms = 0, prefix_ms = 0, dual_ms = 0,
         sparse_ms = 0;
  long rss_kib = 0, peak_kib = 0;
};

// Runs this binary again with --child for one format and parses its RESULT line.
bool run_format(const std::string& self, const std::vector<std::string>& child_args, Result& r) {
  std::string cmd = self;
  for (const std::string& a : child_args) cmd += " '" + a + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return false;
  char line[512], fmt_name[64];
  bool ok = false;
  while (std::fgets(line, sizeof line, p)) {
    if (std::sscanf(line, "RESULT %63s %lf %ld %ld %lf %lf %lf %lf %lf %lf", fmt_name, &r.load_s, &r.rss_kib,
                    &r.peak_kib, &r.refresh_ms, &r.later_ms, &r.sparse_refreshes_ms, &r.prefix_ms, &r.dual_ms,
                    &r.sparse_ms) == 10) {
      r.format = fmt_name;
      ok = true;
    } else {
      std::fputs(line, stdout);
    }
  }
  return ::pclose(p) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cached decoding steps at DiffuCoder-7B's shape, per weight format"};
  std::vector<std::string> formats{"bf16", "bf16-fast", "q8_0", "q4_0", "q4_k"};
  std::string data = dc::bench::default_data_dir(), child;
  int64_t layers = 28;
  int iters = 3, threads = 0;
  double steps_per_slot = 0.83;
  int64_t sparse_rows = 16;
  Shape s;
  app.add_option("--formats", formats, "weight formats")
      ->delimiter(',')
      ->check(CLI::IsMember({"bf16", "bf16-fast", "q8_0", "q4_0", "q4_k"}));
  app.add_option("--layers", layers, "transformer layers (28 = the real depth)")->check(CLI::Range(1, 28));
  app.add_option("--data", data, "folder for the sparse checkpoints");
  app.add_option("--iters", iters, "window steps timed per cache kind (median)")->check(CLI::Range(1, 100));
  app.add_option("--threads", threads, "threads (0 = all cores)");
  app.add_option("--steps-per-slot", steps_per_slot, "steps per answer slot for the projection")
      ->check(CLI::Range(0.01, 1.0));
  app.add_option("--sparse-rows", sparse_rows, "query rows of a sparse-cache step")->check(CLI::Range(1, 32));
  app.add_option("--child", child, "internal: run one format in this process")->group("");
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) dc::set_num_threads(threads);
    if (!child.empty()) return run_child(child, checkpoint_for(child, data, layers), s, iters, sparse_rows);

    fmt::print(
        "decode_7b: DiffuCoder-7B shape, {} of 28 layers, prompt {}, answer {}, block {}, sparse step of {} "
        "rows, one canvas, {} threads, kernels {}{}\n",
        layers, s.prompt, s.answer, s.block, sparse_rows, dc::global_pool().size(),
        dc::kernels::isa_name(dc::kernels::active_isa()), dc::kernels::has_avx512_bf16() ? "+bf16" : "");
    std::vector<Result> results;
    for (const std::string& f : formats) {
      const auto t0 = Clock::now();
      const std::string dir = checkpoint_for(f, data, layers);
      if (seconds_since(t0) > 1.0) fmt::print("  (wrote {} in {:.1f} s)\n", dir, seconds_since(t0));
      std::vector<std::string> args{"--child",       f,
                                    "--data",        data,
                                    "--layers",      std::to_string(layers),
                                    "--iters",       std::to_string(iters),
                                    "--threads",     std::to_string(threads),
                                    "--sparse-rows", std::to_string(sparse_rows)};
      Result r;
      if (!run_format(std::filesystem::read_symlink("/proc/self/exe").string(), args, r))
        dc::throw_error("the {} run failed", f);
      results.push_back(r);
    }
    const int64_t blocks = s.answer / s.block;
    fmt::print("{:<10}{:>7}{:>7}{:>8}{:>8}{:>8}{:>9}{:>8}{:>7}{:>8}{:>7}{:>9}{:>9}{:>11}{:>11}\n", "format",
               "load s", "RSS GB", "peak GB", "refr ms", "later", "sp. refr", "prefix", "dual", "sparse",
               "dual/r", "dual@1 s", "dual@m s", "sparse@1 s", "sparse@m s");
    for (const Result& r : results) {
      // the first refresh + the later ones + the window steps of every block
      auto project = [&](double per_slot, double later_refreshes_ms, double step_ms) {
        const double steps_per_block = std::max(1.0, double(s.block) * per_slot);
        return (r.refresh_ms + later_refreshes_ms + double(blocks) * (steps_per_block - 1.0) * step_ms) / 1e3;
      };
      const double dual_later = double(blocks - 1) * r.later_ms;
      fmt::print(
          "{:<10}{:>7.1f}{:>7.2f}{:>8.2f}{:>8.0f}{:>8.0f}{:>9.0f}{:>8.0f}{:>7.0f}{:>8.0f}{:>7.3f}{:>9.0f}{:>"
          "9.0f}{:>11.0f}{:>11.0f}\n",
          r.format, r.load_s, double(r.rss_kib) / 1048576.0, double(r.peak_kib) / 1048576.0, r.refresh_ms,
          r.later_ms, r.sparse_refreshes_ms, r.prefix_ms, r.dual_ms, r.sparse_ms, r.dual_ms / r.refresh_ms,
          project(1.0, dual_later, r.dual_ms), project(steps_per_slot, dual_later, r.dual_ms),
          project(1.0, r.sparse_refreshes_ms, r.sparse_ms),
          project(steps_per_slot, r.sparse_refreshes_ms, r.sparse_ms));
    }
    fmt::print(
        "(refr: the first refresh, ms; later: a later refresh of a dual cache (the answer slots); sp. refr: "
        "the {} later refreshes of a sparse cache (a block and what follows it), summed; prefix/dual/sparse: "
        "window step ms; @1 s: projected seconds to a 256-slot answer at one step per slot, @m s: at {} "
        "steps "
        "per slot)\n",
        blocks - 1, steps_per_slot);
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "bench_decode_7b: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// One masked-diffusion training step (forward + backward + AdamW) of a small random Dream model, against
// the PyTorch twin (scripts/twin/bench_train_step.py) on the same checkpoint, batch and thread count, in one
// run. Default shape: hidden 256, 4 layers, 4 query / 2 KV heads of 64, FFN 768, vocab 2048, batch 4 x 256
// tokens. Prints ms/step and tokens/s of both and the ratio. Figures only: nothing is asserted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "model/training_pass.h"
#include "train/adamw.h"
#include "train/diffusion_batch.h"
#include "train/init_params.h"
#include "train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;

double run_twin(const std::string& python, const std::string& dir, int64_t batch, int64_t seq, int iters,
                int threads) {
  if (std::system((python + " -c 'import torch' >/dev/null 2>&1").c_str()) != 0) return -1;
  const std::string cmd = fmt::format(
      "OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS={} {} {}/scripts/twin/bench_train_step.py --model '{}' "
      "--batch {} "
      "--seq {} --iters {} --threads {}",
      threads, python, DC_SOURCE_DIR, dir, batch, seq, iters, threads);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char line[512];
  double ms = -1;
  while (std::fgets(line, sizeof line, p)) {
    long long b = 0, n = 0;
    double m = 0;
    if (std::sscanf(line, "twin batch=%lld seq=%lld ms_per_step=%lf", &b, &n, &m) == 3) ms = m;
  }
  pclose(p);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A Dream training step (forward + backward + AdamW) against the PyTorch twin"};
  int64_t hidden = 256, layers = 4, heads = 4, kv_heads = 2, head_dim = 64, ffn = 768, vocab = 2048;
  int64_t batch = 4, seq = 256;
  int iters = 3, threads = 2;
  std::string python = "/usr/bin/python3";
  std::string data = (std::filesystem::temp_directory_path() / "diffucoder-train-bench").string();
  bool no_twin = false;
  app.add_option("--hidden", hidden);
  app.add_option("--layers", layers);
  app.add_option("--heads", heads);
  app.add_option("--kv-heads", kv_heads);
  app.add_option("--head-dim", head_dim);
  app.add_option("--ffn", ffn);
  app.add_option("--vocab", vocab);
  app.add_option("--batch", batch, "sequences per step");
  app.add_option("--seq", seq, "tokens per sequence");
  app.add_option("--iters", iters, "timed steps (the median is reported)");
  app.add_option("--threads", threads, "threads for both engines");
  app.add_option("--data", data, "folder for the random checkpoint the twin reads");
  app.add_option("--python", python, "interpreter with torch for the twin");
  app.add_flag("--no-twin", no_twin, "skip the PyTorch twin");
  CLI11_PARSE(app, argc, argv);
  try {
    dc::set_num_threads(threads);
    dc::ModelConfig c;
    c.hidden_size = hidden;
    c.num_hidden_layers = layers;
    c.num_attention_heads = heads;
    c.num_key_value_heads = kv_heads;
    c.head_dim = head_dim;
    c.intermediate_size = ffn;
    c.vocab_size = vocab;
    c.mask_token_id = int32_t(vocab - 1);
    c.pad_token_id = c.eos_token_id = int32_t(vocab - 2);
    c.bos_token_id = int32_t(vocab - 3);
    dc::ModelParams p = dc::train::init_params(c, 1);
    dc::train::write_model_folder(data, p, dc::DType::F32, "");
    fmt::print(
        "train_step: random Dream (hidden {}, {} layers, {}/{} heads x {}, FFN {}, vocab {}), batch {} x {} "
        "tokens, {} threads, kernels {}\n",
        hidden, layers, heads, kv_heads, head_dim, ffn, vocab, batch, seq, threads,
        dc::kernels::isa_name(dc::kernels::active_isa()));

    dc::train::AdamWOptions ao;
    ao.lr = 1e-4;
    ao.total_steps = 1000;
    dc::train::AdamW opt(ao, p);
    dc::ModelParams g = dc::params_zeros(c);
    dc::TrainTape tape;
    dc::Rng rng(7);
    std::vector<double> times;
    for (int it = 0; it < iters + 1; ++it) {
      std::vector<dc::train::TokenSequence> seqs(static_cast<size_t>(batch));
      for (auto& s : seqs)
        for (int64_t i = 0; i < seq; ++i) s.tokens.push_back(int32_t(rng.below(uint64_t(vocab - 8))));
      const auto t0 = Clock::now();
      const dc::train::DiffusionBatch db =
          dc::train::make_diffusion_batch(seqs, c.mask_token_id, 1, 1e-3, 1.0, rng);
      for (auto& t : g.tensors) std::fill(t.data.begin(), t.data.end(), 0.f);
      dc::loss_and_grad(p, db.tokens.data(), db.B, db.N, nullptr, db.head, &g, tape);
      opt.update(p, g, it + 1, dc::train::global_grad_norm(g));
      const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
      if (it > 0) times.push_back(dt);
    }
    std::sort(times.begin(), times.end());
    const double ms = 1000 * times[times.size() / 2];
    const double tps = double(batch * seq) / (ms / 1000);
    fmt::print("{:<10}{:>12}{:>14}\n", "engine", "ms/step", "tokens/s");
    fmt::print("{:<10}{:>12.1f}{:>14.1f}\n", "c++", ms, tps);
    if (!no_twin) {
      const double tms = run_twin(python, data, batch, seq, iters, threads);
      if (tms > 0) {
        const double ttps = double(batch * seq) / (tms / 1000);
        fmt::print("{:<10}{:>12.1f}{:>14.1f}\n", "pytorch", tms, ttps);
        fmt::print("speed-up (tokens/s, c++ / pytorch): {:.2f}x\n", tps / ttps);
      } else {
        fmt::print("pytorch twin: not run (no torch at {} or the script failed)\n", python);
      }
    }
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "train_step_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

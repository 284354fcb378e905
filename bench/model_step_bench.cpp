// One denoising step of a random Dream model of the Qwen2.5-0.5B shape (hidden 896, 24 layers, 14 query /
// 2 KV heads, FFN 4864, vocab 151936), 64 prompt tokens, canvas 256 and 512, F32 and BF16 weights: the whole
// canvas through every layer, then the final norm and lm_head only at the rows that predict masked positions
// (the first step of decoding: every generated slot masked). Prints ms/step, GFLOP/s and, when
// /usr/bin/python3 has torch, the ratio against the PyTorch twin (scripts/twin/bench_step.py) timed on the
// same checkpoint in the same invocation (2 threads, OMP_WAIT_POLICY=PASSIVE; bf16 and fp32 products through
// oneDNN, since Debian's torch has no optimised fp32 BLAS).
// Then token choice over that step's logits (the entropy rule, the settings of kChoiceSettings) and its share
// of model + choice; --reference also times the sorting reference. The random checkpoints are written once
// under
// --data and reused. Figures only: nothing is asserted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "bench_data_dir.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "decode/sampler.h"
#include "decode/token_choice.h"
#include "decode/token_choice_ref.h"
#include "kernels/ops.h"
#include "model/random_checkpoint.h"
#include "model/transformer_model.h"

namespace {

using Clock = std::chrono::steady_clock;

// Token choice over the step's logits (R rows of V), rows split over the pool as the sampler splits them:
// wall ms for the engine's rule and, when `reference`, for the sorting reference (decode/token_choice_ref.h).
struct ChoiceSetting {
  const char* name;
  dc::LogitFilter filter;
};
constexpr ChoiceSetting kChoiceSettings[] = {
    {"greedy, top-p 0.95", {0.0f, 0.95f, 0}}, {"T 0.8, top-p 0.95", {0.8f, 0.95f, 0}},
    {"T 0.8, top-k 40", {0.8f, 1.0f, 40}},    {"T 0.8, top-p 0.95, top-k 40", {0.8f, 0.95f, 40}},
    {"T 1.2, top-p 0.95", {1.2f, 0.95f, 0}},
};

double token_choice_ms(const std::vector<float>& logits, int64_t R, int64_t V, const dc::LogitFilter& filter,
                       bool reference) {
  std::vector<float> work = logits;  // choose_token divides by the temperature in place
  std::vector<dc::ChoiceScratch> scratch(size_t(dc::global_pool().size()));
  const auto t0 = Clock::now();
  dc::global_pool().parallel_for(
      R,
      [&](int64_t r0, int64_t r1, int thread) {
        for (int64_t r = r0; r < r1; ++r) {
          std::span<float> row(work.data() + r * V, size_t(V));
          const double u = double(r) / double(R);
          if (reference)
            dc::ref::choose_token(row, dc::Alg::Entropy, filter, u, 0);
          else
            dc::choose_token(row, dc::Alg::Entropy, filter, u, 0, scratch[size_t(thread)]);
        }
      },
      1);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Floating-point operations of one step (2 per multiply-add): projections and MLP on N rows, attention
// scores and weighted sums over N x N, the head on R rows.
double step_flops(const dc::ModelConfig& c, int64_t N, int64_t R) {
  const double C = double(c.hidden_size), F = double(c.intermediate_size), V = double(c.vocab_size);
  const double HD = double(c.num_attention_heads * c.head_dim),
               KD = double(c.num_key_value_heads * c.head_dim);
  const double per_layer = 2.0 * N * C * (HD + 2 * KD) + 2.0 * N * HD * C + 3 * 2.0 * N * C * F +
                           2 * 2.0 * double(N) * double(N) * HD;
  return per_layer * double(c.num_hidden_layers) + 2.0 * double(R) * C * V;
}

std::vector<int32_t> canvas_tokens(int64_t n, int64_t prompt, int32_t mask) {
  std::vector<int32_t> t(size_t(n), mask);
  for (int64_t i = 0; i < prompt; ++i) t[size_t(i)] = int32_t((i * 7919 + 13) % 150000);  // as bench_step.py
  return t;
}

// A whole generation (`steps` steps over canvas n) per token-choice setting: wall seconds per step, the
// model's share and the rest (token choice, selection, bookkeeping), from GenerationStats.
void end_to_end(dc::TransformerModel& model, int64_t n, int64_t prompt, int steps) {
  std::vector<int32_t> ids = canvas_tokens(n, prompt, model.mask_token_id());
  ids.resize(size_t(prompt));
  fmt::print("  end to end: canvas {}, {} generated, {} steps, entropy order\n", n, n - prompt, steps);
  fmt::print("  {:<30}{:>10}{:>12}{:>12}{:>9}{:>10}\n", "setting", "s/step", "model s", "choice s", "choice",
             "tokens/s");
  const ChoiceSetting settings[] = {
      {"greedy, top-p 0.95", {0.0f, 0.95f, 0}},
      {"T 0.8, top-p 0.95", {0.8f, 0.95f, 0}},
      {"T 0.8, top-k 40", {0.8f, 1.0f, 40}},
      {"T 0.8, top-p 0.95, top-k 40", {0.8f, 0.95f, 40}},
  };
  for (const ChoiceSetting& c : settings) {
    dc::GenerationParams p;
    p.max_new_tokens = int(n - prompt);
    p.steps = steps;
    p.alg = dc::Alg::Entropy;
    p.temperature = c.filter.temperature;
    p.top_p = c.filter.top_p;
    p.top_k = c.filter.top_k;
    p.seed = 1;
    const dc::GenerationStats st = dc::generate(model, {ids}, p).stats;
    const double per_step = st.seconds / st.steps, model_s = st.model_seconds / st.steps;
    fmt::print("  {:<30}{:>10.3f}{:>12.3f}{:>12.3f}{:>8.1f}%{:>10.1f}\n", c.name, per_step, model_s,
               per_step - model_s, 100.0 * (per_step - model_s) / per_step, st.tokens_per_second);
  }
}

// Runs the twin; returns ms/step per canvas ({} when torch is missing or the run fails).
std::map<int64_t, double> run_twin(const std::string& python, const std::string& dir, const char* dtype,
                                   const std::vector<int64_t>& canvases, int64_t prompt, int iters,
                                   int threads) {
  std::map<int64_t, double> out;
  if (std::system((python + " -c 'import torch' >/dev/null 2>&1").c_str()) != 0) return out;
  std::string cmd = fmt::format(
      "OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS={} {} {}/scripts/twin/bench_step.py --model '{}' --dtype {} "
      "--prompt {} --iters {} --threads {} --canvas",
      threads, python, DC_SOURCE_DIR, dir, dtype, prompt, iters, threads);
  for (int64_t n : canvases) cmd += " " + std::to_string(n);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char line[512];
  while (std::fgets(line, sizeof line, p)) {
    long long n = 0, r = 0;
    double ms = 0;
    if (std::sscanf(line, "twin canvas=%lld masked=%lld ms_per_step=%lf", &n, &r, &ms) == 3) out[n] = ms;
  }
  pclose(p);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"One Dream denoising step at the Qwen2.5-0.5B shape, against the PyTorch twin"};
  std::vector<int64_t> canvases{256, 512};
  std::vector<std::string> dtypes{"bf16", "f32"};
  int64_t prompt = 64;
  int iters = 3, threads = 2;
  std::string data = dc::bench::default_data_dir(), python = "/usr/bin/python3";
  bool no_twin = false;
  app.add_option("--canvas", canvases, "canvas lengths (prompt included)");
  app.add_option("--dtype", dtypes, "weight types: bf16, f32")->check(CLI::IsMember({"bf16", "f32"}));
  app.add_option("--prompt", prompt, "prompt tokens; the rest of the canvas is masked");
  app.add_option("--iters", iters, "timed steps per configuration (the median is reported)");
  app.add_option("--threads", threads, "threads for both engines");
  app.add_option("--data", data, "folder for the random checkpoints (written once)");
  app.add_option("--python", python, "interpreter with torch for the twin");
  app.add_flag("--no-twin", no_twin, "skip the PyTorch twin");
  bool reference = false;
  int generate_steps = 0;
  app.add_option("--end-to-end", generate_steps,
                 "also run whole generations of this many steps per token-choice setting (0: skip)");
  app.add_flag("--reference", reference, "also time token choice with the sorting reference (slow)");
  CLI11_PARSE(app, argc, argv);

  try {
    for (int64_t n : canvases)
      if (n <= prompt) dc::throw_error("--canvas {} must exceed --prompt {}", n, prompt);
    dc::set_num_threads(threads);
    const dc::ModelConfig cfg = dc::qwen25_05b_dream_config();
    fmt::print(
        "model_step: random Dream, Qwen2.5-0.5B shape (hidden {}, {} layers, {}/{} heads x {}, FFN {}, vocab "
        "{}), "
        "prompt {}, head on masked rows, {} threads, kernels {}{}\n",
        cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads, cfg.num_key_value_heads,
        cfg.head_dim, cfg.intermediate_size, cfg.vocab_size, prompt, threads,
        dc::kernels::isa_name(dc::kernels::active_isa()), dc::kernels::has_avx512_bf16() ? "+bf16" : "");
    fmt::print("{:<6}{:>7}{:>8}{:>11}{:>10}{:>14}{:>13}{:>10}\n", "dtype", "canvas", "masked", "ms/step",
               "GFLOP/s", "twin ms/step", "twin GFLOP/s", "speed-up");
    for (const std::string& dt : dtypes) {
      const dc::DType dtype = dt == "bf16" ? dc::DType::BF16 : dc::DType::F32;
      const std::string dir = data + "/qwen2.5-0.5b-shape-" + dt;
      if (!dc::random_dream_checkpoint_exists(dir, cfg, dtype, 1)) {
        const auto t0 = Clock::now();
        dc::write_random_checkpoint(dir, cfg, dtype, 1);
        fmt::print("  (wrote {} in {:.1f} s)\n", dir,
                   std::chrono::duration<double>(Clock::now() - t0).count());
      }
      std::map<int64_t, double> ours;
      std::map<int64_t, int64_t> masked;
      {
        const auto t0 = Clock::now();
        dc::TransformerModel model(dir);
        const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
        fmt::print("  ({} weights loaded and packed in {:.1f} s)\n", dt, load_s);
        for (int64_t n : canvases) {
          const std::vector<int32_t> tokens = canvas_tokens(n, prompt, model.mask_token_id());
          std::vector<dc::PredictionRef> wanted;
          for (int64_t p = 1; p < n; ++p)
            if (tokens[size_t(p)] == model.mask_token_id()) wanted.push_back({0, int32_t(p)});
          std::vector<float> logits(wanted.size() * size_t(model.vocab_size()));
          const dc::CanvasBatch batch{1, n, tokens, {}};
          std::vector<double> ms;
          for (int it = 0; it < iters + 1; ++it) {  // the first step warms up
            const auto t0 = Clock::now();
            model.predict(batch, wanted, logits.data());
            if (it > 0) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          }
          std::sort(ms.begin(), ms.end());
          ours[n] = ms[ms.size() / 2];
          masked[n] = int64_t(wanted.size());
          // Token choice (entropy rule) over this step's logits: a random model's rows are nearly flat,
          // the worst case for top-p.
          const int64_t R = int64_t(wanted.size()), V = model.vocab_size();
          for (const ChoiceSetting& c : kChoiceSettings) {
            const double engine = token_choice_ms(logits, R, V, c.filter, false);
            std::string baseline = "-";
            if (reference) {
              const double sorting = token_choice_ms(logits, R, V, c.filter, true);
              baseline = fmt::format("{:.1f} ms ({:.1f}x slower)", sorting, sorting / engine);
            }
            fmt::print(
                "  token choice {:<4} canvas {:<4} {:<30} {:8.1f} ms/step = {:5.1f}% of model + choice "
                "| sorting reference {}\n",
                dt, n, c.name, engine, 100.0 * engine / (engine + ours[n]), baseline);
          }
          if (generate_steps > 0) end_to_end(model, n, prompt, generate_steps);
        }
      }  // the model is released before the twin loads its copy
      std::map<int64_t, double> twin;
      if (!no_twin) twin = run_twin(python, dir, dt.c_str(), canvases, prompt, iters, threads);
      for (int64_t n : canvases) {
        const double gflop = step_flops(cfg, n, masked[n]) * 1e-9;
        std::string tw = "skipped", twg = "-", ratio = "-";
        if (twin.count(n)) {
          tw = fmt::format("{:.1f}", twin[n]);
          twg = fmt::format("{:.1f}", gflop / (twin[n] * 1e-3));
          ratio = fmt::format("{:.2f}x", twin[n] / ours[n]);
        }
        fmt::print("{:<6}{:>7}{:>8}{:>11.1f}{:>10.1f}{:>14}{:>13}{:>10}\n", dt, n, masked[n], ours[n],
                   gflop / (ours[n] * 1e-3), tw, twg, ratio);
      }
      if (!no_twin && twin.empty())
        fmt::print("  (PyTorch twin skipped: {} has no torch, or scripts/twin/bench_step.py failed)\n",
                   python);
    }
  } catch (const dc::Error& e) {
    std::fprintf(stderr, "bench_model_step: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Sampler overhead: the time the diffusion sampler itself spends per step (filtering, softmax, confidence,
// selection, bookkeeping), outside the model, for the DiffuCoder vocabulary (V = 151936 logit rows of a
// 7B/0.5B head) and 256 generated tokens. The model is a stand-in that copies precomputed random logits, so
// the figures isolate src/decode/. "cpu" is process CPU time per scored position, the model's copies
// included (a memcpy of V floats each); on a busy machine it is the steadier figure. Prints figures only;
// asserts nothing about timings.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/rng.h"
#include "core/thread_pool.h"
#include "decode/sampler.h"
#include "decode/token_choice.h"
#include "decode/token_choice_ref.h"

namespace {

using namespace dc;

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Copies one of 64 precomputed logit rows per requested position. Each row is peaked like a language model's:
// the token of rank r (a random permutation) gets logit -1.5 log(1 + r), so a few tokens hold most of the
// mass.
class CopyDenoiser : public Denoiser {
 public:
  explicit CopyDenoiser(int64_t V) : V_(V), table_(size_t(64 * V)) {
    Rng rng(5);
    std::vector<int64_t> perm(static_cast<size_t>(V));
    for (int64_t row = 0; row < 64; ++row) {
      for (int64_t v = 0; v < V; ++v) perm[size_t(v)] = v;
      for (int64_t v = V - 1; v > 0; --v) std::swap(perm[size_t(v)], perm[rng.below(uint64_t(v + 1))]);
      for (int64_t r = 0; r < V; ++r)
        table_[size_t(row * V + perm[size_t(r)])] = -1.5f * std::log(1.0f + float(r));
    }
  }
  int64_t vocab_size() const override { return V_; }
  int32_t mask_token_id() const override { return int32_t(V_ - 1); }
  void predict(const CanvasBatch&, std::span<const PredictionRef> wanted, float* logits) override {
    for (size_t r = 0; r < wanted.size(); ++r)
      std::memcpy(logits + r * size_t(V_),
                  table_.data() + size_t((wanted[r].position * 7 + r) % 64) * size_t(V_),
                  size_t(V_) * sizeof(float));
  }

 private:
  int64_t V_;
  std::vector<float> table_;
};

// Token choice alone on one row, CPU us per call, for every rule x temperature x filter on a flat row (a
// random model, or T = 1.2 on a trained one: the nucleus is most of the vocabulary) and a peaked one; then
// the sorting reference (decode/token_choice_ref.h) on one setting per row, with the kept sets compared.
void bench_token_choice(int64_t V) {
  Rng rng(3);
  std::vector<float> flat(static_cast<size_t>(V)), peaked(static_cast<size_t>(V));
  for (int64_t v = 0; v < V; ++v) {
    flat[size_t(v)] = 0.05f * (float(rng.uniform()) - 0.5f);
    peaked[size_t(v)] = -1.5f * std::log(1.0f + float(rng.below(uint64_t(V))));
  }
  const std::pair<const char*, Alg> rules[] = {{"maskgit_plus", Alg::MaskgitPlus},
                                               {"topk_margin", Alg::TopkMargin},
                                               {"entropy", Alg::Entropy},
                                               {"low_confidence", Alg::LowConfidence},
                                               {"random", Alg::Random}};
  const float temperatures[] = {0.0f, 0.2f, 0.8f, 1.2f};
  std::printf("token choice alone, V=%lld, one thread (CPU us per position; T = 0 is greedy)\n",
              (long long)V);
  std::printf("  %-7s %-15s %-17s %9s %9s %9s %9s\n", "row", "rule", "filter", "T=0", "T=0.2", "T=0.8",
              "T=1.2");
  ChoiceScratch scratch;
  std::vector<float> work;
  for (const auto& [row_name, row] :
       {std::pair<const char*, const std::vector<float>*>{"flat", &flat}, {"peaked", &peaked}}) {
    for (const auto& [rule_name, alg] : rules) {
      for (int top_k : {0, 40}) {
        std::printf("  %-7s %-15s %-17s", row_name, rule_name, top_k ? "top-p 0.95 top-k 40" : "top-p 0.95");
        for (float T : temperatures) {
          const int reps = 10;
          double cpu = 0;
          for (int i = 0; i < reps; ++i) {
            work = *row;
            const double t0 = process_cpu_seconds();
            choose_token(work, alg, LogitFilter{T, 0.95f, top_k}, 0.5, 0.5f, scratch);
            cpu += process_cpu_seconds() - t0;
          }
          std::printf(" %9.1f", 1e6 * cpu / reps);
        }
        std::printf("\n");
      }
    }
    // The baseline: the same rule by sorting, on one setting.
    std::vector<float> a = *row, b = *row;
    double t0 = process_cpu_seconds();
    choose_token(a, Alg::Entropy, LogitFilter{0, 0.95f, 0}, 0.5, 0, scratch);
    const double engine = process_cpu_seconds() - t0;
    t0 = process_cpu_seconds();
    ref::choose_token(b, Alg::Entropy, LogitFilter{0, 0.95f, 0}, 0.5, 0);
    const double sorting = process_cpu_seconds() - t0;
    std::vector<float> kept = *row, kept_ref = *row;
    filter_logits(kept, LogitFilter{0, 0.95f, 0}, scratch);
    ref::filter_logits(kept_ref, LogitFilter{0, 0.95f, 0});
    const auto n_kept = std::count_if(kept.begin(), kept.end(), [](float x) { return x != kRemovedLogit; });
    std::printf(
        "  %-7s entropy greedy top-p 0.95: engine %.1f us | sorting reference %.1f us | %.1fx | %lld "
        "tokens kept%s\n",
        row_name, 1e6 * engine, 1e6 * sorting, sorting / engine, (long long)n_kept,
        kept == kept_ref ? "" : " (DIFFERENT SETS)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"diffusion sampler overhead per step"};
  int64_t vocab = 151936;
  int length = 256, steps = 16, threads = 0;
  app.add_option("--vocab", vocab, "logit columns");
  app.add_option("--length", length, "max_new_tokens");
  app.add_option("--steps", steps, "denoising steps");
  app.add_option("--threads", threads, "threads (0 = all)");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  set_num_threads(threads);
  CopyDenoiser model(vocab);
  bench_token_choice(vocab);
  std::printf("sampler overhead, V=%lld, L=%d, steps=%d, %d threads (model time excluded)\n",
              (long long)vocab, length, steps, global_pool().size());
  struct Config {
    const char* name;
    Alg alg;
    float temperature, top_p, alg_temp;
  };
  for (const Config& c : {Config{"entropy greedy", Alg::Entropy, 0, 1, 0},
                          Config{"entropy T=0.3 top_p=0.95", Alg::Entropy, 0.3f, 0.95f, 0},
                          Config{"maskgit_plus T=1.2 top_p=0.95", Alg::MaskgitPlus, 1.2f, 0.95f, 0},
                          Config{"topk_margin alg_temp=0.5", Alg::TopkMargin, 0.2f, 1, 0.5f},
                          Config{"origin T=0.3", Alg::Origin, 0.3f, 1, 0}}) {
    GenerationParams p;
    p.max_new_tokens = length;
    p.steps = steps;
    p.alg = c.alg;
    p.temperature = c.temperature;
    p.top_p = c.top_p;
    p.alg_temp = c.alg_temp;
    p.seed = 1;
    const double cpu0 = process_cpu_seconds();
    const GenerationResult r = generate(model, {{1, 2, 3, 4}}, p);
    const double cpu = process_cpu_seconds() - cpu0;
    const double sampler = r.stats.seconds - r.stats.model_seconds;
    const double n = double(r.stats.predicted_positions);
    std::printf("  %-30s wall %8.2f ms/step %7.1f us/position | cpu %7.1f us/position (%lld positions)\n",
                c.name, 1e3 * sampler / steps, 1e6 * sampler / n, 1e6 * cpu / n,
                (long long)r.stats.predicted_positions);
  }
  return 0;
}

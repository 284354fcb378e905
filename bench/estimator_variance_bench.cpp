// Variance of the log-probability estimators (coupled, decoupled, full-mask, d1) on fixed rollouts of a
// real model, as the coupled-GRPO paper measures it. For each estimator and each of S mask seeds:
//   (a) the estimated log-likelihood of every rollout (sum over its scored tokens of logp_k): variance over
//       the seeds, averaged over rollouts;
//   (b) with --grad, the gradient of the summed log-likelihoods: mean squared distance to the estimator's own
//       mean gradient over R other seeds (its variance around its expectation).
// Forward passes per estimate: coupled and decoupled 1 + 2K, full-mask and d1 1; --equal-passes averages
// full-mask and d1 over 1 + 2K independent draws so that every estimator costs the same. Prints figures,
// ratios to coupled with an approximate 95% interval (normal theory: the variance of a sample variance of
// n draws is about 2 var^2 / (n - 1)); asserts nothing.
//   bench_estimator_variance [--model DIR] [--seeds S] [--ref-seeds R] [--grad] [--rollouts G] ...
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "decode/sampler.h"
#include "model/checkpoint.h"
#include "rl/logp_estimator.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "train/params_denoiser.h"

using namespace dc;
using namespace dc::rl;

namespace {

struct Figures {
  double ll_var = 0, grad_msd = 0;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("variance of the coupled-GRPO log-probability estimators");
  std::string model = std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny";
  std::string prompt_file;
  int seeds = 200, ref_seeds = 256, rollouts = 4, max_new = 96, threads = 0;
  bool grad = false, equal_passes = true;
  app.add_option("--model", model, "model folder (default: the bundled model)");
  app.add_option("--prompt-file", prompt_file, "user question (default: MODEL/prompt.txt)");
  app.add_option("--seeds", seeds, "mask seeds per estimator (200)");
  app.add_option("--ref-seeds", ref_seeds, "seeds of the mean gradient with --grad (256)");
  app.add_option("--rollouts", rollouts, "completions of the prompt, decoded at T = 1.2 (4)");
  app.add_option("--max-new-tokens", max_new, "completion length (96)");
  app.add_option("--threads", threads, "worker threads (0 = all cores)");
  app.add_flag("--grad", grad, "also the gradient variance (a backward pass per seed)");
  app.add_flag("--equal-passes,!--single-pass", equal_passes,
               "average full-mask and d1 over as many draws as coupled has passes (default on)");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);

  const ModelParams params = params_from_checkpoint(Checkpoint::open(model));
  const Tokenizer tok = Tokenizer::load(model);
  const std::string question = read_file(prompt_file.empty() ? model + "/prompt.txt" : prompt_file);
  const std::vector<int32_t> prompt = tok.encode(instruct_prompt(question));
  const int32_t mask = params.config.mask_token_id;
  const auto im_end = tok.token_id("<|im_end|>");

  // Fixed rollouts from the model itself.
  train::ParamsDenoiser denoiser(params, mask);
  GenerationParams gp;
  gp.max_new_tokens = max_new;
  gp.steps = max_new;
  gp.temperature = 1.2f;
  gp.top_p = 0.95f;
  gp.seed = 1;
  const GenerationResult gen =
      generate(denoiser, std::vector<std::vector<int32_t>>(size_t(rollouts), prompt), gp);
  std::vector<int64_t> scored;
  for (const auto& c : gen.tokens) {
    int64_t n = int64_t(c.size());
    for (size_t k = 0; k < c.size(); ++k)
      if (im_end && c[k] == *im_end) {
        n = int64_t(k) + 1;
        break;
      }
    scored.push_back(n);
  }
  std::printf("model %s: %lld parameters; prompt %zu tokens, %d rollouts of %d tokens; %d threads\n",
              model.c_str(), (long long)params.numel(), prompt.size(), rollouts, max_new,
              global_pool().size());

  const Estimator kinds[] = {Estimator::Coupled, Estimator::Decoupled, Estimator::FullMask, Estimator::D1};
  std::vector<Figures> figures;
  for (Estimator kind : kinds) {
    EstimatorOptions eo;
    eo.kind = kind;
    const bool single = kind == Estimator::FullMask || kind == Estimator::D1;
    const int draws = single && equal_passes ? 1 + 2 * eo.mask_pairs : 1;
    TrainTape tape;
    // One estimate (averaged over `draws` independent plans) of every rollout's log-likelihood; with
    // `g`, also adds the gradient of their sum into g.
    auto estimate = [&](uint64_t seed, ModelParams* g) {
      Rng rng = Rng(seed).fork(uint64_t(kind));
      std::vector<double> ll(static_cast<size_t>(rollouts), 0.0);
      for (int d = 0; d < draws; ++d) {
        const double t = draw_mask_ratio(eo, rng);
        std::vector<MaskPlan> plans;
        for (int r = 0; r < rollouts; ++r)
          plans.push_back(make_mask_plan(eo, prompt, gen.tokens[size_t(r)], scored[size_t(r)], mask, t, rng));
        const LogpBatch b = make_logp_batch(plans, gen.tokens, logit_shift(params.config.arch));
        train_forward_head(params, b.tokens.data(), b.B, b.N, nullptr, b.head, tape);
        const auto logp = combine_logp(b, tape.row_loss);
        for (int r = 0; r < rollouts; ++r)
          for (double v : logp[size_t(r)]) ll[size_t(r)] += v / draws;
        if (g) {
          std::vector<std::vector<double>> dl(static_cast<size_t>(rollouts));
          for (int r = 0; r < rollouts; ++r) dl[size_t(r)].assign(logp[size_t(r)].size(), 1.0 / draws);
          train_backward_from_head(params, b.tokens.data(), nullptr, head_weights(b, dl), *g, tape);
        }
      }
      return ll;
    };
    const double t0 = now_s();
    Figures f;
    std::vector<double> sum(static_cast<size_t>(rollouts), 0.0), sq(sum);
    for (int s = 0; s < seeds; ++s) {
      const auto ll = estimate(uint64_t(s), nullptr);
      for (int r = 0; r < rollouts; ++r) {
        sum[size_t(r)] += ll[size_t(r)];
        sq[size_t(r)] += ll[size_t(r)] * ll[size_t(r)];
      }
    }
    double mean_ll = 0;
    for (int r = 0; r < rollouts; ++r) {
      const double m = sum[size_t(r)] / seeds;
      f.ll_var += (sq[size_t(r)] - seeds * m * m) / (seeds - 1) / rollouts;
      mean_ll += m / rollouts;
    }
    if (grad) {
      ModelParams mean = params_zeros(params.config);
      for (int s = 0; s < ref_seeds; ++s) estimate(uint64_t(1000000 + s), &mean);
      for (auto& t : mean.tensors)
        for (float& v : t.data) v /= float(ref_seeds);
      for (int s = 0; s < seeds; ++s) {
        ModelParams g = params_zeros(params.config);
        estimate(uint64_t(s), &g);
        double d2 = 0;
        for (size_t i = 0; i < g.tensors.size(); ++i)
          for (size_t j = 0; j < g.tensors[i].data.size(); ++j) {
            const double d = double(g.tensors[i].data[j]) - mean.tensors[i].data[j];
            d2 += d * d;
          }
        f.grad_msd += d2 / seeds;
      }
    }
    figures.push_back(f);
    std::printf("%-9s passes %d: mean log-likelihood %9.3f, variance %10.4f%s, %.1f s\n",
                estimator_name(kind), single ? draws : 1 + 2 * eo.mask_pairs, mean_ll, f.ll_var,
                grad ? fmt::format(", gradient MSD {:.5g}", f.grad_msd).c_str() : "", now_s() - t0);
  }
  // Ratios to coupled, with an approximate 95% interval from the relative standard error of each variance.
  const double rel = std::sqrt(2.0 / (seeds - 1));
  for (size_t i = 1; i < figures.size(); ++i) {
    const double ratio = figures[i].ll_var / figures[0].ll_var;
    std::printf("variance ratio %s / coupled: log-likelihood %.2f (95%% ~[%.2f, %.2f])",
                estimator_name(kinds[i]), ratio, ratio * std::exp(-1.96 * rel * std::sqrt(2.0)),
                ratio * std::exp(1.96 * rel * std::sqrt(2.0)));
    if (grad) std::printf(", gradient %.2f", figures[i].grad_msd / figures[0].grad_msd);
    std::printf("\n");
  }
  return 0;
}

// The GRPO training loop (see grpo.h).
#include "rl/grpo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/arness.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "decode/sampler.h"
#include "model/checkpoint.h"
#include "train/epoch_order.h"
#include "train/finite_checks.h"
#include "train/loss_curve.h"
#include "train/params_denoiser.h"
#include "train/run_folder.h"

namespace dc::rl {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Stream ids of the step RNGs (forks of the seed's generator).
// (The prompt order uses train::kEpochOrderStream, 1 << 41.)
constexpr uint64_t kRolloutStream = 1ull << 42, kMaskStream = 1ull << 43;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Tokens up to and including the first end token (all of them when there is none).
int64_t scored_length(const std::vector<int32_t>& completion, const std::vector<int32_t>& end_ids) {
  for (size_t k = 0; k < completion.size(); ++k)
    if (std::find(end_ids.begin(), end_ids.end(), completion[k]) != end_ids.end()) return int64_t(k) + 1;
  return int64_t(completion.size());
}

// One prompt's rollouts and everything the inner iterations need of them.
struct Group {
  size_t prompt = 0;
  std::vector<std::vector<int32_t>> completions;
  std::vector<Scored> scores;
  std::vector<double> advantages;
  std::vector<LogpBatch> batches;                          // [mu]
  std::vector<std::vector<std::vector<double>>> old, ref;  // [mu][g][k]
};

std::vector<std::vector<double>> estimate(const ModelParams& p, const LogpBatch& b, TrainTape& tape) {
  train_forward_head(p, b.tokens.data(), b.B, b.N, nullptr, b.head, tape);
  return combine_logp(b, tape.row_loss);
}

json stats_json(const GrpoStepStats& s) {
  return json{{"step", s.step},
              {"reward_mean", s.reward_mean},
              {"reward_std", s.reward_std},
              {"pass_rate", s.pass_rate},
              {"format_rate", s.format_rate},
              {"loss", s.loss},
              {"kl", s.kl},
              {"clip_fraction", s.clip_fraction},
              {"grad_norm", s.grad_norm},
              {"lr", s.lr},
              {"completion_length", s.completion_length},
              {"flat_groups", s.flat_groups},
              {"arness_global1", s.arness_global1},
              {"logp_spread", s.logp_spread},
              {"seconds",
               {{"rollout", s.rollout_s},
                {"scoring", s.scoring_s},
                {"logp", s.logp_s},
                {"backward", s.backward_s},
                {"optimizer", s.optimizer_s}}},
              {"rollout_tokens_per_s", s.rollout_tokens_per_s}};
}

}  // namespace

void validate(const GrpoOptions& o) {
  if (o.out_dir.empty()) throw_error("grpo: no output folder given");
  if (o.steps <= 0) throw_error("grpo: --steps must be positive, got {}", o.steps);
  if (o.prompts_per_step <= 0)
    throw_error("grpo: --prompts-per-step must be positive, got {}", o.prompts_per_step);
  if (o.group_size < 2 || o.group_size > 1024)
    throw_error("grpo: --group-size must be in [2, 1024], got {}", o.group_size);
  if (o.inner_iterations < 1 || o.inner_iterations > 64)
    throw_error("grpo: --inner-iterations must be in [1, 64], got {}", o.inner_iterations);
  if (o.ref_sync <= 0) throw_error("grpo: --ref-sync must be positive, got {}", o.ref_sync);
  if (!(o.objective.clip_eps > 0 && o.objective.clip_eps < 1))
    throw_error("grpo: --clip-eps must be in (0, 1), got {}", o.objective.clip_eps);
  if (!(o.objective.beta >= 0 && std::isfinite(o.objective.beta)))
    throw_error("grpo: --beta must be finite and >= 0, got {}", o.objective.beta);
  if (!(o.adam.lr > 0 && std::isfinite(o.adam.lr)))
    throw_error("grpo: --lr must be finite and > 0, got {}", o.adam.lr);
  validate(o.estimator);
  validate(o.rollout);
}

GrpoResult grpo_train(ModelParams& policy, const std::vector<std::vector<int32_t>>& prompts,
                      const RewardFn& reward, const GrpoOptions& o) {
  validate(o);
  const ModelConfig& cfg = policy.config;
  const int32_t mask = cfg.mask_token_id;
  if (mask < 0 || mask >= cfg.vocab_size)
    throw_error("grpo: the model has no mask token in its vocabulary (mask_token_id {})", mask);
  if (prompts.empty()) throw_error("grpo: no prompts");
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) throw_error("grpo: prompt {} is empty", i);
    for (int32_t t : prompts[i])
      if (t < 0 || t >= cfg.vocab_size)
        throw_error("grpo: prompt {} holds token {} outside the vocabulary", i, t);
  }
  fs::create_directories(o.out_dir);
  const int mu = o.inner_iterations;
  train::AdamWOptions ao = o.adam;
  ao.total_steps = o.steps * mu;
  train::AdamW opt(ao, policy);
  ModelParams ref = policy;
  // What a resumed run must share with the run that wrote its checkpoints.
  const json shape = {{"seed", o.seed},
                      {"steps", o.steps},
                      {"prompts_per_step", o.prompts_per_step},
                      {"group_size", o.group_size},
                      {"inner_iterations", mu},
                      {"ref_sync", o.ref_sync},
                      {"estimator", estimator_name(o.estimator.kind)},
                      {"mask_pairs", o.estimator.mask_pairs},
                      {"prompts", prompts.size()},
                      {"max_new_tokens", o.rollout.max_new_tokens}};
  const std::string metrics_path = o.out_dir + "/metrics.jsonl";
  int64_t step = 0;
  std::vector<std::pair<double, double>> curve;
  if (o.resume) {
    const std::string ck = train::latest_checkpoint(o.out_dir);
    if (ck.empty()) throw_error("{}: nothing to resume (no 'latest' checkpoint)", o.out_dir);
    const json st = json::parse(read_file(ck + "/grpo_state.json"), nullptr, false);
    if (st.is_discarded() || !st.contains("step"))
      throw_error("{}/grpo_state.json: not the state of a grpo run", ck);
    train::check_resume_state(ck + "/grpo_state.json", st, shape);
    ModelParams loaded = params_from_checkpoint(Checkpoint::open(ck));
    if (loaded.numel() != policy.numel()) throw_error("{}: the checkpoint's model differs from this one", ck);
    policy = std::move(loaded);
    train::load_f32_tensors(ck + "/reference.safetensors", "", ref);
    train::load_optimizer_moments(ck + "/optimizer.safetensors", opt);
    step = st.at("step").get<int64_t>();
    for (const json& j : train::keep_metrics_until(metrics_path, step))
      if (j.contains("reward_mean"))
        curve.emplace_back(j["step"].get<double>(), j["reward_mean"].get<double>());
    if (o.log) o.log(fmt::format("resumed from {} at step {}", ck, step));
  } else {
    if (!train::latest_checkpoint(o.out_dir).empty())
      throw_error("{}: already holds checkpoints; pass --resume to continue, or choose another output folder",
                  o.out_dir);
    write_file_atomic(metrics_path, "");
  }
  std::ofstream metrics(metrics_path, std::ios::app);

  GrpoResult res;
  res.step = step;
  const int64_t last = o.stop_after > 0 ? std::min(o.stop_after, o.steps) : o.steps;
  const int G = o.group_size;
  ModelParams grads = params_zeros(cfg);
  TrainTape tape;
  train::EpochOrder prompt_order(int64_t(prompts.size()), o.seed);
  train::ParamsDenoiser denoiser(policy, mask);
  const auto t_start = Clock::now();
  const int64_t first = step;

  auto save = [&](int64_t s) {
    if (!train::all_finite(policy))
      throw_error("grpo: step {}: the weights are no longer finite; not saved (last good checkpoint: {})", s,
                  train::latest_checkpoint(o.out_dir));
    res.checkpoint = train::publish_checkpoint(o.out_dir, s, [&](const std::string& tmp) {
      train::write_model_folder(tmp, policy, DType::F32, o.tokenizer_dir);
      save_params(ref, tmp + "/reference.safetensors", DType::F32);
      json st = shape;
      st["step"] = s;
      train::write_optimizer_state(tmp, opt, st, "grpo_state.json");
    });
    write_file_atomic(o.out_dir + "/reward.svg", train::loss_curve_svg(curve, {}));
  };

  while (step < last) {
    const int64_t s = step + 1;
    GrpoStepStats st;
    st.step = s;
    // 1-2. Rollouts and rewards.
    std::vector<Group> groups;
    double arness_sum = 0, reward_sum = 0, reward_sq = 0, pass_sum = 0, format_sum = 0, length_sum = 0;
    int64_t flat = 0, rollout_tokens = 0, arness_n = 0;
    for (int i = 0; i < o.prompts_per_step; ++i) {
      Group grp;
      grp.prompt = size_t(prompt_order.at(step * o.prompts_per_step + i));
      GenerationParams gp = o.rollout;
      gp.seed = Rng(o.seed).fork(kRolloutStream + uint64_t(step * o.prompts_per_step + i)).next_u64();
      auto t0 = Clock::now();
      const std::vector<std::vector<int32_t>> copies(size_t(G), prompts[grp.prompt]);
      GenerationResult gen = generate(denoiser, copies, gp);
      st.rollout_s += since(t0);
      rollout_tokens += gen.stats.new_tokens;
      grp.completions = gen.tokens;
      for (const auto& order : gen.order) {
        analysis::DecodeOrder d;
        d.prompt_length = int64_t(prompts[grp.prompt].size());
        d.generated_length = gp.max_new_tokens;
        for (const Commit& c : order)
          if (c.position >= 0) d.commits.push_back({c.step, c.position});
        const analysis::Arness a = analysis::compute_arness(d, 1, 1);
        if (a.events > 0) {
          arness_sum += a.global[0];
          ++arness_n;
        }
      }
      t0 = Clock::now();
      grp.scores = reward(grp.prompt, grp.completions);
      st.scoring_s += since(t0);
      if (grp.scores.size() != size_t(G))
        throw_error("grpo: the reward gave {} scores for {} completions", grp.scores.size(), G);
      std::vector<double> r;
      for (const Scored& sc : grp.scores) {
        if (!std::isfinite(sc.reward)) throw_error("grpo: the reward of a completion is not finite");
        r.push_back(sc.reward);
        reward_sum += sc.reward;
        reward_sq += sc.reward * sc.reward;
        pass_sum += sc.code;
        format_sum += sc.format;
      }
      for (const auto& c : grp.completions) length_sum += double(scored_length(c, o.end_ids));
      const bool is_flat = std::all_of(r.begin(), r.end(), [&](double x) { return x == r[0]; });
      flat += is_flat;
      if (is_flat && o.skip_flat_groups) continue;
      grp.advantages = group_advantages(r, o.advantage, o.scale_std);
      groups.push_back(std::move(grp));
    }
    const double n_roll = double(o.prompts_per_step) * G;
    st.reward_mean = reward_sum / n_roll;
    st.reward_std = std::sqrt(std::max(0.0, reward_sq / n_roll - st.reward_mean * st.reward_mean));
    st.pass_rate = pass_sum / n_roll;
    st.format_rate = format_sum / n_roll;
    st.completion_length = length_sum / n_roll;
    st.flat_groups = double(flat) / o.prompts_per_step;
    st.arness_global1 = arness_n > 0 ? arness_sum / double(arness_n) : 0;
    st.rollout_tokens_per_s = double(rollout_tokens) / std::max(st.rollout_s, 1e-9);

    // 3. Mask plans for every inner iteration; old (i >= 1) and reference log-probs at the step's start.
    auto t0 = Clock::now();
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      Group& grp = groups[gi];
      grp.batches.resize(size_t(mu));
      grp.old.resize(size_t(mu));
      grp.ref.resize(size_t(mu));
      for (int i = 0; i < mu; ++i) {
        Rng rng =
            Rng(o.seed).fork(kMaskStream + uint64_t((step * o.prompts_per_step + int64_t(gi)) * 64 + i));
        const double t = draw_mask_ratio(o.estimator, rng);
        std::vector<MaskPlan> plans;
        for (const auto& c : grp.completions)
          plans.push_back(
              make_mask_plan(o.estimator, prompts[grp.prompt], c, scored_length(c, o.end_ids), mask, t, rng));
        grp.batches[size_t(i)] = make_logp_batch(plans, grp.completions, logit_shift(policy.config.arch));
        // With one inner iteration old == current (rho = 1); otherwise every iteration's old log-probs,
        // which also give the spread below.
        if (mu > 1) grp.old[size_t(i)] = estimate(policy, grp.batches[size_t(i)], tape);
        if (o.objective.beta != 0) grp.ref[size_t(i)] = estimate(ref, grp.batches[size_t(i)], tape);
      }
    }
    // The variance monitor: how much a sequence's estimated log-likelihood moves between mask draws.
    if (mu > 1) {
      double spread = 0;
      int64_t n = 0;
      for (const Group& grp : groups)
        for (size_t g = 0; g < grp.completions.size(); ++g) {
          double sum = 0, sq = 0;
          for (int i = 0; i < mu; ++i) {
            double total = 0;
            for (double v : grp.old[size_t(i)][g]) total += v;
            sum += total;
            sq += total * total;
          }
          spread += std::sqrt(std::max(0.0, sq / mu - (sum / mu) * (sum / mu)));
          ++n;
        }
      st.logp_spread = n > 0 ? spread / double(n) : 0;
    }
    st.logp_s += since(t0);

    // 4. Inner iterations: one update each.
    double loss_sum = 0, kl_sum = 0, clip_sum = 0;
    int64_t objective_n = 0;
    for (int i = 0; i < mu; ++i) {
      grads.set_zero();
      for (Group& grp : groups) {
        t0 = Clock::now();
        const LogpBatch& b = grp.batches[size_t(i)];
        const auto logp = estimate(policy, b, tape);
        const auto& old = grp.old[size_t(i)].empty() ? logp : grp.old[size_t(i)];
        ObjectiveResult obj = grpo_objective(logp, old, grp.ref[size_t(i)], grp.advantages, o.objective);
        st.logp_s += since(t0);
        t0 = Clock::now();
        // The step's loss is the mean over its groups.
        for (auto& row : obj.dlogp)
          for (double& v : row) v /= double(groups.size());
        train_backward_from_head(policy, b.tokens.data(), nullptr, head_weights(b, obj.dlogp), grads, tape);
        st.backward_s += since(t0);
        loss_sum += obj.loss / double(groups.size());
        kl_sum += obj.kl;
        clip_sum += obj.clip_fraction;
        ++objective_n;
      }
      t0 = Clock::now();
      const double gnorm = train::global_grad_norm(grads);
      if (!std::isfinite(gnorm))
        throw_error("grpo: the gradient became non-finite at step {}; the last checkpoint is intact", s);
      if (!groups.empty()) st.lr = opt.update(policy, grads, step * mu + i + 1, gnorm);
      st.grad_norm += gnorm / mu;
      st.optimizer_s += since(t0);
    }
    st.loss = loss_sum / mu;
    if (objective_n > 0) {
      st.kl = kl_sum / double(objective_n);
      st.clip_fraction = clip_sum / double(objective_n);
    }
    // 5. Reference sync.
    step = s;
    if (step % o.ref_sync == 0) ref = policy;

    curve.emplace_back(double(step), st.reward_mean);
    metrics << stats_json(st).dump() << "\n";
    metrics.flush();
    const double elapsed = since(t_start);
    const double eta = elapsed / double(step - first) * double(last - step);
    if (o.log)
      o.log(fmt::format(
          "step {}/{} reward {:.3f} pass {:.3f} format {:.3f} kl {:.4f} clip {:.3f} len {:.0f} "
          "flat {:.2f} ar@1 {:.2f} rollout {:.0f} tok/s eta {}",
          step, o.steps, st.reward_mean, st.pass_rate, st.format_rate, st.kl, st.clip_fraction,
          st.completion_length, st.flat_groups, st.arness_global1, st.rollout_tokens_per_s, train::hms(eta)));
    res.history.push_back(st);
    res.step = step;
    ++res.steps_run;
    if (step == last || (o.save_every > 0 && step % o.save_every == 0)) save(step);
  }
  if (res.checkpoint.empty() && step > 0) res.checkpoint = train::latest_checkpoint(o.out_dir);
  if (o.export_bf16 && step == o.steps)
    train::write_model_folder(o.out_dir + "/export-bf16", policy, DType::BF16, o.tokenizer_dir);
  return res;
}

}  // namespace dc::rl

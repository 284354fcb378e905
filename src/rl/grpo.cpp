// The GRPO training loop (see grpo.h).
#include "rl/grpo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/arness.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "decode/sampler.h"
#include "dist/agreement.h"
#include "dist/comm.h"
#include "dist/job.h"
#include "model/checkpoint.h"
#include "model/transformer_model.h"
#include "rl/step_table.h"
#include "train/data_parallel.h"
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

// Columns of a step's tables (step_table.h). Rollouts: per prompt kRolledCols, then kCompletionCols for
// each of its G completions. Training: the G completions' log-prob spreads, then kIterationCols for each
// inner iteration.
enum RolledCol : size_t { kFlat, kNewTokens, kRolledCols };
enum CompletionCol : size_t { kReward, kCode, kFormat, kLength, kArness, kArnessValid, kCompletionCols };
enum IterationCol : size_t { kLoss, kKl, kClip, kIterationCols };

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
  int of_step = 0;  // i: the step's i-th prompt
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
  const int ranks = dist::world().size();
  if (o.prompts_per_step < ranks)
    throw_error(
        "grpo: --prompts-per-step {} is fewer than the {} ranks of this job (each rank rolls out whole "
        "prompts); pass --prompts-per-step {} or more, or start fewer ranks",
        o.prompts_per_step, ranks, ranks);
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
  if (o.rollout.early_stop)
    throw_error("grpo: rollouts cannot stop early (the filled end tokens are not the policy's samples)");
}

GrpoResult grpo_train(ModelParams& policy, const std::vector<std::vector<int32_t>>& prompts,
                      const RewardFn& reward, const GrpoOptions& o) {
  const dist::Comm& comm = dist::world();
  const bool root = comm.is_root();
  const ModelConfig& cfg = policy.config;
  const int32_t mask = cfg.mask_token_id;
  const int mu = o.inner_iterations;
  train::AdamWOptions ao = o.adam;
  ao.total_steps = o.steps * mu;
  train::AdamW opt(ao, policy);
  ModelParams ref = policy;
  // What a resumed run must share with the run that wrote its checkpoints (not the number of ranks: the
  // step's prompts and seeds do not depend on it).
  const json shape = {{"seed", o.seed},
                      {"steps", o.steps},
                      {"prompts_per_step", o.prompts_per_step},
                      {"group_size", o.group_size},
                      {"inner_iterations", mu},
                      {"ref_sync", o.ref_sync},
                      {"estimator", estimator_name(o.estimator.kind)},
                      {"mask_pairs", o.estimator.mask_pairs},
                      {"prompts", prompts.size()},
                      {"max_new_tokens", o.rollout.max_new_tokens},
                      {"rollout",
                       {{"steps", o.rollout.steps},
                        {"alg", std::string(alg_name(o.rollout.alg))},
                        {"temperature", o.rollout.temperature},
                        {"top_p", o.rollout.top_p},
                        {"top_k", o.rollout.top_k},
                        {"alg_temp", o.rollout.alg_temp},
                        {"threshold", o.rollout.threshold},
                        {"factor", o.rollout.factor},
                        {"block_length", o.rollout.block_length},
                        {"cache", std::string(cache_name(o.rollout.cache))}}}};
  const std::string metrics_path = o.out_dir + "/metrics.jsonl";
  int64_t step = 0;
  std::string resumed_from;
  // Set-up: every rank checks the options and reads the resumed state (a failure is one line, agreed).
  dist::agree(comm, [&] {
    validate(o);
    if (mask < 0 || mask >= cfg.vocab_size)
      throw_error("grpo: the model has no mask token in its vocabulary (mask_token_id {})", mask);
    if (prompts.empty()) throw_error("grpo: no prompts");
    for (size_t i = 0; i < prompts.size(); ++i) {
      if (prompts[i].empty()) throw_error("grpo: prompt {} is empty", i);
      for (int32_t t : prompts[i])
        if (t < 0 || t >= cfg.vocab_size)
          throw_error("grpo: prompt {} holds token {} outside the vocabulary", i, t);
    }
    if (o.resume) {
      resumed_from = train::latest_checkpoint(o.out_dir);
      const std::string& ck = resumed_from;
      if (ck.empty()) throw_error("{}: nothing to resume (no 'latest' checkpoint)", o.out_dir);
      const json st = json::parse(read_file(ck + "/grpo_state.json"), nullptr, false);
      if (st.is_discarded() || !st.contains("step"))
        throw_error("{}/grpo_state.json: not the state of a grpo run", ck);
      // States written before the rollout settings were recorded resume without that check.
      json expected = shape;
      if (!st.contains("rollout")) expected.erase("rollout");
      train::check_resume_state(ck + "/grpo_state.json", st, expected);
      ModelParams loaded = params_from_checkpoint(Checkpoint::open(ck));
      if (loaded.numel() != policy.numel())
        throw_error("{}: the checkpoint's model differs from this one", ck);
      policy = std::move(loaded);
      train::load_f32_tensors(ck + "/reference.safetensors", "", ref);
      train::load_optimizer_moments(ck + "/optimizer.safetensors", opt);
      step = st.at("step").get<int64_t>();
    } else if (!train::latest_checkpoint(o.out_dir).empty()) {
      throw_error("{}: already holds checkpoints; pass --resume to continue, or choose another output folder",
                  o.out_dir);
    }
  });
  // Only rank 0 writes the run's files.
  std::vector<std::pair<double, double>> curve;
  std::ofstream metrics;
  if (root) {
    fs::create_directories(o.out_dir);
    if (o.resume) {
      for (const json& j : train::keep_metrics_until(metrics_path, step))
        if (j.contains("reward_mean"))
          curve.emplace_back(j["step"].get<double>(), j["reward_mean"].get<double>());
      dist::note_last_checkpoint(comm, resumed_from);
      if (o.log) o.log(fmt::format("resumed from {} at step {}", resumed_from, step));
    } else {
      write_file_atomic(metrics_path, "");
    }
    metrics.open(metrics_path, std::ios::app);
  }

  GrpoResult res;
  res.step = step;
  const int64_t last = o.stop_after > 0 ? std::min(o.stop_after, o.steps) : o.steps;
  const int G = o.group_size, P = o.prompts_per_step;
  ModelParams grads = params_zeros(cfg);
  TrainTape tape;
  train::EpochOrder prompt_order(int64_t(prompts.size()), o.seed);
  train::ParamsDenoiser denoiser(policy, mask);
  const auto t_start = Clock::now();
  const int64_t first = step;

  auto save = [&](int64_t s) {
    // Every rank holds the same weights, so every rank meets a failure here alike.
    dist::agree(comm, [&] {
      if (!train::all_finite(policy))
        throw_error("grpo: step {}: the weights are no longer finite; not saved (last good checkpoint: {})",
                    s, train::latest_checkpoint(o.out_dir));
    });
    if (!root) return;
    res.checkpoint = train::publish_checkpoint(o.out_dir, s, [&](const std::string& tmp) {
      train::write_model_folder(tmp, policy, DType::F32, o.tokenizer_dir);
      save_params(ref, tmp + "/reference.safetensors", DType::F32);
      json st = shape;
      st["step"] = s;
      train::write_optimizer_state(tmp, opt, st, "grpo_state.json");
    });
    write_file_atomic(o.out_dir + "/reward.svg", train::loss_curve_svg(curve, {}));
    dist::note_last_checkpoint(comm, res.checkpoint);
  };
  // The slowest rank's time (the step waits for it).
  auto slowest = [&](double& seconds) {
    if (comm.distributed()) seconds = double(comm.max(uint64_t(seconds * 1e9))) * 1e-9;
  };

  while (step < last) {
    const int64_t s = step + 1;
    GrpoStepStats st;
    st.step = s;
    // 1-2. Rollouts and rewards of this rank's prompts (step_table.h); each goes to its row of `rolled`.
    std::vector<Group> groups;
    StepTable rolled(size_t(P), kRolledCols + size_t(G) * kCompletionCols);
    // With a cache, rollouts run on the inference model packed from this step's parameters (they changed
    // since the last step); without one, on the training forward over the parameters as they are.
    std::optional<TransformerModel> packed;
    if (o.rollout.cache != CacheMode::None) {
      const auto t0 = Clock::now();
      packed.emplace(params_checkpoint(policy, "the policy at step " + std::to_string(s)));
      packed->set_mask_token_id(mask);
      st.rollout_s += since(t0);
    }
    Denoiser& rollout_model = packed ? static_cast<Denoiser&>(*packed) : denoiser;
    for (int i = 0; i < P; ++i) {
      if (!owns(comm, size_t(i))) continue;
      double* row = rolled.row(size_t(i));
      Group grp;
      grp.of_step = i;
      grp.prompt = size_t(prompt_order.at(step * P + i));
      GenerationParams gp = o.rollout;
      gp.seed = Rng(o.seed).fork(kRolloutStream + uint64_t(step * P + i)).next_u64();
      auto t0 = Clock::now();
      const std::vector<std::vector<int32_t>> copies(size_t(G), prompts[grp.prompt]);
      GenerationResult gen = generate(rollout_model, copies, gp);
      st.rollout_s += since(t0);
      row[kNewTokens] = double(gen.stats.new_tokens);
      grp.completions = gen.tokens;
      for (size_t g = 0; g < gen.order.size() && g < size_t(G); ++g) {
        analysis::DecodeOrder d;
        d.prompt_length = int64_t(prompts[grp.prompt].size());
        d.generated_length = gp.max_new_tokens;
        for (const Commit& c : gen.order[g])
          if (c.position >= 0) d.commits.push_back({c.step, c.position});
        const analysis::Arness a = analysis::compute_arness(d, 1, 1);
        if (a.events > 0) {
          row[kRolledCols + g * kCompletionCols + kArness] = a.global[0];
          row[kRolledCols + g * kCompletionCols + kArnessValid] = 1;
        }
      }
      t0 = Clock::now();
      grp.scores = reward(grp.prompt, grp.completions);
      st.scoring_s += since(t0);
      if (grp.scores.size() != size_t(G))
        throw_error("grpo: the reward gave {} scores for {} completions", grp.scores.size(), G);
      std::vector<double> r;
      for (size_t g = 0; g < size_t(G); ++g) {
        const Scored& sc = grp.scores[g];
        if (!std::isfinite(sc.reward)) throw_error("grpo: the reward of a completion is not finite");
        r.push_back(sc.reward);
        double* c = row + kRolledCols + g * kCompletionCols;
        c[kReward] = sc.reward;
        c[kCode] = sc.code;
        c[kFormat] = sc.format;
        c[kLength] = double(scored_length(grp.completions[g], o.end_ids));
      }
      const bool is_flat = std::all_of(r.begin(), r.end(), [&](double x) { return x == r[0]; });
      row[kFlat] = is_flat;
      if (is_flat && o.skip_flat_groups) continue;
      grp.advantages = group_advantages(r, o.advantage, o.scale_std);
      groups.push_back(std::move(grp));
    }
    // The packed copy is stale once the updates below change the parameters: free it before the log-prob
    // and backward passes need their memory.
    packed.reset();
    rolled.share(comm);
    // The step's sums over every rank's rows, in prompt order; `kept` numbers the groups that train.
    double arness_sum = 0, reward_sum = 0, reward_sq = 0, pass_sum = 0, format_sum = 0, length_sum = 0;
    int64_t flat = 0, rollout_tokens = 0, arness_n = 0, n_kept = 0;
    std::vector<int64_t> kept(size_t(P), -1);
    for (int i = 0; i < P; ++i) {
      const double* row = rolled.row(size_t(i));
      rollout_tokens += int64_t(row[kNewTokens]);
      for (size_t g = 0; g < size_t(G); ++g) {
        const double* c = row + kRolledCols + g * kCompletionCols;
        if (c[kArnessValid] != 0) {
          arness_sum += c[kArness];
          ++arness_n;
        }
        reward_sum += c[kReward];
        reward_sq += c[kReward] * c[kReward];
        pass_sum += c[kCode];
        format_sum += c[kFormat];
        length_sum += c[kLength];
      }
      const bool is_flat = row[kFlat] != 0;
      flat += is_flat;
      if (!(is_flat && o.skip_flat_groups)) kept[size_t(i)] = n_kept++;
    }
    const double n_roll = double(P) * G;
    st.reward_mean = reward_sum / n_roll;
    st.reward_std = std::sqrt(std::max(0.0, reward_sq / n_roll - st.reward_mean * st.reward_mean));
    st.pass_rate = pass_sum / n_roll;
    st.format_rate = format_sum / n_roll;
    st.completion_length = length_sum / n_roll;
    st.flat_groups = double(flat) / P;
    st.arness_global1 = arness_n > 0 ? arness_sum / double(arness_n) : 0;

    // 3. Mask plans for every inner iteration; old (i >= 1) and reference log-probs at the step's start.
    // A group's masks are seeded by its number among the step's training groups (as in one process).
    // `trained` holds each group's log-prob spread per completion, then loss, KL and clip per iteration.
    StepTable trained(size_t(P), size_t(G) + size_t(mu) * kIterationCols);
    auto t0 = Clock::now();
    for (Group& grp : groups) {
      const int64_t gi = kept[size_t(grp.of_step)];
      grp.batches.resize(size_t(mu));
      grp.old.resize(size_t(mu));
      grp.ref.resize(size_t(mu));
      for (int i = 0; i < mu; ++i) {
        Rng rng = Rng(o.seed).fork(kMaskStream + uint64_t((step * P + gi) * 64 + i));
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
      // The variance monitor: how much a sequence's estimated log-likelihood moves between mask draws.
      if (mu > 1) {
        double* row = trained.row(size_t(grp.of_step));
        for (size_t g = 0; g < grp.completions.size(); ++g) {
          double sum = 0, sq = 0;
          for (int i = 0; i < mu; ++i) {
            double total = 0;
            for (double v : grp.old[size_t(i)][g]) total += v;
            sum += total;
            sq += total * total;
          }
          row[g] = std::sqrt(std::max(0.0, sq / mu - (sum / mu) * (sum / mu)));
        }
      }
    }
    st.logp_s += since(t0);

    // 4. Inner iterations: one update each, on the gradient summed over the ranks.
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
        // The step's loss is the mean over its training groups (on every rank).
        for (auto& row : obj.dlogp)
          for (double& v : row) v /= double(n_kept);
        train_backward_from_head(policy, b.tokens.data(), nullptr, head_weights(b, obj.dlogp), grads, tape);
        st.backward_s += since(t0);
        double* it = trained.row(size_t(grp.of_step)) + size_t(G) + size_t(i) * kIterationCols;
        it[kLoss] = obj.loss;
        it[kKl] = obj.kl;
        it[kClip] = obj.clip_fraction;
      }
      t0 = Clock::now();
      train::allreduce_gradients(comm, grads);
      const double gnorm = train::global_grad_norm(grads);
      // The same summed gradient on every rank: a failure here is met by all of them alike.
      dist::agree(comm, [&] {
        if (!std::isfinite(gnorm))
          throw_error("grpo: the gradient became non-finite at step {}; the last checkpoint is intact", s);
      });
      if (n_kept > 0) st.lr = opt.update(policy, grads, step * mu + i + 1, gnorm);
      st.grad_norm += gnorm / mu;
      st.optimizer_s += since(t0);
    }
    trained.share(comm);
    double loss_sum = 0, kl_sum = 0, clip_sum = 0, spread = 0;
    int64_t objective_n = 0, spread_n = 0;
    for (int i = 0; i < mu; ++i)
      for (int p = 0; p < P; ++p) {
        if (kept[size_t(p)] < 0) continue;
        const double* it = trained.row(size_t(p)) + size_t(G) + size_t(i) * kIterationCols;
        loss_sum += it[kLoss] / double(n_kept);
        kl_sum += it[kKl];
        clip_sum += it[kClip];
        ++objective_n;
      }
    for (int p = 0; p < P && mu > 1; ++p) {
      if (kept[size_t(p)] < 0) continue;
      for (size_t g = 0; g < size_t(G); ++g, ++spread_n) spread += trained.row(size_t(p))[g];
    }
    st.logp_spread = spread_n > 0 ? spread / double(spread_n) : 0;
    st.loss = loss_sum / mu;
    if (objective_n > 0) {
      st.kl = kl_sum / double(objective_n);
      st.clip_fraction = clip_sum / double(objective_n);
    }
    for (double* t : {&st.rollout_s, &st.scoring_s, &st.logp_s, &st.backward_s, &st.optimizer_s}) slowest(*t);
    st.rollout_tokens_per_s = double(rollout_tokens) / std::max(st.rollout_s, 1e-9);
    // 5. Reference sync.
    step = s;
    if (step % o.ref_sync == 0) ref = policy;

    curve.emplace_back(double(step), st.reward_mean);
    if (root) {
      metrics << stats_json(st).dump() << "\n";
      metrics.flush();
    }
    const double elapsed = since(t_start);
    const double eta = elapsed / double(step - first) * double(last - step);
    if (o.log && root)
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
  if (root && res.checkpoint.empty() && step > 0) res.checkpoint = train::latest_checkpoint(o.out_dir);
  if (root && o.export_bf16 && step == o.steps)
    train::write_model_folder(o.out_dir + "/export-bf16", policy, DType::BF16, o.tokenizer_dir);
  return res;
}

}  // namespace dc::rl

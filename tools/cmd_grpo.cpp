// `diffucoder grpo`: coupled-GRPO reinforcement learning (SPEC §6, docs/RL.md).
//   diffucoder grpo --model SFT_DIR --tasks FILE.jsonl --out RUN_DIR [--steps N] [--estimator coupled] ...
// Tasks: the generic benchmark format (`diffucoder tasks --benchmark-out`, posed as `eval --model` poses
// them to an instruct model, without the pre-filled answer) or assert lists {"question", "tests": [...]}.
// Rewards come from the sandbox and the host-side judge; the sandbox must have every isolation layer
// unless --allow-missing-layers. Prints one progress line per step; resumable with --resume.
// Under `mpirun -np N` the ranks share each step's prompts (rl/grpo.h); rank 0 prints and writes.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "dist/agreement.h"
#include "dist/comm.h"
#include "eval/generation.h"
#include "generation_flags.h"
#include "model/chat_format.h"
#include "model/checkpoint.h"
#include "model/model_files.h"
#include "model/special_tokens.h"
#include "model_path.h"
#include "rl/grpo.h"
#include "rl/reward.h"
#include "rl/task.h"
#include "sandbox/sandbox.h"
#include "tokenizer/tokenizer.h"

namespace {

struct GrpoCli {
  std::string model, tasks, out, estimator = "coupled", advantage = "leave-one-out";
  std::string system;  // empty: the model's default
  int threads = 0, max_prompt_tokens = 200;
  int64_t warmup = 0;
  bool allow_missing_layers = false;
  dc::rl::RewardOptions reward;
  dc::cli::GenerationFlags rollout;  // the rollouts' sampler (its seed derives from --seed and the step)
  dc::rl::GrpoOptions o;
};

// The user message for a task: generic benchmark tasks as `eval --model` asks an instruct model (without
// the pre-filled answer, which the format reward expects the policy to write), assert tasks as given.
std::string user_message(const dc::rl::RlTask& t) {
  if (t.task.kind == dc::eval::TestKind::Io && !t.task.entry_point.empty())
    return dc::eval::eval_prompt(t.task, true).prompt;
  return t.question;
}

void run_grpo(GrpoCli& c) {
  const dc::dist::Comm& comm = dc::dist::world();
  dc::ModelParams policy;
  std::optional<dc::Tokenizer> tok;
  std::vector<dc::rl::RlTask> all;
  std::vector<const dc::rl::RlTask*> tasks;
  std::vector<std::vector<int32_t>> prompts;
  // Every rank loads the same model and tasks; a failure is one line from rank 0 (dist/agreement.h).
  dc::dist::agree(comm, [&] {
    if (c.threads > 0) dc::set_num_threads(c.threads);
    c.o.estimator.kind = dc::rl::parse_estimator(c.estimator);
    c.o.advantage = dc::rl::parse_advantage(c.advantage);
    c.o.adam.warmup_steps = c.warmup;
    c.o.out_dir = c.out;
    dc::rl::validate(c.o);  // every option checked before anything is loaded
    if (!c.allow_missing_layers) dc::sandbox::require_all_layers();

    const std::string dir = dc::cli::resolve_model_dir(c.model);
    c.o.rollout = c.rollout.resolve(dc::cli::model_arch(dir));
    policy = dc::params_from_checkpoint(dc::Checkpoint::open(dir));
    tok.emplace(dc::load_model_tokenizer(dir));
    const dc::SpecialTokens special = dc::resolve_special_tokens(policy.config, *tok, dir);
    dc::apply_special_tokens(special, policy.config);
    for (int32_t id : {special.end_of_turn, special.end_of_text})
      if (id >= 0) c.o.end_ids.push_back(id);
    c.o.tokenizer_dir = dir;

    dc::rl::TaskLoadOptions lo;
    lo.convert.use_namespaces = c.reward.use_namespaces;
    all = dc::rl::load_rl_tasks(c.tasks, lo);
    for (const dc::rl::RlTask& t : all) {
      std::vector<int32_t> ids = tok->encode(dc::chat_prompt(policy.config.arch, user_message(t), c.system));
      if (int(ids.size()) > c.max_prompt_tokens) continue;
      tasks.push_back(&t);
      prompts.push_back(std::move(ids));
    }
    if (prompts.empty())
      dc::throw_error("{}: no task fits in --max-prompt-tokens {} (of {} tasks)", c.tasks,
                      c.max_prompt_tokens, all.size());
  });
  if (comm.is_root()) {
    const std::string ranks = comm.distributed() ? fmt::format(" x {} ranks", comm.size()) : "";
    std::printf(
        "grpo: %zu tasks (%zu longer than %d prompt tokens left out), %lld parameters, %d threads%s, "
        "estimator %s\n",
        prompts.size(), all.size() - prompts.size(), c.max_prompt_tokens, (long long)policy.numel(),
        dc::global_pool().size(), ranks.c_str(), c.estimator.c_str());
  }

  // The reward sees the whole completion decoded with the special tokens removed, as the reference's
  // reward does: the newline the chat template puts after <|im_end|> is what ends a well-formed answer.
  auto reward = [&](size_t prompt, const std::vector<std::vector<int32_t>>& completions) {
    std::vector<std::string> texts;
    for (const auto& comp : completions) texts.push_back(tok->decode(comp, /*skip_special=*/true));
    std::vector<dc::rl::Scored> out;
    for (const dc::rl::Reward& r : dc::rl::score_group(*tasks[prompt], texts, c.reward))
      out.push_back({r.reward, r.code, r.format});
    return out;
  };
  c.o.log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  const dc::rl::GrpoResult r = dc::rl::grpo_train(policy, prompts, reward, c.o);
  if (!comm.is_root()) return;
  if (r.steps_run == 0) {
    std::printf("done: already complete at step %lld, checkpoint %s\n", (long long)r.step,
                r.checkpoint.c_str());
  } else {
    std::printf("done: step %lld, mean reward %.3f, checkpoint %s\n", (long long)r.step,
                r.history.back().reward_mean, r.checkpoint.c_str());
  }
}

}  // namespace

DC_SUBCOMMAND("grpo", [](CLI::App& app) {
  auto c = std::make_shared<GrpoCli>();
  GrpoCli& g = *c;
  dc::rl::GrpoOptions& o = g.o;
  // The paper's values (SPEC §6) are the defaults.
  o.adam.lr = 1e-6;
  o.adam.beta2 = 0.99;
  o.adam.weight_decay = 0.1;
  o.adam.clip = 0.2;
  g.rollout.params.max_new_tokens = 256;
  g.rollout.params.temperature = 1.2f;
  g.rollout.params.top_p = 0.95f;
  auto* sub =
      app.add_subcommand("grpo", "coupled-GRPO reinforcement learning with code rewards from the sandbox");
  sub->add_option("--model", g.model, "policy to start from (default: the bundled model)");
  sub->add_option("--tasks", g.tasks,
                  "tasks (jsonl: the generic benchmark format, or {\"question\", \"tests\"})")
      ->required();
  sub->add_option("--out", g.out, "output folder (checkpoints, metrics.jsonl, reward.svg)")->required();
  sub->add_option("--steps", o.steps, "steps")->capture_default_str();
  sub->add_option("--stop-after", o.stop_after, "stop (with a checkpoint) after this step");
  sub->add_option("--prompts-per-step", o.prompts_per_step, "prompts per step")->capture_default_str();
  sub->add_option("--group-size", o.group_size, "completions per prompt (G)")->capture_default_str();
  sub->add_option("--inner-iterations", o.inner_iterations, "updates per step on the same rollouts (mu)")
      ->capture_default_str();
  sub->add_option("--ref-sync", o.ref_sync, "steps between reference-model updates")->capture_default_str();
  sub->add_option("--seed", o.seed, "random seed (prompt order, rollouts, masks)")->capture_default_str();
  sub->add_option("--estimator", g.estimator, "coupled, decoupled, full-mask or d1")->capture_default_str();
  sub->add_option("--mask-pairs", o.estimator.mask_pairs, "complementary mask pairs (K)")
      ->capture_default_str();
  sub->add_option("--advantage", g.advantage, "leave-one-out or mean")->capture_default_str();
  sub->add_flag("--scale-std", o.scale_std, "divide advantages by the group's standard deviation");
  sub->add_flag("--skip-flat-groups", o.skip_flat_groups, "leave out groups whose rewards are all equal");
  sub->add_option("--beta", o.objective.beta, "KL (k3) weight")->capture_default_str();
  sub->add_option("--clip-eps", o.objective.clip_eps, "ratio clipping")->capture_default_str();
  sub->add_option("--lr", o.adam.lr, "peak learning rate (cosine to --min-lr-ratio)")->capture_default_str();
  sub->add_option("--min-lr-ratio", o.adam.min_lr_ratio, "final learning rate / peak")->capture_default_str();
  sub->add_option("--warmup", g.warmup, "warm-up updates")->capture_default_str();
  sub->add_option("--beta1", o.adam.beta1, "AdamW beta1")->capture_default_str();
  sub->add_option("--beta2", o.adam.beta2, "AdamW beta2")->capture_default_str();
  sub->add_option("--weight-decay", o.adam.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--max-grad-norm", o.adam.clip, "gradient clipping (0: off)")->capture_default_str();
  dc::cli::GenerationFlagSet rollout_flags;
  rollout_flags.steps_flag = "--rollout-steps";  // --steps counts RL steps here
  rollout_flags.seed = false;
  // Rollouts decode with the fp32 policy being trained: no precision choice. --threshold, --factor and
  // --cache are offered (one token per step without a cache, the paper's setting, stays the default).
  // Early stop is not: it would fill the "\n" after <|im_end|> that the format reward asks for.
  rollout_flags.fast = false;
  dc::cli::add_generation_flags(sub, g.rollout, rollout_flags);
  sub->add_option("--max-prompt-tokens", g.max_prompt_tokens, "longer prompts are left out")
      ->capture_default_str();
  sub->add_option("--system", g.system, "system prompt (default: the model's own)");
  sub->add_option("--code-weight", g.reward.code_weight, "reward weight of the pass rate")
      ->capture_default_str();
  sub->add_option("--format-weight", g.reward.format_weight, "reward weight of the format")
      ->capture_default_str();
  sub->add_option("--case-seconds", g.reward.case_seconds, "time limit per test case")->capture_default_str();
  sub->add_flag("--allow-missing-layers", g.allow_missing_layers,
                "run rollouts' code even where a sandbox layer does not work on this machine");
  sub->add_option("--save-every", o.save_every, "checkpoint every N steps (always at the end)");
  sub->add_flag("--resume", o.resume, "continue bit-exactly from the latest checkpoint in --out");
  sub->add_flag("--export-bf16", o.export_bf16, "also write the final policy in BF16 to OUT/export-bf16");
  sub->add_option("--threads", g.threads,
                  "worker threads (default: all cores, shared among the ranks of a machine)");
  sub->callback([c] { run_grpo(*c); });
});

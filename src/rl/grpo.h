// The GRPO training loop for masked diffusion models (SPEC §6; coupled-GRPO with the default estimator).
//
// One step:
//  1. rollouts: for each of `prompts_per_step` prompts (taken in a seeded shuffled order, epoch by epoch),
//     G completions decoded together by the diffusion sampler from the in-memory policy, no checkpoint
//     round-trip: on the training forward over the fp32 parameters (train::ParamsDenoiser), or, when the
//     rollout settings name a cache, on the inference model packed from them at the step's start
//     (TransformerModel over params_checkpoint; fp32 weights, so the same network up to float sums);
//  2. scoring: the reward callback gives one reward per completion; group advantages (leave-one-out by
//     default); groups whose rewards are all equal may be skipped (their advantages are all 0 anyway);
//  3. for each of mu inner iterations i a mask plan per completion (seeded by step and i, shared by the old,
//     reference and current log-probs of that iteration); the old log-probs of iterations i >= 1 and the
//     reference log-probs are computed first, with the parameters of the step's start;
//  4. for each inner iteration: the current log-probs, the clipped objective with the k3 KL penalty,
//     the backward pass, global-norm clipping and one AdamW update;
//  5. every ref_sync steps the reference model becomes a copy of the policy.
// The scored region of a completion is its tokens up to and including the first end token (end_ids);
// all of it when there is none.
//
// Data-parallel (dist/comm.h, under `mpirun -np N`): prompt i of a step goes to rank i % N, which rolls it
// out (with the seeds one process would use), scores it, and runs its log-prob passes and backward. The
// step's statistics are sums over every rank's groups, taken in prompt order (rl/step_table.h), so the
// rewards are those of one process exactly; the loss divides by the global number of training groups and
// the gradient is summed over the ranks before clipping and the update, which every rank then applies
// alike. Weights match one process up to the order of float sums in the gradient; the same rank count
// gives the same bytes. Only rank 0 writes the output folder and logs; every rank reads on resume, and a
// checkpoint resumes with any rank count.
//
// Output folder OUT (train/run_folder.h): checkpoint-<step>/ holds the policy (a model folder, fp32), the
// reference model (reference.safetensors), the AdamW moments and grpo_state.json; metrics.jsonl has one
// line per step; reward.svg plots the mean reward. A resumed run continues bit-exactly (same thread count).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "decode/params.h"
#include "model/training_pass.h"
#include "rl/grpo_objective.h"
#include "rl/logp_estimator.h"
#include "train/adamw.h"

namespace dc::rl {

// What the reward callback returns for one completion.
struct Scored {
  double reward = 0;
  double code = 0;    // pass rate (0 when not computed)
  double format = 0;  // format score
};

// prompt index + the G completions (the L generated tokens each) -> G scores. Called from the loop's thread,
// on the rank that rolls the prompt out.
using RewardFn =
    std::function<std::vector<Scored>(size_t prompt, const std::vector<std::vector<int32_t>>& completions)>;

struct GrpoOptions {
  std::string out_dir;     // required
  int64_t steps = 100;     // steps of the schedule
  int64_t stop_after = 0;  // > 0: stop (after saving) once this step is reached, as if interrupted
  int prompts_per_step = 2;
  int group_size = 10;       // G
  int inner_iterations = 2;  // mu
  int64_t ref_sync = 64;     // steps between reference-model updates
  uint64_t seed = 0;
  train::AdamWOptions adam;  // total_steps is set to steps * mu (one update per inner iteration)
  EstimatorOptions estimator;
  ObjectiveOptions objective;
  AdvantageMode advantage = AdvantageMode::LeaveOneOut;
  bool scale_std = false;
  bool skip_flat_groups = false;
  GenerationParams rollout;      // the sampler's settings for the rollouts (seed ignored: derived per step;
                                 // early_stop must be off: it fills the rest with the end token)
  std::vector<int32_t> end_ids;  // tokens that end the scored region (e.g. <|im_end|>)
  int64_t save_every = 0;        // > 0: checkpoint every this many steps (always at the end)
  bool resume = false;
  bool export_bf16 = false;
  std::string tokenizer_dir;  // tokenizer files copied into checkpoints
  std::function<void(const std::string&)> log;
};

// Throws dc::Error with one line for an impossible option (before any work is done), including fewer
// prompts per step than the job has ranks.
void validate(const GrpoOptions&);

struct GrpoStepStats {
  int64_t step = 0;
  double reward_mean = 0, reward_std = 0, pass_rate = 0, format_rate = 0;
  double loss = 0, kl = 0, clip_fraction = 0, grad_norm = 0, lr = 0;
  double completion_length = 0;  // mean scored tokens
  double flat_groups = 0;        // share of groups whose rewards were all equal
  double arness_global1 = 0;     // global AR-ness@1 of the rollouts' decoding order
  double logp_spread = 0;        // mean std, over the mu mask draws, of a sequence's estimated log-likelihood
  // The slowest rank's seconds (optimizer: the gradients' sum over ranks, the norm and the update).
  double rollout_s = 0, scoring_s = 0, logp_s = 0, backward_s = 0, optimizer_s = 0;
  double rollout_tokens_per_s = 0;  // every rank's tokens / rollout_s
};

struct GrpoResult {
  int64_t step = 0, steps_run = 0;
  std::vector<GrpoStepStats> history;  // the steps this call ran
  std::string checkpoint;              // on rank 0
};

// Trains `policy` in place on `prompts` (token ids, templates applied; each non-empty and all of one
// model). Throws dc::Error for bad options, a model without a usable mask token, a fresh run in a folder
// that holds checkpoints, or a resume whose saved state does not match these options (in a job: collective,
// and those set-up failures are agreed, dist/agreement.h). `log` is called on rank 0 only.
GrpoResult grpo_train(ModelParams& policy, const std::vector<std::vector<int32_t>>& prompts,
                      const RewardFn& reward, const GrpoOptions& o);

}  // namespace dc::rl

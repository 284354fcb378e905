// The GRPO objective on estimated log-probabilities (SPEC §6), in double precision: group advantages,
// the clipped surrogate with a k3 KL penalty, and its gradient with respect to each token's log-prob
// (the model's backward pass takes it from there through rl::head_weights).
//
//   rho_k = exp(logp_k - old_k)
//   loss_k = -min(rho_k A, clip(rho_k, 1 - eps, 1 + eps) A) + beta (exp(ref_k - logp_k) - (ref_k - logp_k) -
//   1) loss  = mean over sequences of (mean over that sequence's scored tokens of loss_k)
// Sequences without scored tokens are left out of the mean.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dc::rl {

enum class AdvantageMode { Mean, LeaveOneOut };
const char* advantage_name(AdvantageMode);               // "mean", "leave-one-out"
AdvantageMode parse_advantage(const std::string& name);  // throws dc::Error naming the choices

// A_i = r_i - mean_j r_j (Mean) or r_i - mean_{j != i} r_j (LeaveOneOut; 0 for a group of one); with
// scale_std, divided by (sample standard deviation of the group + 1e-4).
std::vector<double> group_advantages(std::span<const double> rewards, AdvantageMode mode, bool scale_std);

struct ObjectiveOptions {
  double clip_eps = 0.5;  // eps
  double beta = 0.01;     // KL weight (0: no reference model needed)
};

struct ObjectiveResult {
  double loss = 0;
  double kl = 0;                           // mean k3 KL over scored tokens
  double clip_fraction = 0;                // share of scored tokens whose clipped term was the active one
  int64_t tokens = 0;                      // scored tokens
  std::vector<std::vector<double>> dlogp;  // [g][k] dLoss/dlogp_k
};

// logp, old, ref: [g][k] for the G sequences of a group (ref ignored when beta == 0); advantages: [g].
ObjectiveResult grpo_objective(const std::vector<std::vector<double>>& logp,
                               const std::vector<std::vector<double>>& old,
                               const std::vector<std::vector<double>>& ref,
                               std::span<const double> advantages, const ObjectiveOptions& o);

}  // namespace dc::rl

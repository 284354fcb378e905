// Advantages and the clipped GRPO objective (see grpo_objective.h).
#include "rl/grpo_objective.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dc::rl {

const char* advantage_name(AdvantageMode m) {
  return m == AdvantageMode::Mean ? "mean" : "leave-one-out";
}

AdvantageMode parse_advantage(const std::string& name) {
  if (name == "mean") return AdvantageMode::Mean;
  if (name == "leave-one-out") return AdvantageMode::LeaveOneOut;
  throw_error("unknown advantage '{}' (mean, leave-one-out)", name);
}

std::vector<double> group_advantages(std::span<const double> rewards, AdvantageMode mode, bool scale_std) {
  const size_t G = rewards.size();
  std::vector<double> a(G, 0.0);
  if (G == 0) return a;
  double sum = 0;
  for (double r : rewards) sum += r;
  const double mean = sum / double(G);
  for (size_t i = 0; i < G; ++i) {
    if (mode == AdvantageMode::Mean) {
      a[i] = rewards[i] - mean;
    } else {
      a[i] = G > 1 ? rewards[i] - (sum - rewards[i]) / double(G - 1) : 0.0;
    }
  }
  if (scale_std) {
    double var = 0;
    for (double r : rewards) var += (r - mean) * (r - mean);
    const double sd = G > 1 ? std::sqrt(var / double(G - 1)) : 0.0;
    for (double& x : a) x /= sd + 1e-4;
  }
  return a;
}

ObjectiveResult grpo_objective(const std::vector<std::vector<double>>& logp,
                               const std::vector<std::vector<double>>& old,
                               const std::vector<std::vector<double>>& ref,
                               std::span<const double> advantages, const ObjectiveOptions& o) {
  const size_t G = logp.size();
  DC_ASSERT(old.size() == G && advantages.size() == G && (o.beta == 0 || ref.size() == G), "group sizes");
  ObjectiveResult res;
  res.dlogp.resize(G);
  size_t counted = 0;
  for (size_t g = 0; g < G; ++g)
    if (!logp[g].empty()) ++counted;
  int64_t clipped = 0;
  double kl_sum = 0;
  for (size_t g = 0; g < G; ++g) {
    const size_t n = logp[g].size();
    res.dlogp[g].assign(n, 0.0);
    if (n == 0) continue;
    const double scale = 1.0 / (double(n) * double(counted));  // the two means
    const double A = advantages[g];
    for (size_t k = 0; k < n; ++k) {
      const double rho = std::exp(logp[g][k] - old[g][k]);
      const double rho_clip = std::clamp(rho, 1 - o.clip_eps, 1 + o.clip_eps);
      const double unclipped = rho * A, clip_term = rho_clip * A;
      double loss_k, d_k;
      if (unclipped <= clip_term) {  // the unclipped term is the min: d(-rho A)/dlogp = -rho A
        loss_k = -unclipped;
        d_k = -unclipped;
      } else {  // the clipped term is constant in logp here
        loss_k = -clip_term;
        d_k = 0;
        ++clipped;
      }
      if (o.beta != 0) {
        const double diff = ref[g][k] - logp[g][k];
        const double kl = std::exp(diff) - diff - 1;
        loss_k += o.beta * kl;
        d_k += o.beta * (1 - std::exp(diff));
        kl_sum += kl;
      }
      res.loss += scale * loss_k;
      res.dlogp[g][k] = scale * d_k;
      ++res.tokens;
    }
  }
  if (res.tokens > 0) {
    res.kl = kl_sum / double(res.tokens);
    res.clip_fraction = double(clipped) / double(res.tokens);
  }
  return res;
}

}  // namespace dc::rl

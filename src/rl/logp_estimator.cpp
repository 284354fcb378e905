// Mask plans and the log-probability estimators (see logp_estimator.h).
#include "rl/logp_estimator.h"

#include <cmath>

#include "core/error.h"

namespace dc::rl {

const char* estimator_name(Estimator e) {
  switch (e) {
    case Estimator::Coupled:
      return "coupled";
    case Estimator::Decoupled:
      return "decoupled";
    case Estimator::FullMask:
      return "full-mask";
    case Estimator::D1:
      return "d1";
  }
  return "unknown";
}

Estimator parse_estimator(const std::string& name) {
  for (Estimator e : {Estimator::Coupled, Estimator::Decoupled, Estimator::FullMask, Estimator::D1}) {
    if (name == estimator_name(e)) return e;
  }
  throw_error("unknown estimator '{}' (coupled, decoupled, full-mask, d1)", name);
}

void validate(const EstimatorOptions& o) {
  if (o.mask_pairs < 1 || o.mask_pairs > 16)
    throw_error("--mask-pairs must be in [1, 16], got {}", o.mask_pairs);
  if (!(o.t_min > 0 && o.t_min <= o.t_max && o.t_max < 1))
    throw_error("mask ratio range must satisfy 0 < t_min <= t_max < 1, got [{}, {}]", o.t_min, o.t_max);
  if (!(o.prompt_mask_ratio >= 0 && o.prompt_mask_ratio < 1))
    throw_error("prompt mask ratio must be in [0, 1), got {}", o.prompt_mask_ratio);
}

double draw_mask_ratio(const EstimatorOptions& o, Rng& rng) {
  return o.t_min + (o.t_max - o.t_min) * rng.uniform_double();
}

MaskPlan make_mask_plan(const EstimatorOptions& o, std::span<const int32_t> prompt,
                        std::span<const int32_t> completion, int64_t scored, int32_t mask_id, double t,
                        Rng& rng) {
  const int64_t P = int64_t(prompt.size()), L = int64_t(completion.size());
  if (P == 0) throw_error("mask plan: the prompt is empty");
  DC_ASSERT(scored >= 0 && scored <= L, "scored tokens within the completion");
  MaskPlan plan;
  plan.prompt_length = P;
  std::vector<int32_t> clean(prompt.begin(), prompt.end());
  clean.insert(clean.end(), completion.begin(), completion.end());
  // Pass 0: the whole completion masked (every estimator has it).
  std::vector<int32_t> full = clean;
  for (int64_t k = 0; k < L; ++k) full[size_t(P + k)] = mask_id;
  plan.terms.assign(size_t(scored), {});
  const bool paired = o.kind == Estimator::Coupled || o.kind == Estimator::Decoupled;
  const float half = paired ? 0.5f : 1.0f;
  if (o.kind == Estimator::D1) {
    for (int64_t i = 0; i < P; ++i) {
      if (rng.uniform_double() < o.prompt_mask_ratio) full[size_t(i)] = mask_id;
    }
  }
  plan.inputs.push_back(std::move(full));
  for (int64_t k = 0; k < scored; ++k) plan.terms[size_t(k)].push_back({0, half});
  if (!paired) return plan;

  const int K = o.mask_pairs;
  const float c1 = float(0.5 / (K * t)), c2 = float(0.5 / (K * (1 - t)));
  for (int j = 0; j < K; ++j) {
    std::vector<int32_t> a = clean, b = clean;
    const int32_t pa = int32_t(plan.inputs.size()), pb = pa + 1;
    for (int64_t k = 0; k < L; ++k) {
      const bool in_a = rng.uniform_double() < t;
      const bool in_b = o.kind == Estimator::Coupled ? !in_a : rng.uniform_double() >= t;
      if (in_a) a[size_t(P + k)] = mask_id;
      if (in_b) b[size_t(P + k)] = mask_id;
      if (k < scored) {
        if (in_a) plan.terms[size_t(k)].push_back({pa, c1});
        if (in_b) plan.terms[size_t(k)].push_back({pb, c2});
      }
    }
    plan.inputs.push_back(std::move(a));
    plan.inputs.push_back(std::move(b));
  }
  return plan;
}

LogpBatch make_logp_batch(const std::vector<MaskPlan>& plans,
                          const std::vector<std::vector<int32_t>>& completions, int shift) {
  DC_ASSERT(!plans.empty() && plans.size() == completions.size(), "one plan per completion");
  LogpBatch b;
  const int64_t passes = plans[0].passes(), P = plans[0].prompt_length;
  b.N = int64_t(plans[0].inputs[0].size());
  b.B = int64_t(plans.size()) * passes;
  b.tokens.reserve(size_t(b.B * b.N));
  for (size_t g = 0; g < plans.size(); ++g) {
    const MaskPlan& p = plans[g];
    DC_ASSERT(p.passes() == passes && p.prompt_length == P, "plans of one batch share their shape");
    for (const auto& in : p.inputs) {
      DC_ASSERT(int64_t(in.size()) == b.N, "plans of one batch share their length");
      b.tokens.insert(b.tokens.end(), in.begin(), in.end());
    }
    b.scored.push_back(int64_t(p.terms.size()));
    for (size_t k = 0; k < p.terms.size(); ++k) {
      for (const LogpTerm& term : p.terms[k]) {
        const int64_t row = int64_t(g) * passes + term.pass;
        b.head.rows.push_back(row * b.N + P + int64_t(k) - shift);
        b.head.targets.push_back(completions[g][k]);
        b.head.weights.push_back(0.f);
        b.seq.push_back(int32_t(g));
        b.token.push_back(int32_t(k));
        b.coef.push_back(term.coef);
      }
    }
  }
  return b;
}

std::vector<std::vector<double>> combine_logp(const LogpBatch& b, std::span<const double> row_loss) {
  DC_ASSERT(row_loss.size() == b.coef.size(), "one loss per head row");
  std::vector<std::vector<double>> logp(b.scored.size());
  for (size_t g = 0; g < b.scored.size(); ++g) logp[g].assign(size_t(b.scored[g]), 0.0);
  for (size_t r = 0; r < b.coef.size(); ++r)
    logp[size_t(b.seq[r])][size_t(b.token[r])] += double(b.coef[r]) * -row_loss[r];
  return logp;
}

std::vector<float> head_weights(const LogpBatch& b, const std::vector<std::vector<double>>& dlogp) {
  std::vector<float> w(b.coef.size());
  for (size_t r = 0; r < w.size(); ++r)
    w[r] = float(-double(b.coef[r]) * dlogp[size_t(b.seq[r])][size_t(b.token[r])]);
  return w;
}

}  // namespace dc::rl

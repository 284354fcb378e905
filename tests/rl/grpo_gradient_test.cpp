// The GRPO loss through the model: the gradient the engine computes (objective -> head weights -> the
// model's backward) against a central finite difference of the loss along a random direction; with
// rho = 1 and no KL the gradient equals the policy-gradient formula -mean A * grad logp computed as a plain
// weighted cross-entropy; and the training parameters decode exactly like the inference model, also when
// it is built over them in memory.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "../model/checkpoint_test_util.h"
#include "model/transformer_model.h"
#include "rl/grpo_objective.h"
#include "rl/logp_estimator.h"
#include "train/init_params.h"
#include "train/params_denoiser.h"
#include "train/trainer.h"

namespace dc::rl {
namespace {

struct Group {
  std::vector<int32_t> prompt = {5, 9, 2, 30};
  std::vector<std::vector<int32_t>> completions;
  std::vector<MaskPlan> plans;
  LogpBatch batch;
};

Group make_group(const ModelConfig& c, Estimator kind, uint64_t seed) {
  Group g;
  Rng rng(seed);
  EstimatorOptions o;
  o.kind = kind;
  const double t = draw_mask_ratio(o, rng);
  for (int i = 0; i < 3; ++i) {
    std::vector<int32_t> comp;
    for (int k = 0; k < 6; ++k) comp.push_back(int32_t(rng.below(60)));
    g.plans.push_back(make_mask_plan(o, g.prompt, comp, 4 + i % 2, c.mask_token_id, t, rng));
    g.completions.push_back(comp);
  }
  g.batch = make_logp_batch(g.plans, g.completions, 1);
  return g;
}

std::vector<std::vector<double>> logps(const ModelParams& p, const Group& g, TrainTape& tape) {
  train_forward_head(p, g.batch.tokens.data(), g.batch.B, g.batch.N, nullptr, g.batch.head, tape);
  return combine_logp(g.batch, tape.row_loss);
}

std::vector<std::vector<double>> jitter(const std::vector<std::vector<double>>& x, double amount, Rng& rng) {
  auto y = x;
  for (auto& row : y)
    for (double& v : row) v += amount * (rng.uniform_double() - 0.5);
  return y;
}

TEST(GrpoGradient, MatchesAFiniteDifferenceThroughTheModel) {
  const ModelConfig c = testing::tiny_config();
  for (Estimator kind : {Estimator::Coupled, Estimator::D1}) {
    ModelParams p = train::init_params(c, 3, 0.3);
    Group g = make_group(c, kind, 8);
    TrainTape tape;
    Rng rng(2);
    auto lp = logps(p, g, tape);
    const auto old = jitter(lp, 0.4, rng), ref = jitter(lp, 0.4, rng);
    const std::vector<double> adv = {0.7, -1.1, 0.4};
    ObjectiveOptions o;
    o.beta = 0.05;
    ObjectiveResult r = grpo_objective(lp, old, ref, adv, o);
    ModelParams grad = params_zeros(c);
    train_backward_from_head(p, g.batch.tokens.data(), nullptr, head_weights(g.batch, r.dlogp), grad, tape);

    // Direction d: random in every tensor; analytic <grad, d> against (L(p + h d) - L(p - h d)) / 2h.
    ModelParams d = params_zeros(c);
    double analytic = 0;
    for (size_t i = 0; i < d.tensors.size(); ++i) {
      for (size_t j = 0; j < d.tensors[i].data.size(); ++j) {
        d.tensors[i].data[j] = float(rng.uniform_double() - 0.5);
        analytic += double(d.tensors[i].data[j]) * grad.tensors[i].data[j];
      }
    }
    auto loss_at = [&](double h) {
      ModelParams q = p;
      for (size_t i = 0; i < q.tensors.size(); ++i)
        for (size_t j = 0; j < q.tensors[i].data.size(); ++j)
          q.tensors[i].data[j] += float(h) * d.tensors[i].data[j];
      return grpo_objective(logps(q, g, tape), old, ref, adv, o).loss;
    };
    const double h = 1e-2;
    const double fd = (loss_at(h) - loss_at(-h)) / (2 * h);
    EXPECT_NEAR(analytic, fd, 2e-2 * std::abs(fd) + 1e-4) << estimator_name(kind);
    EXPECT_GT(std::abs(fd), 1e-3);  // the check is not vacuous
  }
}

TEST(GrpoGradient, WithoutClippingAndKlItIsThePolicyGradient) {
  const ModelConfig c = testing::tiny_config();
  ModelParams p = train::init_params(c, 5, 0.3);
  Group g = make_group(c, Estimator::Coupled, 12);
  TrainTape tape;
  auto lp = logps(p, g, tape);
  const std::vector<double> adv = {1.5, -0.5, -1.0};
  ObjectiveOptions o;
  o.beta = 0;
  ObjectiveResult r = grpo_objective(lp, lp, {}, adv, o);  // old == current: rho = 1, mu = 1
  ModelParams grpo = params_zeros(c);
  train_backward_from_head(p, g.batch.tokens.data(), nullptr, head_weights(g.batch, r.dlogp), grpo, tape);

  // -(1/G) sum_g (1/n_g) sum_k A_g logp_gk = sum_r coef_r A_g / (G n_g) * CE_r: a weighted cross-entropy.
  HeadTargets t = g.batch.head;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const int32_t s = g.batch.seq[i];
    t.weights[i] = float(g.batch.coef[i] * adv[size_t(s)] / (3.0 * double(g.batch.scored[size_t(s)])));
  }
  ModelParams pg = params_zeros(c);
  TrainTape tape2;
  loss_and_grad(p, g.batch.tokens.data(), g.batch.B, g.batch.N, nullptr, t, &pg, tape2);
  double max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < pg.tensors.size(); ++i) {
    for (size_t j = 0; j < pg.tensors[i].data.size(); ++j) {
      max_diff = std::max(max_diff, double(std::abs(pg.tensors[i].data[j] - grpo.tensors[i].data[j])));
      max_abs = std::max(max_abs, double(std::abs(pg.tensors[i].data[j])));
    }
  }
  EXPECT_GT(max_abs, 1e-4);
  EXPECT_LE(max_diff, 1e-6 * max_abs);
}

TEST(ParamsDenoiser, DecodesLikeTheInferenceModel) {
  const ModelConfig c = testing::tiny_config();
  ModelParams p = train::init_params(c, 9, 0.3);
  const std::filesystem::path dir =
      std::filesystem::path(DC_BINARY_DIR) / ("params-denoiser-" + std::to_string(getpid()));
  train::write_model_folder(dir.string(), p, DType::F32, "");
  TransformerModel model(dir.string());
  train::ParamsDenoiser denoiser(p, c.mask_token_id);
  const std::vector<int32_t> tokens = {1, 2, 3, 63, 63, 7, 8, 63, 4, 63, 63, 63};  // 2 canvases of 6
  CanvasBatch batch{2, 6, tokens, {}};
  const std::vector<PredictionRef> wanted = {{0, 3}, {0, 4}, {1, 1}, {1, 5}};
  std::vector<float> a(wanted.size() * 64), b(a.size());
  model.predict(batch, wanted, a.data());
  denoiser.predict(batch, wanted, b.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4f) << i;
  std::filesystem::remove_all(dir);
  // The same model over the parameters in memory (what cached rollouts decode with) is the model of the
  // written folder, bit for bit.
  TransformerModel in_memory(params_checkpoint(p, "the policy"));
  std::vector<float> m(a.size());
  in_memory.predict(batch, wanted, m.data());
  EXPECT_EQ(m, a);
  // Padding is refused with one line.
  const std::vector<uint8_t> valid = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_THROW(denoiser.predict(CanvasBatch{2, 6, tokens, valid}, wanted, b.data()), Error);
}

}  // namespace
}  // namespace dc::rl

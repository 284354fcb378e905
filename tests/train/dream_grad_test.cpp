// The Dream training pass (model/training_pass.h) against two oracles:
//  * the PyTorch twin (scripts/twin/make_grad_fixtures.py): loss and every parameter gradient of the
//    committed tiny model for one fixed masked batch (tests/testdata/twin/grad_*);
//  * the inference forward (TransformerModel::raw_logits): the training forward's logits on the same tokens.
// Plus determinism across thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "model/checkpoint.h"
#include "model/safetensors.h"
#include "model/training_pass.h"
#include "model/transformer_model.h"

namespace dc {
namespace {

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
const std::string kTwin = std::string(DC_TESTDATA_DIR) + "/twin";

struct GradBatch {
  int64_t B = 0, N = 0;
  std::vector<int32_t> tokens;
  HeadTargets head;
  double loss = 0;
};

GradBatch load_batch() {
  const auto j = nlohmann::json::parse(read_file(kTwin + "/grad_batch.json"));
  GradBatch g;
  g.B = j.at("B");
  g.N = j.at("N");
  g.tokens = j.at("tokens").get<std::vector<int32_t>>();
  g.head.rows = j.at("rows").get<std::vector<int64_t>>();
  g.head.targets = j.at("targets").get<std::vector<int32_t>>();
  g.head.weights = j.at("weights").get<std::vector<float>>();
  g.loss = j.at("loss");
  return g;
}

TEST(DreamGrad, LossAndEveryGradientMatchTheTwin) {
  const Checkpoint ck = Checkpoint::open(kTiny);
  const ModelParams p = params_from_checkpoint(ck);
  const GradBatch b = load_batch();
  ModelParams g = params_zeros(p.config);
  TrainTape tape;
  const double loss = loss_and_grad(p, b.tokens.data(), b.B, b.N, nullptr, b.head, &g, tape);
  EXPECT_NEAR(loss, b.loss, 1e-4 * std::fabs(b.loss));
  const SafetensorsFile ref(kTwin + "/grad_tiny_dream.safetensors");
  ASSERT_EQ(ref.tensors().size(), g.tensors.size());
  for (const ParamTensor& t : g.tensors) {
    const TensorView& r = ref.get(t.name);
    ASSERT_EQ(r.shape, t.shape) << t.name;
    // Tensor-relative error: max |ours - twin| / max |twin| (fp32 on both sides, summation order differs).
    double max_ref = 0, max_err = 0;
    for (size_t i = 0; i < t.data.size(); ++i) {
      max_ref = std::max(max_ref, double(std::fabs(r.f32()[i])));
      max_err = std::max(max_err, double(std::fabs(r.f32()[i] - t.data[i])));
    }
    EXPECT_GT(max_ref, 0.0) << t.name;
    EXPECT_LT(max_err, 1e-4 * max_ref) << t.name << " max_ref " << max_ref;
  }
}

TEST(DreamGrad, TrainingForwardMatchesInferenceForward) {
  const Checkpoint ck = Checkpoint::open(kTiny);
  const ModelParams p = params_from_checkpoint(ck);
  TransformerModel model(Checkpoint::open(kTiny));
  const GradBatch b = load_batch();
  const int64_t M = b.B * b.N, V = p.config.vocab_size;
  std::vector<int64_t> rows(static_cast<size_t>(M));
  HeadTargets all;
  for (int64_t i = 0; i < M; ++i) {
    rows[size_t(i)] = i;
    all.rows.push_back(i);
    all.targets.push_back(0);
    all.weights.push_back(0.f);  // no gradient wanted: only the per-row loss is compared
  }
  std::vector<float> ref(static_cast<size_t>(M * V));
  model.raw_logits(CanvasBatch{b.B, b.N, b.tokens, {}}, rows, ref.data());
  TrainTape tape;
  loss_and_grad(p, b.tokens.data(), b.B, b.N, nullptr, all, nullptr, tape);
  // row_loss = logsumexp(logits) - logits[0]: compare against the inference logits.
  for (int64_t i = 0; i < M; ++i) {
    const float* x = ref.data() + i * V;
    double mx = x[0], s = 0;
    for (int64_t v = 1; v < V; ++v) mx = std::max(mx, double(x[v]));
    for (int64_t v = 0; v < V; ++v) s += std::exp(double(x[v]) - mx);
    EXPECT_NEAR(tape.row_loss[size_t(i)], std::log(s) + mx - x[0], 1e-4) << "row " << i;
  }
}

TEST(DreamGrad, GradientsAreIdenticalForAnyThreadCount) {
  const Checkpoint ck = Checkpoint::open(kTiny);
  const ModelParams p = params_from_checkpoint(ck);
  const GradBatch b = load_batch();
  std::vector<ModelParams> out;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    ModelParams g = params_zeros(p.config);
    TrainTape tape;
    loss_and_grad(p, b.tokens.data(), b.B, b.N, nullptr, b.head, &g, tape);
    out.push_back(std::move(g));
  }
  set_num_threads(0);
  for (size_t k = 1; k < out.size(); ++k)
    for (size_t t = 0; t < out[0].tensors.size(); ++t)
      EXPECT_EQ(out[0].tensors[t].data, out[k].tensors[t].data) << out[0].tensors[t].name;
}

TEST(DreamGrad, TiedHeadGradientIsTheSumOfBothUses) {
  // Untied parameters whose lm_head equals the embedding give the tied model's loss; the tied embedding
  // gradient must be the sum of the untied embedding and lm_head gradients.
  ModelParams untied = params_from_checkpoint(Checkpoint::open(kTiny));
  untied.tensors.back().data = untied.tensors[0].data;
  ModelParams tied = untied;
  tied.config.tie_word_embeddings = true;
  tied.tensors.pop_back();
  const GradBatch b = load_batch();
  ModelParams gu = params_zeros(untied.config), gt = params_zeros(tied.config);
  TrainTape tape;
  const double lu = loss_and_grad(untied, b.tokens.data(), b.B, b.N, nullptr, b.head, &gu, tape);
  const double lt = loss_and_grad(tied, b.tokens.data(), b.B, b.N, nullptr, b.head, &gt, tape);
  EXPECT_EQ(lu, lt);
  const std::vector<float>& ge = gt.tensors[0].data;
  for (size_t i = 0; i < ge.size(); ++i)
    ASSERT_NEAR(ge[i], gu.tensors[0].data[i] + gu.tensors.back().data[i], 1e-6f) << i;
}

TEST(DreamGrad, BadTokenIsAnError) {
  const ModelParams p = params_from_checkpoint(Checkpoint::open(kTiny));
  std::vector<int32_t> tokens(8, 1);
  tokens[3] = int32_t(p.config.vocab_size);
  TrainTape tape;
  EXPECT_THROW(loss_and_grad(p, tokens.data(), 1, 8, nullptr, HeadTargets{}, nullptr, tape), Error);
}

}  // namespace
}  // namespace dc

// The training loop (train/trainer.h): bit-exact resume, checkpoint layout, metrics and loss curve, a tiny
// model that learns a synthetic copy task, and the pieces (diffusion batches, AdamW, schedule) against
// hand-computed values.
#include <gtest/gtest.h>

#include <limits>

#include <functional>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/checkpoint.h"
#include "model/transformer_model.h"
#include "train/adamw.h"
#include "train/diffusion_batch.h"
#include "train/init_params.h"
#include "train/trainer.h"

namespace dc::train {
namespace {

namespace fs = std::filesystem;

ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.intermediate_size = 64;
  c.vocab_size = 64;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 10000.0;
  c.mask_token_id = 63;
  c.pad_token_id = 62;
  c.bos_token_id = 61;
  c.eos_token_id = 62;
  return c;
}

// Synthetic task: a random token x from [0, 28) repeated 8 times, then x + 32 repeated 8 times. One visible
// token reveals the whole sequence, so a model that has learnt the rule predicts masked tokens exactly
// (except when everything is masked); validation uses fresh masks on independently drawn sequences.
InMemoryDataset repeat_task(int64_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<TokenSequence> seqs;
  for (int64_t i = 0; i < n; ++i) {
    TokenSequence s;
    const int32_t x = int32_t(r.below(28));
    for (int j = 0; j < 8; ++j) s.tokens.push_back(x);
    for (int j = 0; j < 8; ++j) s.tokens.push_back(x + 32);
    seqs.push_back(s);
  }
  return InMemoryDataset(std::move(seqs));
}

std::string temp_dir(const std::string& name) {
  const std::string d = std::string(DC_BINARY_DIR) + "/train_test_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TrainOptions small_options(const std::string& out) {
  TrainOptions o;
  o.out_dir = out;
  o.steps = 8;
  o.batch = 3;
  o.accum = 2;
  o.seed = 42;
  o.adam.lr = 3e-3;
  o.adam.warmup_steps = 2;
  o.anneal_steps = 4;  // exercises the partial attention masks
  o.eval_every = 4;
  return o;
}

TEST(Trainer, ResumeIsBitExact) {
  const InMemoryDataset data = repeat_task(10, 1);
  const std::string a = temp_dir("straight"), b = temp_dir("resumed");
  ModelParams p1 = init_params(tiny_config(), 7);
  train(p1, data, &data, small_options(a));

  ModelParams p2 = init_params(tiny_config(), 7);
  TrainOptions o = small_options(b);
  o.stop_after = 4;
  const TrainResult half = train(p2, data, &data, o);
  EXPECT_EQ(half.step, 4);
  ModelParams p3 = init_params(tiny_config(), 999);  // overwritten by the checkpoint
  o.stop_after = 0;
  o.resume = true;
  const TrainResult full = train(p3, data, &data, o);
  EXPECT_EQ(full.step, 8);
  for (size_t t = 0; t < p1.tensors.size(); ++t)
    EXPECT_EQ(p1.tensors[t].data, p3.tensors[t].data) << p1.tensors[t].name;

  // The straight run and the resumed run logged the same metrics (tokens/s aside).
  auto losses = [](const std::string& dir) {
    std::vector<double> v;
    std::ifstream in(dir + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      v.push_back(j.contains("loss") ? j["loss"].get<double>() : j["val_loss"].get<double>());
    }
    return v;
  };
  EXPECT_EQ(losses(a), losses(b));
  EXPECT_EQ(losses(a).size(), 8u + 2u);  // 8 steps + validation at steps 4 and 8
}

TEST(Trainer, CheckpointIsAnHfFolderTheInferenceModelOpens) {
  const InMemoryDataset data = repeat_task(6, 2);
  const std::string out = temp_dir("layout");
  ModelParams p = init_params(tiny_config(), 3);
  TrainOptions o = small_options(out);
  o.steps = 3;
  o.save_every = 1;
  o.export_bf16 = true;
  o.tokenizer_dir = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
  const TrainResult r = train(p, data, nullptr, o);
  EXPECT_EQ(latest_checkpoint(out), r.checkpoint);
  EXPECT_EQ(fs::path(r.checkpoint).filename(), "checkpoint-3");
  EXPECT_FALSE(fs::exists(out + "/checkpoint-2"));  // older checkpoints are removed
  for (const char* f : {"config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json",
                        "vocab.json", "merges.txt"})
    EXPECT_TRUE(fs::exists(r.checkpoint + "/" + f)) << f;
  const auto cfg = nlohmann::json::parse(read_file(r.checkpoint + "/config.json"));
  EXPECT_EQ(cfg.at("model_type"), "Dream");
  // The fp32 master weights reload exactly; the BF16 export opens as a model too.
  const ModelParams back = params_from_checkpoint(Checkpoint::open(r.checkpoint));
  for (size_t t = 0; t < p.tensors.size(); ++t) EXPECT_EQ(back.tensors[t].data, p.tensors[t].data);
  TransformerModel m(out + "/export-bf16");
  EXPECT_EQ(m.config().torch_dtype, "bfloat16");
  const std::string svg = read_file(out + "/loss.svg");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_file(r.checkpoint + "/trainer_state.json")).at("step"), 3);
}

TEST(Trainer, ResumeWithOtherShapeOrNothingIsAnError) {
  const InMemoryDataset data = repeat_task(6, 2);
  const std::string out = temp_dir("mismatch");
  ModelParams p = init_params(tiny_config(), 3);
  TrainOptions o = small_options(out);
  o.resume = true;
  EXPECT_THROW(train(p, data, nullptr, o), Error);  // nothing to resume
  o.resume = false;
  o.steps = 2;
  train(p, data, nullptr, o);
  o.resume = true;
  o.batch = 2;
  EXPECT_THROW(train(p, data, nullptr, o), Error);
  o.resume = false;  // a fresh run into a folder with checkpoints
  o.batch = 3;
  EXPECT_THROW(train(p, data, nullptr, o), Error);
}

// A run whose loss becomes NaN (here: a weight poisoned after step 3, as a divergence would) stops at the
// next step with an error naming it, before the optimizer touches the weights, and leaves the last good
// checkpoint as `latest`, byte for byte.
TEST(Trainer, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
  const InMemoryDataset data = repeat_task(10, 1);
  const std::string out = temp_dir("nan_loss");
  ModelParams p = init_params(tiny_config(), 7);
  TrainOptions o = small_options(out);
  o.eval_every = 0;
  o.stop_after = 2;
  train(p, data, nullptr, o);
  const std::string good = latest_checkpoint(out);
  ASSERT_TRUE(good.ends_with("checkpoint-2")) << good;
  const std::string good_weights = read_file(good + "/model.safetensors");

  o.stop_after = 0;
  o.resume = true;
  o.log = [&](const std::string& line) {
    if (line.starts_with("step 3/")) p.final_norm()[0] = std::numeric_limits<float>::quiet_NaN();
  };
  try {
    train(p, data, nullptr, o);
    FAIL() << "a NaN loss did not stop the run";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("step 4: the loss became nan"), std::string::npos) << what;
    EXPECT_NE(what.find("last good checkpoint: " + good), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_EQ(latest_checkpoint(out), good);
  EXPECT_EQ(read_file(good + "/model.safetensors"), good_weights);
}

// Weights that are no longer finite when a checkpoint is due are not saved: `latest` keeps the last good
// checkpoint (a NaN checkpoint would poison every resume).
TEST(Trainer, NonFiniteWeightsAreNeverSaved) {
  const InMemoryDataset data = repeat_task(10, 1);
  const std::string out = temp_dir("nan_save");
  ModelParams p = init_params(tiny_config(), 7);
  TrainOptions o = small_options(out);
  o.eval_every = 0;
  o.save_every = 1;
  o.log = [&](const std::string& line) {
    if (line.starts_with("step 2/")) p.embed()[0] = std::numeric_limits<float>::infinity();
  };
  EXPECT_THROW(
      {
        try {
          train(p, data, nullptr, o);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("step 2: the weights are no longer finite; not saved"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      Error);
  EXPECT_TRUE(latest_checkpoint(out).ends_with("checkpoint-1"));
  EXPECT_FALSE(fs::exists(out + "/checkpoint-2"));
}

TEST(Trainer, NonFiniteOrNegativeHyperParametersAreRejected) {
  const InMemoryDataset data = repeat_task(4, 1);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<const char*, std::function<void(TrainOptions&)>>> cases = {
      {"lr nan", [&](TrainOptions& o) { o.adam.lr = nan; }},
      {"lr inf", [&](TrainOptions& o) { o.adam.lr = inf; }},
      {"lr < 0", [&](TrainOptions& o) { o.adam.lr = -1e-3; }},
      {"weight decay nan", [&](TrainOptions& o) { o.adam.weight_decay = nan; }},
      {"clip inf", [&](TrainOptions& o) { o.adam.clip = inf; }},
      {"min_lr_ratio nan", [&](TrainOptions& o) { o.adam.min_lr_ratio = nan; }},
      {"beta2 1", [&](TrainOptions& o) { o.adam.beta2 = 1.0; }},
      {"eps 0", [&](TrainOptions& o) { o.adam.eps = 0.0; }},
      {"mask_eps nan", [&](TrainOptions& o) { o.mask_eps = nan; }},
  };
  for (const auto& [what, set] : cases) {
    const std::string out = temp_dir("bad_hyper");
    ModelParams p = init_params(tiny_config(), 7);
    TrainOptions o = small_options(out);
    set(o);
    EXPECT_THROW(train(p, data, nullptr, o), Error) << what;
    EXPECT_EQ(latest_checkpoint(out), "") << what;
  }
}

TEST(Trainer, TinyModelLearnsASyntheticTask) {
  const InMemoryDataset data = repeat_task(256, 5), val = repeat_task(16, 6);
  ModelParams p = init_params(tiny_config(), 11);
  const double before = validation_loss(p, val, 8, 2, 1, 1e-3);
  TrainOptions o;
  o.out_dir = temp_dir("learn");
  o.steps = 500;
  o.batch = 8;
  o.seed = 1;
  o.adam.lr = 3e-3;
  o.adam.warmup_steps = 20;
  o.adam.weight_decay = 0.0;
  train(p, data, nullptr, o);
  const double after = validation_loss(p, val, 8, 2, 1, 1e-3);
  // Before: about ln(64) per masked token times E[1/t]; after: masked tokens follow from visible ones.
  EXPECT_GT(before, 4.0);
  EXPECT_LT(after, 0.1 * before) << "before " << before;
}

TEST(DiffusionBatch, PromptNeverMaskedAndWeightsNormalised) {
  std::vector<TokenSequence> seqs;
  for (int b = 0; b < 4; ++b) {
    TokenSequence s;
    for (int i = 0; i < 32; ++i) s.tokens.push_back(i + b);
    s.prompt_len = 10;
    seqs.push_back(s);
  }
  Rng rng(3);
  const DiffusionBatch db = make_diffusion_batch(seqs, 99, 1, 1e-3, 1.0, rng);
  EXPECT_TRUE(db.allow.empty());
  EXPECT_EQ(db.masked, int64_t(db.head.rows.size()));
  ASSERT_GT(db.masked, 0);
  double wsum_t = 0;
  for (size_t r = 0; r < db.head.rows.size(); ++r) {
    const int64_t j = db.head.rows[r] + 1, b = j / 32, p = j % 32;
    EXPECT_GE(p, 10);
    EXPECT_EQ(db.tokens[size_t(j)], 99);
    EXPECT_EQ(db.head.targets[r], seqs[size_t(b)].tokens[size_t(p)]);
    wsum_t += double(db.head.weights[r]) * db.t[size_t(b)];
  }
  EXPECT_NEAR(wsum_t, 1.0, 1e-5);  // sum over masked of (1/t)/masked * t = 1
  for (int64_t j = 0; j < 4 * 32; ++j)
    if (j % 32 < 10) {
      EXPECT_EQ(db.tokens[size_t(j)], seqs[size_t(j / 32)].tokens[size_t(j % 32)]);
    }
}

TEST(DiffusionBatch, AnnealedMaskKeepsCausalPairsAndDrawsTheRest) {
  std::vector<TokenSequence> seqs(2);
  for (auto& s : seqs) s.tokens.assign(64, 5);
  Rng rng(4);
  const DiffusionBatch db = make_diffusion_batch(seqs, 9, 1, 1e-3, 0.25, rng);
  ASSERT_EQ(db.allow.size(), size_t(2 * 64 * 64));
  int64_t above = 0, allowed = 0;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 64; ++i)
      for (int64_t j = 0; j < 64; ++j) {
        const uint8_t a = db.allow[size_t((b * 64 + i) * 64 + j)];
        if (j <= i) {
          EXPECT_EQ(a, 1);
        } else {
          ++above;
          allowed += a;
        }
      }
  EXPECT_NEAR(double(allowed) / double(above), 0.25, 0.03);
}

TEST(AdamW, OneStepMatchesHandComputedUpdate) {
  ModelConfig c = tiny_config();
  c.num_hidden_layers = 0;
  ModelParams p = params_zeros(c);
  ModelParams g = params_zeros(c);
  p.tensors[0].data[0] = 1.0f;  // embedding element (2-D: decayed)
  g.tensors[0].data[0] = 0.5f;
  p.tensors[1].data[0] = 2.0f;  // model.norm (1-D: not decayed)
  g.tensors[1].data[0] = -4.0f;
  AdamWOptions o;
  o.lr = 0.1;
  o.warmup_steps = 0;
  o.total_steps = 1;
  o.min_lr_ratio = 1.0;  // constant lr
  o.weight_decay = 0.5;
  o.clip = 0;
  AdamW opt(o, p);
  opt.update(p, g, 1, global_grad_norm(g));
  // Step 1: m_hat = g, v_hat = g^2, update = g/(|g| + eps) = sign(g).
  EXPECT_NEAR(p.tensors[0].data[0], 1.0 - 0.1 * (1.0 + 0.5 * 1.0), 1e-6);
  EXPECT_NEAR(p.tensors[1].data[0], 2.0 + 0.1, 1e-6);
  // Clipping scales the gradient to the global norm.
  ModelParams g2 = params_zeros(c);
  g2.tensors[0].data[0] = 3.0f;
  g2.tensors[1].data[0] = 4.0f;
  o.clip = 1.0;
  AdamW opt2(o, p);
  opt2.update(p, g2, 1, global_grad_norm(g2));
  EXPECT_NEAR(g2.tensors[0].data[0], 0.6f, 1e-6);
  EXPECT_NEAR(g2.tensors[1].data[0], 0.8f, 1e-6);
}

TEST(AdamW, WarmupThenCosineSchedule) {
  AdamWOptions o;
  o.lr = 1.0;
  o.min_lr_ratio = 0.1;
  o.warmup_steps = 10;
  o.total_steps = 110;
  EXPECT_DOUBLE_EQ(learning_rate(o, 1), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 10), 1.0);
  EXPECT_NEAR(learning_rate(o, 60), 0.55, 1e-12);  // half way down the cosine
  EXPECT_NEAR(learning_rate(o, 110), 0.1, 1e-12);
  EXPECT_NEAR(learning_rate(o, 500), 0.1, 1e-12);
}

TEST(TokenDataset, StreamIsCutIntoSequencesAndBadInputRejected) {
  std::vector<int32_t> stream(25);
  for (int i = 0; i < 25; ++i) stream[size_t(i)] = i;
  const InMemoryDataset d = InMemoryDataset::from_stream(stream, 8);
  EXPECT_EQ(d.size(), 3);
  TokenSequence s;
  d.get(2, s);
  EXPECT_EQ(s.tokens.front(), 16);
  EXPECT_THROW(InMemoryDataset::from_stream(stream, 30), Error);
  EXPECT_THROW(InMemoryDataset({{{1, 2, 3}, 0}, {{1, 2}, 0}}), Error);
}

}  // namespace
}  // namespace dc::train

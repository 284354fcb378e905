// The GRPO loop on a tiny random model with a reward computed from the tokens themselves (the share of
// completion tokens equal to one chosen token, so the oracle is exact and needs no sandbox): RL raises the
// reward; N steps straight equal N/2 + resume + N/2 byte for byte; bad options and folders fail clearly.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "../model/checkpoint_test_util.h"
#include "core/mapped_file.h"
#include "rl/grpo.h"
#include "train/init_params.h"

namespace dc::rl {
namespace {

namespace fs = std::filesystem;
constexpr int32_t kGood = 7;

std::vector<Scored> token_share(size_t, const std::vector<std::vector<int32_t>>& completions) {
  std::vector<Scored> out;
  for (const auto& c : completions) {
    double n = 0;
    for (int32_t t : c) n += t == kGood;
    out.push_back({n / double(c.size()), 0, 0});
  }
  return out;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::path(DC_BINARY_DIR) / (name + "-" + std::to_string(getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

GrpoOptions small_options(const std::string& out) {
  GrpoOptions o;
  o.out_dir = out;
  o.steps = 4;
  o.prompts_per_step = 2;
  o.group_size = 4;
  o.inner_iterations = 2;
  o.ref_sync = 3;
  o.seed = 11;
  o.adam.lr = 3e-3;
  o.adam.beta2 = 0.99;
  o.adam.clip = 1.0;
  o.rollout.max_new_tokens = 8;
  o.rollout.steps = 8;
  o.rollout.temperature = 1.2f;
  o.rollout.top_p = 0.95f;
  o.end_ids = {62};
  return o;
}

const std::vector<std::vector<int32_t>> kPrompts = {{1, 2, 3, 4}, {5, 6, 8, 9, 10}, {11, 12, 13}};

// Rollouts on the training forward (no cache) and on the inference model packed from the parameters at
// each step with the sparse cache (one block of the whole completion, parallel commits): both learn.
class GrpoLoopRollouts : public ::testing::TestWithParam<CacheMode> {};

TEST_P(GrpoLoopRollouts, RaiseTheReward) {
  TempDir dir("grpo-raise-" + std::string(cache_name(GetParam())));
  ModelParams p = train::init_params(testing::tiny_config(), 2, 0.3);
  GrpoOptions o = small_options(dir.path.string());
  o.steps = 40;
  o.group_size = 8;
  o.objective.beta = 0;
  o.adam.lr = 1e-2;
  if (GetParam() != CacheMode::None) {
    o.rollout.cache = GetParam();
    o.rollout.block_length = o.rollout.max_new_tokens;
    o.rollout.threshold = 0.5;
  }
  GrpoResult r = grpo_train(p, kPrompts, token_share, o);
  ASSERT_EQ(r.history.size(), 40u);
  double first = 0, last = 0;
  for (int i = 0; i < 8; ++i) {
    first += r.history[size_t(i)].reward_mean / 8;
    last += r.history[size_t(32 + i)].reward_mean / 8;
  }
  EXPECT_GT(last, first + 0.1) << "first " << first << " last " << last;
  std::printf("mean reward, first 8 steps %.3f, last 8 steps %.3f\n", first, last);
  EXPECT_TRUE(fs::exists(dir.path / "reward.svg"));
  EXPECT_TRUE(fs::exists(dir.path / "checkpoint-40" / "reference.safetensors"));
}

INSTANTIATE_TEST_SUITE_P(Cache, GrpoLoopRollouts, ::testing::Values(CacheMode::None, CacheMode::Sparse),
                         [](const auto& info) { return std::string(cache_name(info.param)); });

TEST(GrpoLoop, ResumeIsBitExact) {
  TempDir a("grpo-straight"), b("grpo-resumed");
  GrpoOptions o = small_options(a.path.string());
  o.objective.beta = 0.04;  // the reference model is part of the state
  ModelParams p1 = train::init_params(testing::tiny_config(), 4, 0.3);
  GrpoResult straight = grpo_train(p1, kPrompts, token_share, o);

  o.out_dir = b.path.string();
  o.stop_after = 2;
  ModelParams p2 = train::init_params(testing::tiny_config(), 4, 0.3);
  grpo_train(p2, kPrompts, token_share, o);
  o.stop_after = 0;
  o.resume = true;
  ModelParams p3 = train::init_params(testing::tiny_config(), 99, 0.3);  // replaced by the checkpoint
  GrpoResult resumed = grpo_train(p3, kPrompts, token_share, o);
  EXPECT_EQ(resumed.steps_run, 2);
  for (const char* f : {"model.safetensors", "reference.safetensors", "optimizer.safetensors"})
    EXPECT_EQ(read_file((a.path / "checkpoint-4" / f).string()),
              read_file((b.path / "checkpoint-4" / f).string()))
        << f;
  ASSERT_EQ(resumed.history.size(), 2u);
  EXPECT_EQ(resumed.history[1].reward_mean, straight.history[3].reward_mean);
  EXPECT_EQ(resumed.history[1].loss, straight.history[3].loss);
}

TEST(GrpoLoop, BadInputFailsWithOneLineAndKeepsTheRun) {
  TempDir dir("grpo-bad");
  ModelParams p = train::init_params(testing::tiny_config(), 1, 0.3);
  GrpoOptions o = small_options(dir.path.string());
  o.steps = 1;
  grpo_train(p, kPrompts, token_share, o);
  const std::string before = read_file((dir.path / "checkpoint-1" / "model.safetensors").string());
  // A fresh run into a folder with checkpoints.
  EXPECT_THROW(grpo_train(p, kPrompts, token_share, o), Error);
  // A resume with other settings.
  o.resume = true;
  o.group_size = 5;
  try {
    grpo_train(p, kPrompts, token_share, o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("group_size"), std::string::npos) << e.what();
  }
  // A resume whose rollouts would be drawn otherwise (another cache, threshold or temperature).
  o.group_size = small_options(dir.path.string()).group_size;
  o.rollout.threshold = 0.5f;
  try {
    grpo_train(p, kPrompts, token_share, o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rollout"), std::string::npos) << e.what();
  }
  // A state written before the rollout settings were recorded resumes without that check.
  const std::string state_path = (dir.path / "checkpoint-1" / "grpo_state.json").string();
  nlohmann::json state = nlohmann::json::parse(read_file(state_path));
  state.erase("rollout");
  write_file_atomic(state_path, state.dump());
  EXPECT_NO_THROW(grpo_train(p, kPrompts, token_share, o));
  EXPECT_EQ(before, read_file((dir.path / "checkpoint-1" / "model.safetensors").string()));
  // No mask token; bad options; a reward of the wrong size.
  GrpoOptions fresh = small_options((dir.path / "other").string());
  ModelParams no_mask = p;
  no_mask.config.mask_token_id = -1;
  EXPECT_THROW(grpo_train(no_mask, kPrompts, token_share, fresh), Error);
  GrpoOptions bad = fresh;
  bad.group_size = 1;
  EXPECT_THROW(grpo_train(p, kPrompts, token_share, bad), Error);
  bad = fresh;
  bad.adam.lr = std::nan("");
  EXPECT_THROW(grpo_train(p, kPrompts, token_share, bad), Error);
  bad = fresh;  // early stop would fill the completions with end tokens the policy did not sample
  bad.rollout.early_stop = true;
  EXPECT_THROW(grpo_train(p, kPrompts, token_share, bad), Error);
  bad = fresh;  // a cache needs blocks
  bad.rollout.cache = CacheMode::Dual;
  EXPECT_THROW(grpo_train(p, kPrompts, token_share, bad), Error);
  EXPECT_THROW(grpo_train(p, {{}}, token_share, fresh), Error);
  auto short_reward = [](size_t, const std::vector<std::vector<int32_t>>&) { return std::vector<Scored>(1); };
  EXPECT_THROW(grpo_train(p, kPrompts, short_reward, fresh), Error);
}

}  // namespace
}  // namespace dc::rl

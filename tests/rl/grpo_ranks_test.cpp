// The GRPO loop over two ranks (rl/grpo.h, data-parallel): with a reward computed from the tokens (so the
// groups have real advantages, one prompt's are flat and skipped, and the gradients are not 0), three prompts
// per step shared unevenly (rank 0 rolls out prompts 0 and 2, rank 1 prompt 1) train as one process does: the
// rollouts and every reward statistic exactly, the weights up to the order of float sums in the gradient;
// two runs on two ranks give the same bytes. The two-rank runs are this test binary itself under
// `mpirun -np 2` (skipped, with the reason, where mpirun or MPI support is missing).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../common/mpi_launch.h"
#include "../common/weight_difference.h"
#include "../model/checkpoint_test_util.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "dist/comm.h"
#include "rl/grpo.h"
#include "train/init_params.h"

namespace dc::rl {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Under mpirun (GrpoRanks.TwoRanksTrainAsOneProcess), every rank joins the job before the tests.
class JobEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (dist::started_by_launcher()) dist::init(nullptr, nullptr);
  }
  void TearDown() override { dist::finalize(); }
};
const auto* const kJobEnvironment = ::testing::AddGlobalTestEnvironment(new JobEnvironment);

// Where the two-rank run writes (set by the launching test).
constexpr const char* kOutVar = "DC_GRPO_RANKS_OUT";
// Two ranks against one process: the gradients are the same sums in another order, so the statistics of
// the objective and the weights agree up to float rounding. AdamW magnifies rounding on a weight whose
// gradient is near 0 (its update is about +-lr whatever the gradient's size), so the weights are compared
// as a whole (relative L2 norm; measured 1.8e-8 after 3 steps of 2 updates, while the largest difference
// of one weight was 3.8e-5 of its tensor's scale). The statistics are compared relative to their size or
// 1e-3, whichever is larger (the loss is a sum with cancellations; measured: 4.4e-9 on a loss of 3.6e-4).
constexpr double kWeightTolerance = 1e-6, kStatTolerance = 1e-4;

// The share of low token ids (rarely equal within a group); the last prompt's group is always flat.
std::vector<Scored> low_share(size_t prompt, const std::vector<std::vector<int32_t>>& completions) {
  std::vector<Scored> out;
  for (const auto& c : completions) {
    double n = 0;
    for (int32_t t : c) n += t < 32;
    const double r = prompt == 3 ? 0 : n / double(c.size());
    out.push_back({r, r > 0.5 ? 1.0 : 0.0, 0});
  }
  return out;
}

const std::vector<std::vector<int32_t>> kPrompts = {{1, 2, 3, 4}, {5, 6, 8, 9, 10}, {11, 12, 13}, {14, 15}};

// Runs the loop from the same initial weights, on one thread (the thread count is part of the bytes).
void train_into(const std::string& out) {
  set_num_threads(1);
  GrpoOptions o;
  o.out_dir = out;
  o.steps = 3;
  o.prompts_per_step = 3;
  o.group_size = 4;
  o.inner_iterations = 2;
  o.ref_sync = 2;
  o.seed = 5;
  o.skip_flat_groups = true;
  o.objective.beta = 0.04;
  o.adam.lr = 3e-3;
  o.adam.clip = 1.0;
  o.rollout.max_new_tokens = 8;
  o.rollout.steps = 8;
  o.rollout.temperature = 1.2f;
  o.end_ids = {62};
  ModelParams p = train::init_params(testing::tiny_config(), 3, 0.3);
  grpo_train(p, kPrompts, low_share, o);
}

TEST(GrpoRanksInJob, Train) {
  if (!dist::started_by_launcher()) GTEST_SKIP() << "runs under mpirun (GrpoRanks.TwoRanksTrainAsOneProcess)";
  const char* out = std::getenv(kOutVar);
  ASSERT_NE(out, nullptr) << kOutVar << " is not set";
  train_into(out);
}

std::vector<json> metrics(const fs::path& out) {
  std::vector<json> lines;
  std::istringstream in(read_file((out / "metrics.jsonl").string()));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

TEST(GrpoRanks, TwoRanksTrainAsOneProcess) {
  if (dist::started_by_launcher()) GTEST_SKIP() << "the launcher of the two-rank runs";
  if (const std::string why = test::mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const fs::path base = fs::path(DC_BINARY_DIR) / ("grpo-ranks-" + std::to_string(getpid()));
  fs::remove_all(base);
  const fs::path one = base / "one", two_a = base / "two_a", two_b = base / "two_b";
  const int threads = global_pool().size();
  train_into(one.string());
  set_num_threads(threads);

  const std::string self = test::self_executable();
  ASSERT_FALSE(self.empty());
  for (const fs::path& out : {two_a, two_b}) {
    const std::string cmd = test::mpirun_prefix(2, std::string(kOutVar) + "=" + out.string(), false, 120) +
                            self + " --gtest_filter='GrpoRanksInJob.*' >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "a rank failed; run by hand: " << cmd;
  }

  const std::vector<json> m1 = metrics(one), m2 = metrics(two_a);
  ASSERT_EQ(m1.size(), 3u);
  ASSERT_EQ(m2.size(), 3u);
  double reward = 0, flat = 0;
  for (size_t i = 0; i < m1.size(); ++i) {
    for (const char* k : {"reward_mean", "reward_std", "pass_rate", "format_rate", "completion_length",
                          "flat_groups", "arness_global1"})
      EXPECT_EQ(m1[i].at(k), m2[i].at(k)) << "step " << i + 1 << " " << k;
    reward += m1[i].at("reward_mean").get<double>();
    flat += m1[i].at("flat_groups").get<double>();
  }
  // The set-up is meant to train on real advantages and to skip some flat groups.
  EXPECT_GT(reward, 0);
  EXPECT_GT(flat, 0);
  EXPECT_LT(flat, 3);
  // The objective's statistics and the summed gradient's norm: the same up to float rounding (a gradient
  // scaled wrongly, e.g. by the rank's own number of groups, would show in grad_norm).
  EXPECT_EQ(m1[0].at("logp_spread"), m2[0].at("logp_spread"));  // before any update of the step
  for (size_t i = 0; i < m1.size(); ++i)
    for (const char* k : {"loss", "kl", "grad_norm"}) {
      const double a = m1[i].at(k).get<double>(), b = m2[i].at(k).get<double>();
      EXPECT_LE(std::fabs(a - b), kStatTolerance * std::max(std::fabs(a), 1e-3))
          << "step " << i + 1 << " " << k;
    }
  EXPECT_GT(m1[2].at("grad_norm").get<double>(), 0);
  const testing::WeightDifference d =
      testing::weight_difference((one / "checkpoint-3").string(), (two_a / "checkpoint-3").string());
  std::printf(
      "[ measured ] two ranks vs one process, weights after 3 steps: ||a - b|| / ||a|| = %.3g, "
      "max |a - b| / max |a| per tensor = %.3g\n",
      d.l2_rel, d.max_rel);
  EXPECT_LE(d.l2_rel, kWeightTolerance);
  for (const char* f : {"model.safetensors", "reference.safetensors", "optimizer.safetensors"})
    EXPECT_TRUE(read_file((two_a / "checkpoint-3" / f).string()) ==
                read_file((two_b / "checkpoint-3" / f).string()))
        << f;
  if (!HasFailure()) fs::remove_all(base);
}

}  // namespace
}  // namespace dc::rl

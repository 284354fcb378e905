// `mpirun -np 2 diffucoder grpo` (rl/grpo.h): the ranks share each step's prompts. Two ranks train as one
// process does (the rollouts and therefore every reward field exactly, the weights up to the order of float
// sums in the gradient), two runs with two ranks give the same bytes, a checkpoint resumes with another
// rank count, and set-up failures (fewer prompts per step than ranks, an incompatible resume) are one line.
// Skipped where mpirun is not installed or the binary was built without MPI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../common/mpi_launch.h"
#include "../common/weight_difference.h"
#include "cli_runner.h"
#include "core/mapped_file.h"
#include "dist/comm.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kModel = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
const std::string kTasks = std::string(DC_TESTDATA_DIR) + "/rl/heldout5.jsonl";
const std::string kMpirun = mpirun_prefix(2);

// Two ranks against one process after two steps of two updates each (lr 1e-3): the gradients are the
// same sums taken in another order, so the weights differ by float rounding, which AdamW can magnify on a
// weight whose gradient is near 0 (its update is then about +-lr whatever the gradient's size); they are
// compared as a whole, ||a - b|| / ||a|| (measured: 1.3e-8). The tiny test model earns no reward on
// these tasks (every group is flat), so the gradients here are the KL term's; tests/rl/grpo_ranks_test.cpp
// compares two ranks with one process on real advantages.
constexpr double kWeightTolerance = 1e-6;

std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(DC_BINARY_DIR) + "/mpi_grpo_cli_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(fs::path(d).parent_path());
  return d;
}

// Two prompts per step (one per rank), G = 2, two steps, mu = 2.
std::string run_args(const std::string& out, const std::string& extra = "", int prompts = 2, int group = 2) {
  return "grpo --model " + kModel + " --tasks " + kTasks + " --out " + out + " --steps 2 --group-size " +
         std::to_string(group) + " --prompts-per-step " + std::to_string(prompts) +
         " --max-new-tokens 8 --rollout-steps 8 --max-prompt-tokens 4000 --lr 1e-3 --threads 1 "
         "--allow-missing-layers " +
         extra;
}

#define SKIP_WITHOUT_MPI()                                                                   \
  do {                                                                                       \
    if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

std::vector<json> metrics(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(read_file(out + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// The fields that come from the rollouts alone (equal bit for bit when the rollouts are).
const char* const kRolloutFields[] = {"reward_mean",       "reward_std",  "pass_rate",     "format_rate",
                                      "completion_length", "flat_groups", "arness_global1"};

void expect_same_rollouts(const std::vector<json>& a, const std::vector<json>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (const char* k : kRolloutFields) EXPECT_EQ(a[i].at(k), b[i].at(k)) << "step " << i + 1 << " " << k;
}

TEST(MpiGrpoCli, TwoRanksTrainAsOneProcess) {
  SKIP_WITHOUT_MPI();
  const std::string one = fresh_dir("one"), two = fresh_dir("two");
  CliRun r = run_cli(run_args(one));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = run_cli(run_args(two), "", kMpirun);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  // Rank 0 alone prints: one progress line per step.
  EXPECT_NE(r.out.find("1 threads x 2 ranks"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out;  // header, 2 steps, done
  expect_same_rollouts(metrics(one), metrics(two));
  EXPECT_EQ(metrics(one)[0].at("logp_spread"), metrics(two)[0].at("logp_spread"));  // before any update
  const testing::WeightDifference d =
      testing::weight_difference(one + "/checkpoint-2", two + "/checkpoint-2");
  std::printf(
      "[ measured ] two ranks vs one process, weights after 2 steps: ||a - b|| / ||a|| = %.3g, "
      "max |a - b| / max |a| per tensor = %.3g\n",
      d.l2_rel, d.max_rel);
  EXPECT_LE(d.l2_rel, kWeightTolerance);
}

TEST(MpiGrpoCli, TwoRunsOfTwoRanksGiveTheSameBytes) {
  SKIP_WITHOUT_MPI();
  const std::string a = fresh_dir("same_a"), b = fresh_dir("same_b");
  for (const std::string& out : {a, b}) {
    CliRun r = run_cli(run_args(out), "", kMpirun);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  for (const char* f :
       {"model.safetensors", "reference.safetensors", "optimizer.safetensors", "grpo_state.json"})
    EXPECT_TRUE(read_file(a + "/checkpoint-2/" + f) == read_file(b + "/checkpoint-2/" + f)) << f;
  // Every metric but the clocks.
  std::vector<json> ma = metrics(a), mb = metrics(b);
  ASSERT_EQ(ma.size(), 2u);
  ASSERT_EQ(mb.size(), 2u);
  for (size_t i = 0; i < ma.size(); ++i) {
    for (json* j : {&ma[i], &mb[i]}) {
      j->erase("seconds");
      j->erase("rollout_tokens_per_s");
    }
    EXPECT_EQ(ma[i], mb[i]);
  }
}

TEST(MpiGrpoCli, ResumesWithAnotherRankCount) {
  SKIP_WITHOUT_MPI();
  // Step 1 on two ranks, step 2 in one process; against a straight run in one process.
  const std::string split = fresh_dir("split"), straight = fresh_dir("straight");
  CliRun r = run_cli(run_args(split, "--stop-after 1"), "", kMpirun);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = run_cli(run_args(split, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("resumed from"), std::string::npos) << r.out;
  ASSERT_EQ(run_cli(run_args(straight)).exit_code, 0);
  expect_same_rollouts(metrics(straight), metrics(split));
  EXPECT_LE(testing::weight_difference(straight + "/checkpoint-2", split + "/checkpoint-2").l2_rel,
            kWeightTolerance);
}

TEST(MpiGrpoCli, SetUpFailuresAreOneLineAndWriteNothing) {
  SKIP_WITHOUT_MPI();
  // More ranks than prompts per step: nothing is written.
  const std::string out = fresh_dir("few");
  CliRun r = run_cli(run_args(out, "", 1), "", mpirun_prefix(2, "", true));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--prompts-per-step 1 is fewer than the 2 ranks"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  // A resume whose saved state differs (another group size): one line, the run left as it was.
  const std::string run = fresh_dir("resume");
  ASSERT_EQ(run_cli(run_args(run, "--stop-after 1")).exit_code, 0);
  const std::string weights = read_file(run + "/checkpoint-1/model.safetensors");
  const std::string log = read_file(run + "/metrics.jsonl");
  r = run_cli(run_args(run, "--resume", 2, 3), "", mpirun_prefix(2, "", true));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("group_size"), std::string::npos) << r.err;
  EXPECT_EQ(weights, read_file(run + "/checkpoint-1/model.safetensors"));
  EXPECT_EQ(log, read_file(run + "/metrics.jsonl"));
}

}  // namespace
}  // namespace dc::test

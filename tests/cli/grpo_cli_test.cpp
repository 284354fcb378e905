// `diffucoder grpo` as a user runs it: a short run on the small test model and synthetic tasks writes its
// checkpoint and metrics and resumes; every flag is documented; bad input fails with one line and leaves
// an existing run untouched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(DC_TESTDATA_DIR) + "/tiny-dream";
const std::string kTasks = std::string(DC_TESTDATA_DIR) + "/rl/heldout5.jsonl";

std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(DC_BINARY_DIR) + "/grpo_cli_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(fs::path(d).parent_path());
  return d;
}

std::string small_run(const std::string& out, const std::string& extra = "", int steps = 2, int group = 2) {
  return "grpo --model " + kModel + " --tasks " + kTasks + " --out " + out + " --steps " +
         std::to_string(steps) + " --group-size " + std::to_string(group) +
         " --prompts-per-step 1 --max-new-tokens 8 --rollout-steps 8 "
         "--max-prompt-tokens 4000 --lr 1e-3 --threads 2 --allow-missing-layers " +
         extra;
}

TEST(GrpoCli, ShortRunWritesCheckpointAndMetricsAndResumes) {
  const std::string out = fresh_dir("run");
  CliRun r = run_cli(small_run(out, "--stop-after 1"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("step 1/2 reward"), std::string::npos) << r.out;
  r = run_cli(small_run(out, "--resume"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("resumed from"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("step 2/2 reward"), std::string::npos) << r.out;
  for (const char* f : {"config.json", "model.safetensors", "reference.safetensors", "optimizer.safetensors",
                        "grpo_state.json", "merges.txt"})
    EXPECT_TRUE(fs::exists(out + "/checkpoint-2/" + f)) << f;
  std::istringstream metrics(read_file(out + "/metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(metrics, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("step").get<int>(), lines + 1);
    for (const char* k : {"reward_mean", "reward_std", "pass_rate", "format_rate", "kl", "clip_fraction",
                          "completion_length", "flat_groups", "arness_global1", "logp_spread", "seconds"})
      EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(lines, 2);
  // Complete already: a resume says so and changes nothing.
  const std::string weights = read_file(out + "/checkpoint-2/model.safetensors");
  r = run_cli(small_run(out, "--resume"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("already complete"), std::string::npos) << r.out;
  EXPECT_EQ(weights, read_file(out + "/checkpoint-2/model.safetensors"));
}

TEST(GrpoCli, HelpDocumentsEveryFlag) {
  CliRun r = run_cli("grpo --help");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* flag : {"--estimator", "--mask-pairs", "--group-size", "--inner-iterations", "--beta",
                           "--clip-eps", "--ref-sync", "--advantage", "--scale-std", "--skip-flat-groups",
                           "--temperature", "--threshold", "--code-weight", "--format-weight", "--resume"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(GrpoCli, BadInputIsOneLineAndKeepsTheRun) {
  const std::string out = fresh_dir("bad");
  ASSERT_EQ(run_cli(small_run(out, "", 1)).exit_code, 0);
  const std::string weights = read_file(out + "/checkpoint-1/model.safetensors");
  const std::string bad_tasks = std::string(DC_BINARY_DIR) + "/grpo_cli_tmp/bad.jsonl";
  {
    std::ofstream f(bad_tasks);
    f << "{\"question\": \"q\", \"tests\": [\"assert f(1) == 2\"]}\n{not json\n";
  }
  struct Case {
    std::string args, needle;
  };
  const Case cases[] = {
      {small_run(out, "", 1), "already holds checkpoints"},
      {small_run(out, "--resume", 1, 3), "group_size"},
      {small_run(fresh_dir("b1"), "--estimator copuled"), "unknown estimator"},
      {small_run(fresh_dir("b2"), "", 2, 1), "--group-size"},
      {small_run(fresh_dir("b5"), "--threshold 1.5"), "threshold"},
      {"grpo --model " + kModel + " --tasks " + bad_tasks + " --out " + fresh_dir("b3"), "bad.jsonl:2"},
      {"grpo --model " + kModel + " --tasks /nonexistent.jsonl --out " + fresh_dir("b4"), "nonexistent"},
  };
  for (const Case& c : cases) {
    CliRun r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(weights, read_file(out + "/checkpoint-1/model.safetensors"));
}

}  // namespace
}  // namespace dc::test

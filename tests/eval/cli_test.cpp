// The `diffucoder eval` subcommand as a user runs it: canonical HumanEval+ samples print 1.0 / 1.0 with
// --json; --model drives generation (the random-weight test model: its programs are noise) and resumes;
// bad input gives one line and a non-zero exit.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "eval_fixture.h"

namespace dc::eval {
namespace {

std::string binary() {
  return std::string(DC_BINARY_DIR) + "/bin/diffucoder";
}

// Runs a command line, returning (exit code, stdout).
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

TEST(EvalCli, CanonicalHumanEvalPlusScoresOne) {
  ASSERT_TRUE(std::filesystem::exists(binary())) << "build the diffucoder target first";
  Dataset d = load_benchmark("humaneval+", testing::data_dir());
  std::string dir = testing::scratch("cli");
  {
    std::ofstream f(dir + "/samples.jsonl");
    for (const auto& t : d.tasks) {
      f << nlohmann::json{{"task_id", t.task_id}, {"solution", t.prompt + t.canonical_solution}}.dump()
        << "\n";
    }
  }
  auto [rc, out] =
      run(binary() + " eval --benchmark humaneval+ --samples " + dir + "/samples.jsonl --cache-dir " +
          testing::cache_dir() + " --data-dir " + testing::data_dir() + " --json --no-progress");
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["benchmark"], "humaneval+");
  EXPECT_EQ(j["tasks"], 164);
  EXPECT_EQ(j["pass_at_1"]["base"], 1.0);
  EXPECT_EQ(j["pass_at_1"]["plus"], 1.0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/samples.humaneval+.results.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/samples.humaneval+.summary.md"));
}

TEST(EvalCli, ModelGenerationRunsAndResumes) {
  ASSERT_TRUE(std::filesystem::exists(binary()));
  std::string dir = testing::scratch("cli-model");
  auto command = [&](const std::string& temperature) {
    return binary() + " eval --dataset " + std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl --model " +
           std::string(DC_TESTDATA_DIR) + "/tiny-dream --out-dir " + dir +
           " --max-new-tokens 8 --n 2 --temperature " + temperature + " --json --no-progress --cache-dir " +
           dir + "/cache";
  };
  const std::string cmd = command("0.5");
  auto [rc, out] = run(cmd);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["samples"], 6);
  EXPECT_EQ(j["n"], 2);
  EXPECT_TRUE(j.contains("pass_at_k"));
  auto [rc2, out2] = run(cmd);
  ASSERT_EQ(rc2, 0);
  EXPECT_EQ(nlohmann::json::parse(out2)["resumed"], 6);
  // Samples of other settings are never mixed in: a changed temperature is refused, in one line.
  const std::string err = dir + "/err.txt";
  auto [rc3, out3] = run("(" + command("0.7") + " 2>" + err + ")");
  EXPECT_EQ(rc3, 1);
  std::ifstream in(err);
  std::string line, extra;
  std::getline(in, line);
  EXPECT_NE(line.find("holds samples generated with another temperature"), std::string::npos) << line;
  EXPECT_FALSE(std::getline(in, extra)) << "more than one line: " << extra;
}

TEST(EvalCli, BadInputGivesOneLine) {
  ASSERT_TRUE(std::filesystem::exists(binary()));
  std::string dir = testing::scratch("cli-bad");
  std::ofstream(dir + "/s.jsonl") << "{\"task_id\": \"HumanEval/9999\", \"solution\": \"x\"}\n";
  for (const std::string& args :
       {"--benchmark nope --samples " + dir + "/s.jsonl",
        "--benchmark humaneval+ --samples " + dir + "/s.jsonl --data-dir " + testing::data_dir(),
        "--benchmark humaneval+ --samples " + dir + "/missing.jsonl --data-dir " + testing::data_dir(),
        std::string("--benchmark humaneval+")}) {
    std::string err_file = dir + "/err.txt";
    int rc = std::system((binary() + " eval " + args + " > /dev/null 2> " + err_file).c_str());
    EXPECT_NE(rc, 0) << args;
    std::ifstream in(err_file);
    std::string first, second;
    std::getline(in, first);
    EXPECT_NE(first.find("error"), std::string::npos) << args << ": " << first;
    EXPECT_FALSE(std::getline(in, second)) << args << ": " << second;
  }
}

}  // namespace
}  // namespace dc::eval

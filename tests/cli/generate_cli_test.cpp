// `diffucoder generate` end to end on the tiny test model: output formats, seeds, batch files and the
// one-line errors a user gets for bad input.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace dc::test {
namespace {

const std::string kModel = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = std::string(DC_BINARY_DIR) + "/" + name + "_" + std::to_string(::getpid());
  std::ofstream(path) << content;
  return path;
}

TEST(GenerateCli, JsonLinesForABatchFile) {
  const std::string batch = temp_file(
      "batch.jsonl", "{\"prompt\": \"def add(a, b):\"}\n\n{\"prompt\": \"x = [\", \"chat\": true}\n");
  CliRun r = run_cli("generate --model " + kModel + " --batch-file " + batch +
                     " --max-new-tokens 16 --steps 8 --json --batch-size 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j["tokens"].size(), 16u);
    EXPECT_EQ(j["stats"]["steps"].get<int>(), 8);
    EXPECT_FALSE(j["prompt_tokens"].empty());
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos);
  EXPECT_NE(r.err.find(" answer tokens/s"), std::string::npos) << r.err;
}

TEST(GenerateCli, SameSeedSameOutputDifferentSeedDiffers) {
  const std::string args =
      "generate --model " + kModel +
      " --prompt 'def f(x):' --max-new-tokens 24 --temperature 1.0 --top-p 1 --json --seed ";
  CliRun a = run_cli(args + "7"), b = run_cli(args + "7"), c = run_cli(args + "8");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto toks = [](const CliRun& r) { return nlohmann::json::parse(r.out)["tokens"]; };
  EXPECT_EQ(toks(a), toks(b));
  EXPECT_NE(toks(a), toks(c));  // 24 draws at temperature 1 from a 1024-token softmax: a tie is ~impossible
}

TEST(GenerateCli, PromptFromStdinAndVisualSnapshots) {
  CliRun r =
      run_cli("generate --model " + kModel + " --max-new-tokens 8 --visual --temperature 0", "def g():");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("step 8/8"), std::string::npos);
  EXPECT_NE(r.out.find("step 2/8"), std::string::npos);
  EXPECT_NE(r.out.find("def g():"), std::string::npos);
}

TEST(GenerateCli, ARunFolderStandsForItsLatestCheckpoint) {
  namespace fs = std::filesystem;
  const fs::path run = fs::path(DC_BINARY_DIR) / ("run_" + std::to_string(::getpid()));
  fs::remove_all(run);
  fs::create_directories(run);
  fs::copy(kModel, run / "checkpoint-7");
  std::ofstream(run / "latest") << "checkpoint-7\n";
  const std::string args = " --prompt 'def h():' --max-new-tokens 8 --temperature 0 --json";
  CliRun from_run = run_cli("generate --model " + run.string() + args);
  CliRun direct = run_cli("generate --model " + kModel + args);
  fs::remove_all(run);
  ASSERT_EQ(from_run.exit_code, 0) << from_run.err;
  EXPECT_EQ(nlohmann::json::parse(from_run.out)["tokens"], nlohmann::json::parse(direct.out)["tokens"]);
}

TEST(GenerateCli, BadInputGivesOneLine) {
  struct Case {
    std::string args, needle;
  };
  const std::string bad_batch = temp_file("bad.jsonl", "{\"prompt\": \"ok\"}\n[1, 2]\n");
  const std::string no_prompt = temp_file("noprompt.jsonl", "{\"text\": \"ok\"}\n");
  const std::vector<Case> cases = {
      {"generate --model /nonexistent/dir --prompt hi", "/nonexistent/dir"},
      {"generate --model " + kModel + " --prompt hi --alg fastest", "fastest"},
      {"generate --model " + kModel + " --prompt hi --steps -3 --max-new-tokens 4", "steps"},
      {"generate --model " + kModel + " --batch-file " + bad_batch, ":2: not a JSON object"},
      {"generate --model " + kModel + " --batch-file " + no_prompt, ":1: missing string field \"prompt\""},
      {"generate --model " + kModel + " --prompt hi --temperature -1", "temperature"},
      {"generate --model " + kModel + " --prompt hi --threshold 1.5", "threshold must lie in (0, 1]"},
      {"generate --model " + kModel + " --prompt hi --threshold 0.9 --factor 1", "give one of them"},
      {"generate --model " + kModel + " --prompt hi --threshold 0.9 --alg origin", "origin"},
      {"generate --model " + kModel + " --prompt hi --cache dual", "the dual cache works block by block"},
      {"generate --model " + kModel + " --prompt hi --cache full --block-length 4", "unknown cache 'full'"},
      {"generate --model " + kModel + " --prompt hi --cache prefix --block-length 5 --max-new-tokens 16",
       "block_length 5 does not divide max_new_tokens 16"},
  };
  for (const Case& c : cases) {
    CliRun r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(count_lines(r.err), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

}  // namespace
}  // namespace dc::test

// `generate` refuses a generation that cannot fit before it allocates anything: more positions than the
// model has, or more working memory than the process may use (here under `ulimit -v`). Before the check,
// 100k new tokens ran for minutes into a 4 GB cap and died with no output.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

TEST(GenerationBudgetCli, MoreTokensThanPositionsIsOneLineAtOnce) {
  const auto t0 = std::chrono::steady_clock::now();
  const CliRun r = run_cli("generate --max-new-tokens 100000 --prompt 'def f():'");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("+ 100000 new tokens need"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("more than the model's max_position_embeddings 1024"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_LT(seconds, 30.0);
}

TEST(GenerationBudgetCli, MoreMemoryThanTheAddressSpaceCapIsOneLine) {
  // 512 prompts decoded together with 2,000 slots each on the test model (vocabulary 1,024): the logits
  // alone are 512 x 2,000 x 1,024 x 4 B = 3.9 GiB (8.4 GiB in all), over a 2 GB address-space cap.
  const std::string dir = std::string(DC_BINARY_DIR) + "/generation_budget_tmp";
  std::string prompts;
  for (int i = 0; i < 512; ++i) prompts += "{\"prompt\": \"def f():\"}\n";
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/prompts.jsonl", prompts);
  const std::string cmd =
      "ulimit -v 2000000 && exec " + std::string(DC_BINARY_DIR) + "/bin/diffucoder generate --model " +
      shell_quote(std::string(DC_TESTDATA_DIR) + "/tiny-dream") + " --batch-file " +
      shell_quote(dir + "/prompts.jsonl") + " --batch-size 512 --max-new-tokens 2000 --threads 1 >" + dir +
      "/out 2>" + dir + "/err";
  const int status = std::system(("bash -c " + shell_quote(cmd)).c_str());
  const std::string err = read_file(dir + "/err");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << err;
  EXPECT_EQ(count_lines(err), 1) << err;
  EXPECT_EQ(err.rfind("diffucoder: error: generation: 512 canvases of 2004 positions need about", 0), 0u)
      << err;
  EXPECT_NE(err.find("GiB of working memory, but only"), std::string::npos) << err;
  EXPECT_EQ(read_file(dir + "/out"), "");
}

}  // namespace
}  // namespace dc::test

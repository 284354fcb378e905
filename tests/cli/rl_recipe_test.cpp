// scripts/rl-small-scale.sh guards its work folder: every run of one WORK starts from the same RL start,
// so a folder whose start was made with other settings is refused before anything is written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;

TEST(RlRecipe, RefusesAWorkFolderHoldingAnotherStart) {
  const std::string work = std::string(DC_BINARY_DIR) + "/rl_recipe_tmp";
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string other = "format pass: 400 steps, 0 per template (0: whole split x 3)\n";
  write_file_atomic(work + "/start-recipe.txt", other);
  const CliRun r = run_command("WORK=" + shell_quote(work) + " DIFFUCODER=" + shell_quote(binary_path()) +
                               " FORMAT_PER_TEMPLATE=600 FORMAT_SFT_STEPS=1200 HELDOUT_LIMIT=4 " +
                               shell_quote(std::string(DC_SOURCE_DIR) + "/scripts/rl-small-scale.sh"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("holds a start made with 'format pass: 400 steps, 0 per template"), std::string::npos)
      << r.err;
  EXPECT_EQ(read_file(work + "/start-recipe.txt"), other);
  EXPECT_FALSE(fs::exists(work + "/start"));
  EXPECT_FALSE(fs::exists(work + "/format.jsonl"));
  fs::remove_all(work);
}

}  // namespace
}  // namespace dc::test

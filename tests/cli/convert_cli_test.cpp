// `diffucoder convert --to gguf` and running the converted file: usage errors are one line with exit 1, an
// existing output is never overwritten without --force, and `generate --model FILE.gguf` prints the same
// text as the safetensors folder with the same seed (f32: the same weights bit for bit).
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "cli_runner.h"

namespace dc::test {
namespace {

const std::string kModel = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

std::string out_dir() {
  const std::string d = std::string(DC_BINARY_DIR) + "/convert_cli_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(d);
  return d;
}

TEST(ConvertCli, GgufGeneratesTheSameTextAsTheFolder) {
  const std::string dir = out_dir();
  const std::string gguf = dir + "/tiny-f32.gguf";
  std::filesystem::remove(gguf);
  CliRun c = run_cli("convert --model " + kModel + " --to gguf --type f32 --out " + gguf);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("27 tensors"), std::string::npos) << c.out;
  const std::string args =
      " --prompt 'def add(a, b):' --max-new-tokens 24 --steps 24 --temperature 1.0 --top-p 1 --seed 11";
  CliRun folder = run_cli("generate --model " + kModel + args);
  CliRun file = run_cli("generate --model " + gguf + args);
  ASSERT_EQ(folder.exit_code, 0) << folder.err;
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(file.out, folder.out);
  EXPECT_FALSE(file.out.empty());

  CliRun again = run_cli("convert --model " + kModel + " --to gguf --out " + gguf);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "diffucoder: error: " + gguf + ": already exists (pass --force to overwrite it)\n");
  CliRun forced = run_cli("convert --model " + kModel + " --to gguf --type bf16 --force --out " + gguf);
  EXPECT_EQ(forced.exit_code, 0) << forced.err;

  CliRun inspect = run_cli("inspect --model " + gguf);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("general.architecture = \"dream\""), std::string::npos);
  EXPECT_NE(inspect.out.find("model.layers.1.mlp.down_proj.weight"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// quantize writes OUT/model.gguf, a model folder that generate loads; never overwrites without --force.
TEST(QuantizeCli, WritesAModelFolderThatGenerates) {
  const std::string dir = out_dir() + "/q8";
  CliRun q = run_cli("quantize --model " + kModel + " --type q8_0 --out " + dir);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("27 tensors"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("Q8_0 16"), std::string::npos) << q.out;  // 2 x 7 matrices, embedding, head
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.gguf"));
  CliRun g = run_cli("generate --model " + dir + " --prompt 'def add(a, b):' --max-new-tokens 16 --steps 16");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_FALSE(g.out.empty());
  CliRun again = run_cli("quantize --model " + kModel + " --type q4_0 --out " + dir);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err,
            "diffucoder: error: " + dir + "/model.gguf: already exists (pass --force to overwrite it)\n");
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

TEST(ConvertCli, UsageErrorsAreOneLine) {
  const std::string dir = out_dir();
  const struct {
    std::string args, err;
  } cases[] = {
      {"convert --model " + kModel + " --to ggml --out " + dir + "/x.gguf",
       "diffucoder: error: --to 'ggml': the only target format is gguf\n"},
      {"convert --model " + kModel + " --to gguf --type q4 --out " + dir + "/x.gguf",
       "diffucoder: error: --type 'q4': expected f32, f16, bf16, q8_0, q4_0 or q4_k\n"},
      {"quantize --model " + kModel + " --type bf16 --out " + dir + "/q",
       "diffucoder: error: --type 'bf16': expected q8_0, q4_0 or q4_k\n"},
      {"quantize --model " + kModel + " --out " + dir + "/q",
       "diffucoder: error: --type is required (see --help)\n"},
      {"convert --model " + kModel + " --to gguf", "diffucoder: error: --out is required (see --help)\n"},
      {"convert --model " + dir + "/none --to gguf --out " + dir + "/x.gguf",
       "diffucoder: error: " + dir +
           "/none: not a checkpoint folder (expected a directory with config.json and "
           "safetensors)\n"},
  };
  for (const auto& c : cases) {
    CliRun r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, c.err) << c.args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.gguf"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dc::test

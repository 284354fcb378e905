// The bundled model (models/diffucoder-tiny) as shipped: a Dream checkpoint in Hugging Face layout within
// the size budget, which `make run`'s question gets answered in the trained format, and which the eval
// harness scores on its held-out tasks (template parameters never seen in training).
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
using nlohmann::json;

const std::string kBundled = std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny";

TEST(BundledModel, IsADreamCheckpointWithinTheSizeBudget) {
  const json config = json::parse(read_file(kBundled + "/config.json"));
  EXPECT_EQ(config.at("model_type"), "Dream");
  uintmax_t bytes = 0;
  for (const auto& e : fs::directory_iterator(kBundled)) bytes += e.file_size();
  EXPECT_LE(bytes, 25u * 1000 * 1000) << "the bundled model must stay within 25 MB";
  for (const char* f : {"model.safetensors", "tokenizer.json", "tokenizer_config.json", "heldout.jsonl",
                        "prompt.txt", "README.md"})
    EXPECT_TRUE(fs::exists(kBundled + "/" + f)) << f;
  const CliRun r = run_cli("inspect --model " + shell_quote(kBundled));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(BundledModel, AnswersTheDemoQuestionInTheTrainedFormat) {
  const CliRun r =
      run_cli("generate --model " + shell_quote(kBundled) + " --chat --prompt-file " +
              shell_quote(kBundled + "/prompt.txt") + " --max-new-tokens 160 --temperature 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  const std::string text = out.at("text");
  // The question defines affine(x); the answer restates it inside a python block.
  EXPECT_EQ(text.rfind("Here is the code to solve this problem:\n```python\ndef affine(x: int) -> int:\n", 0),
            0u)
      << text;
  EXPECT_NE(text.find("```", 40), std::string::npos) << text;
}

}  // namespace
}  // namespace dc::test

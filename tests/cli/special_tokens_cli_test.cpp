// Special token ids are resolved once (model/special_tokens.h): a model folder whose config.json lacks
// mask_token_id still generates, with the tokenizer's mask token handed to the sampler, and produces
// exactly what the folder with the key produces; a model with no mask token anywhere gets one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A copy of the tiny test model without the given keys ("a/b": key b of object a) of its JSON files.
std::string edited_copy(const std::string& tag,
                        const std::vector<std::pair<std::string, std::string>>& drop) {
  const fs::path dir = fs::path(DC_BINARY_DIR) / ("special-tokens-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::copy(fs::path(DC_TESTDATA_DIR) / "tiny-dream", dir, fs::copy_options::recursive);
  for (const auto& [file, key] : drop) {
    json j = json::parse(read_file((dir / file).string()));
    const size_t slash = key.find('/');
    if (slash == std::string::npos) {
      j.erase(key);
    } else {
      j[key.substr(0, slash)].erase(key.substr(slash + 1));
    }
    std::ofstream((dir / file).string()) << j.dump(2);
  }
  return dir.string();
}

const char* kArgs = " --prompt 'def f(x):' --max-new-tokens 12 --steps 12 --temperature 0 --json";

TEST(SpecialTokens, ConfigWithoutMaskIdUsesTheTokenizersMask) {
  const std::string dir = edited_copy("nomaskid", {{"config.json", "mask_token_id"}});
  CliRun with_key = run_cli("generate --model " + std::string(DC_TESTDATA_DIR) + "/tiny-dream" + kArgs);
  CliRun without = run_cli("generate --model " + dir + kArgs);
  fs::remove_all(dir);
  ASSERT_EQ(with_key.exit_code, 0) << with_key.err;
  ASSERT_EQ(without.exit_code, 0) << without.err;
  EXPECT_EQ(json::parse(without.out)["tokens"], json::parse(with_key.out)["tokens"]);
}

TEST(SpecialTokens, NoMaskTokenAnywhereIsOneLine) {
  const std::string dir = edited_copy("nomask", {{"config.json", "mask_token_id"},
                                                 {"tokenizer_config.json", "mask_token"},
                                                 {"tokenizer_config.json", "added_tokens_decoder/1004"},
                                                 {"special_tokens_map.json", "mask_token"},
                                                 {"added_tokens.json", "<|mask|>"}});
  CliRun r = run_cli("generate --model " + dir + kArgs);
  fs::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("no mask token"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dc::test

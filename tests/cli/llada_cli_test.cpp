// LLaDA models through the commands a user runs: `generate` with LLaDA's defaults (low_confidence
// remasking in semi-AR blocks of 32, unless the flags say otherwise) and its chat template, and `train`,
// whose checkpoints keep LLaDA's layout and config. The model is a random LLaDA checkpoint sized for the
// tiny test tokenizer (1,024 rows; its <|mask|> stands in for <|mdm_mask|> through config.json).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/random_llada.h"
#include "cli_runner.h"
#include "core/mapped_file.h"
#include "model/config.h"
#include "model/random_checkpoint.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;

const std::string kTinyDream = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

std::string llada_model() {
  return dc::testing::random_llada_model("llada_cli_tmp");
}

nlohmann::json stats_of(const CliRun& r) {
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j.is_discarded() ? nlohmann::json::object() : j["stats"];
}

TEST(LladaCli, GenerateUsesLladaDefaultsUnlessTold) {
  const std::string m = shell_quote(llada_model());
  const CliRun a = run_cli("generate --model " + m + " --prompt 'def f(' --max-new-tokens 64 --json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(stats_of(a)["alg"], "low_confidence");
  EXPECT_EQ(stats_of(a)["block_length"], 32);
  const CliRun b = run_cli("generate --model " + m +
                           " --prompt 'def f(' --max-new-tokens 64 --alg entropy --block-length 0 --json");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(stats_of(b)["alg"], "entropy");
  EXPECT_EQ(stats_of(b)["block_length"], 0);
  // 32 does not divide 20: one block.
  const CliRun c = run_cli("generate --model " + m + " --prompt 'def f(' --max-new-tokens 20 --json");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(stats_of(c)["block_length"], 0);
  // A Dream model keeps the flags' defaults.
  const CliRun d = run_cli("generate --model " + shell_quote(kTinyDream) +
                           " --prompt 'def f(' --max-new-tokens 64 --json");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(stats_of(d)["alg"], "entropy");
  EXPECT_EQ(stats_of(d)["block_length"], 0);
}

TEST(LladaCli, ChatUsesLladasTemplateAndMaskToken) {
  const CliRun r = run_cli("generate --model " + shell_quote(llada_model()) +
                           " --chat --prompt 'Write add.' --max-new-tokens 32 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto prompt = j["prompt_tokens"].get<std::vector<int32_t>>();
  ASSERT_GE(prompt.size(), 8u);
  EXPECT_EQ(prompt.front(), 1006) << "<|startoftext|>";
  EXPECT_EQ(std::count(prompt.begin(), prompt.end(), 1009), 1) << "one <|eot_id|>: no system turn";
  EXPECT_EQ(std::count(prompt.begin(), prompt.end(), 1001), 0) << "no ChatML <|im_start|>";
  // Every generated slot was filled (the mask, <|mdm_mask|> = 1010, found by its spelling).
  for (int32_t t : j["tokens"].get<std::vector<int32_t>>()) EXPECT_NE(t, 1010);
}

TEST(LladaCli, SftFramesSamplesWithLladasTemplate) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/llada_cli_tmp/sft";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string lines;
  for (int i = 0; i < 8; ++i)
    lines += "{\"prompt\": \"add " + std::to_string(i) + "\", \"response\": \"def f(x): return x + " +
             std::to_string(i) + "\"}\n";
  write_file_atomic(dir + "/s.jsonl", lines);
  const CliRun r =
      run_cli("sft --model " + shell_quote(llada_model()) + " --data " + shell_quote(dir + "/s.jsonl") +
              " --steps 2 --seq-len 64 --batch 2 --threads 2 --out " + shell_quote(dir + "/run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("step 2/2 loss "), std::string::npos) << r.out;
  // `data --sft` with the LLaDA model folder as --tokenizer writes the same framing into shards.
  const CliRun d =
      run_cli("data --tokenizer " + shell_quote(llada_model()) + " --sft " + shell_quote(dir + "/s.jsonl") +
              " --seq-len 64 --val-fraction 0 --out " + shell_quote(dir + "/shards"));
  ASSERT_EQ(d.exit_code, 0) << d.err;
}

TEST(LladaCli, AnalyzeAgreesWithSavedGenerations) {
  // The decoding-order analysis of a LLaDA model (its defaults: low_confidence, blocks of 32) equals the
  // analysis of the same run saved by `generate --json`.
  const std::string dir = std::string(DC_BINARY_DIR) + "/llada_cli_tmp/analyze-" + std::to_string(::getpid());
  fs::create_directories(dir);
  const std::string common = " --model " + shell_quote(llada_model()) +
                             " --prompt 'def f(' --max-new-tokens 64 --temperature 0 --json";
  const CliRun g = run_cli("generate" + common);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  write_file_atomic(dir + "/gen.jsonl", g.out);
  const CliRun m = run_cli("analyze" + common);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const CliRun o = run_cli("analyze --json --order " + shell_quote(dir + "/gen.jsonl"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto a = nlohmann::json::parse(m.out.substr(0, m.out.find('\n')));
  const auto b = nlohmann::json::parse(o.out.substr(0, o.out.find('\n')));
  EXPECT_EQ(a["local_arness"], b["local_arness"]);
  EXPECT_EQ(a["global_arness"], b["global_arness"]);
  EXPECT_EQ(a["entropy_sink"].size(), 64u);
}

TEST(LladaCli, TrainKeepsTheLladaLayout) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/llada_cli_tmp/train";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "def g" + std::to_string(i) + "(x):\n    return x + " + std::to_string(i) + "\n";
  write_file_atomic(dir + "/data.txt", text);
  const CliRun r =
      run_cli("train --model " + shell_quote(llada_model()) + " --data " + shell_quote(dir + "/data.txt") +
              " --steps 2 --seq-len 32 --batch 2 --threads 2 --out " + shell_quote(dir + "/run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("step 2/2 loss "), std::string::npos) << r.out;
  const ModelConfig c = load_model_config(dir + "/run/checkpoint-2/config.json");
  EXPECT_EQ(c.arch, Arch::Llada);
  EXPECT_NE(read_file(dir + "/run/checkpoint-2/config.json").find("\"d_model\""), std::string::npos);
  // The trained checkpoint generates.
  const CliRun g =
      run_cli("generate --model " + shell_quote(dir + "/run") + " --prompt 'def g(' --max-new-tokens 32");
  EXPECT_EQ(g.exit_code, 0) << g.err;
}

}  // namespace
}  // namespace dc::test

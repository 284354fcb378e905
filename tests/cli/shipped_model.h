// What the tests of the shipped models (models/*) share: the checkpoint's layout, its demo answer, and its
// held-out pass@1 on the problems of some templates through the real eval harness (generation, sandbox,
// judge), so that each model still does what its card says.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {

// The start of the demo answer: prompt.txt asks for affine(x), which the answer restates in a python block.
inline constexpr const char* kDemoAnswerStart =
    "Here is the code to solve this problem:\n```python\ndef affine(x: int) -> int:\n";

// Checks that `model` is a Dream checkpoint holding `files` that `inspect` loads.
inline void expect_dream_checkpoint(const std::string& model, const std::vector<std::string>& files) {
  const nlohmann::json config = nlohmann::json::parse(read_file(model + "/config.json"));
  EXPECT_EQ(config.at("model_type"), "Dream");
  for (const std::string& f : files) EXPECT_TRUE(std::filesystem::exists(model + "/" + f)) << f;
  const CliRun r = run_cli("inspect --model " + shell_quote(model));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// The answer to the model's prompt.txt: chat template, greedy, 160 new tokens, with `extra` flags.
inline CliRun demo_answer(const std::string& model, const std::string& extra = "") {
  return run_cli("generate --model " + shell_quote(model) + " --chat --prompt-file " +
                 shell_quote(model + "/prompt.txt") + " --max-new-tokens 160 --temperature 0 --json" + extra);
}

struct HeldOutEval {
  int tasks = 0;          // held-out problems of the templates
  int exit_code = -1;     // of `diffucoder eval`
  double pass_at_1 = -1;  // base pass@1; -1 when the eval failed
  std::string out, err;   // what the eval printed, for failure messages
};

// Writes the lines of `heldout_file` whose "template" is one of `templates` to a subset under `dir`
// (emptied first, removed after) and runs `eval` on it greedily with `max_new_tokens`.
inline HeldOutEval heldout_pass_at_1(const std::string& model, const std::string& heldout_file,
                                     const std::set<std::string>& templates, const std::string& dir,
                                     int max_new_tokens = 192) {
  namespace fs = std::filesystem;
  fs::remove_all(dir);
  fs::create_directories(dir);
  HeldOutEval result;
  std::istringstream in(read_file(heldout_file));
  std::string subset;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (templates.count(nlohmann::json::parse(line).at("template").get<std::string>()) == 0) continue;
    subset += line + "\n";
    ++result.tasks;
  }
  write_file_atomic(dir + "/subset.jsonl", subset);
  const CliRun r =
      run_cli("eval --dataset " + shell_quote(dir + "/subset.jsonl") + " --model " + shell_quote(model) +
              " --out-dir " + shell_quote(dir + "/out") + " --cache-dir " + shell_quote(dir + "/cache") +
              " --max-new-tokens " + std::to_string(max_new_tokens) + " --no-progress --json");
  result.exit_code = r.exit_code;
  result.out = r.out;
  result.err = r.err;
  if (r.exit_code == 0)
    result.pass_at_1 = nlohmann::json::parse(r.out).at("pass_at_1").at("base").get<double>();
  fs::remove_all(dir);
  return result;
}

}  // namespace dc::test

// `diffucoder analyze` end to end on the tiny test model: the model path and the saved-generation path must
// agree (greedy decoding is deterministic, so `generate --json` and `analyze --model` decode the same
// order), saved orders read back to the same figures, the report folder is written, and bad input gives
// one line and exit code 1.
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

std::string scratch(const std::string& name) {
  return std::string(DC_BINARY_DIR) + "/analyze_cli_" + name + "_" + std::to_string(::getpid());
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  }
  return v;
}

TEST(AnalyzeCli, ModelRunAgreesWithSavedGenerations) {
  const std::string common =
      " --model " + kModel + " --prompt 'def add(a, b):' --max-new-tokens 20 --temperature 0";
  const std::string gen_file = scratch("gen.jsonl"), saved = scratch("saved.jsonl");
  CliRun g = run_cli("generate" + common + " --json");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  std::ofstream(gen_file) << g.out;

  CliRun m = run_cli("analyze" + common + " --json --save-orders " + saved);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto model_runs = json_lines(m.out);
  ASSERT_EQ(model_runs.size(), 1u);
  const nlohmann::json& a = model_runs[0];
  EXPECT_EQ(a["label"], "T=0");
  EXPECT_EQ(a["samples"], 1);
  EXPECT_EQ(a["local_arness"].size(), 9u);
  EXPECT_EQ(a["global_arness"].size(), 4u);
  EXPECT_EQ(a["entropy_sink"].size(), 20u);
  for (const auto& v : a["local_arness"]) EXPECT_TRUE(v.get<double>() >= 0 && v.get<double>() <= 1);

  CliRun o = run_cli("analyze --json --order " + gen_file);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto order_runs = json_lines(o.out);
  ASSERT_EQ(order_runs.size(), 1u);
  EXPECT_EQ(order_runs[0]["local_arness"], a["local_arness"]);
  EXPECT_EQ(order_runs[0]["global_arness"], a["global_arness"]);
  EXPECT_TRUE(order_runs[0]["entropy_sink"].empty());  // generate --json carries no confidences

  CliRun s = run_cli("analyze --json --order " + saved);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto saved_runs = json_lines(s.out);
  ASSERT_EQ(saved_runs.size(), 1u);
  EXPECT_EQ(saved_runs[0]["label"], "T=0");
  EXPECT_EQ(saved_runs[0]["local_arness"], a["local_arness"]);
  EXPECT_EQ(saved_runs[0]["global_arness"], a["global_arness"]);
  EXPECT_EQ(saved_runs[0]["entropy_sink"], a["entropy_sink"]);
}

TEST(AnalyzeCli, TemperaturesAndReport) {
  const std::string dir = scratch("report");
  CliRun r =
      run_cli("analyze --model " + kModel +
              " --prompt 'x = [' --max-new-tokens 12 --temperature 0.2 --temperature 1.2 --report " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("T=0.2: 1 samples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("T=1.2: 1 samples"), std::string::npos) << r.out;
  for (const char* f : {"index.html", "decoding_order.svg", "local_arness.svg", "global_arness.svg",
                        "entropy_sink.svg", "summary.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
  std::ifstream html(dir + "/index.html");
  std::stringstream ss;
  ss << html.rdbuf();
  EXPECT_NE(ss.str().find("--temperature 1.2"), std::string::npos);
}

// With --chat, benchmark tasks are posed as `eval --model` poses them to an instruct model: the paper's
// question in the user turn and the pre-filled start of the answer (SPEC §2), written out here by hand
// (the saved orders keep the prompt's length in tokens).
TEST(AnalyzeCli, ChatBenchmarkPromptsAreTheEvalPrompts) {
  const std::string bench = scratch("bench.jsonl"), saved = scratch("chat-orders.jsonl");
  std::ofstream(bench) << R"({"task_id": "demo/add", "prompt": "def add(a, b):\n    \"\"\"Sum.\"\"\"\n", )"
                       << R"("entry_point": "add", "tests": [{"input": [1, 2], "output": 3}]})"
                       << "\n";
  CliRun r = run_cli("analyze --model " + kModel + " --benchmark " + bench +
                     " --chat --max-new-tokens 6 --temperature 0 --save-orders " + saved);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(saved);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto lines = json_lines(ss.str());
  ASSERT_EQ(lines.size(), 1u);
  const std::string expected =
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
      "Please complete the following problem:\n```\ndef add(a, b):\n    \"\"\"Sum.\"\"\"\n```\n\n<|im_end|>\n"
      "<|im_start|>assistant\nHere is the code to solve this problem:\n```python\n";
  const CliRun t = run_cli("tokenize --json --model " + kModel, expected);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(lines[0].at("prompt_length").get<size_t>(), nlohmann::json::parse(t.out).size());
  std::filesystem::remove(bench);
  std::filesystem::remove(saved);
}

TEST(AnalyzeCli, BadInputIsOneLine) {
  auto one_line_error = [](const CliRun& r) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("diffucoder: error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  };
  const std::string bad = scratch("bad.jsonl");
  std::ofstream(bad) << "{\"prompt_tokens\": [1], \"order\": [[1, 0, 5], [1, 0, 5]]}\n";
  CliRun r = run_cli("analyze --order " + bad);
  one_line_error(r);
  EXPECT_NE(r.err.find(":1: position 0 is committed twice"), std::string::npos) << r.err;
  one_line_error(run_cli("analyze"));
  one_line_error(run_cli("analyze --order " + bad + " --model " + kModel + " --prompt x"));
  one_line_error(run_cli("analyze --model " + kModel + " --prompt x --alg nope"));
  one_line_error(run_cli("analyze --model " + kModel + " --prompt x --prompt-file " + bad));
  EXPECT_NE(run_cli("analyze --order /nonexistent/file.jsonl").exit_code, 0);
}

}  // namespace
}  // namespace dc::test

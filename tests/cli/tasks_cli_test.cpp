// `diffucoder tasks` and `diffucoder tokenizer train` as a user runs them. The synthetic tasks are judged
// by the eval harness's sandbox (Python runs each canonical solution against the task's own tests), the
// train/held-out split is checked for disjoint template parameters, and a learned tokenizer is used by
// `tokenize` for a round trip.
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
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(DC_BINARY_DIR) + "/tasks_cli_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> rows;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) rows.push_back(json::parse(line));
  return rows;
}

// "template/params" of one benchmark row: what the held-out split keeps apart from training.
std::string template_key(const json& row) {
  return row.at("template").get<std::string>() + "/" + row.at("params").dump();
}

// Samples in EvalPlus form ({"task_id", "solution"}) whose bodies come from `body(row)`.
template <class Body>
std::string write_samples(const std::string& path, const std::vector<json>& rows, Body body) {
  std::string text;
  for (const json& r : rows)
    text +=
        json{{"task_id", r.at("task_id")}, {"solution", r.at("prompt").get<std::string>() + body(r)}}.dump() +
        "\n";
  write_file_atomic(path, text);
  return path;
}

json eval_summary(const std::string& dataset, const std::string& samples, const std::string& dir) {
  const CliRun r = run_cli("eval --dataset " + shell_quote(dataset) + " --samples " + shell_quote(samples) +
                           " --results " + shell_quote(dir + "/results.jsonl") + " --cache-dir " +
                           shell_quote(dir + "/cache") + " --summary " + shell_quote(dir + "/summary.md") +
                           " --workers 2 --no-progress --require-isolation --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

TEST(TasksCli, SplitsAreDisjointAndCanonicalSolutionsPassTheSandbox) {
  const std::string dir = fresh_dir("split");
  const std::string train = dir + "/train.jsonl", heldout = dir + "/heldout.jsonl", sft = dir + "/sft.jsonl";
  CliRun r = run_cli("tasks --split train --count 60 --seed 4 --benchmark-out " + shell_quote(train) +
                     " --sft-out " + shell_quote(sft));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("tasks --split heldout --count 60 --seed 4 --benchmark-out " + shell_quote(heldout));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::vector<json> train_rows = read_jsonl(train), heldout_rows = read_jsonl(heldout);
  ASSERT_EQ(train_rows.size(), 60u);
  ASSERT_EQ(heldout_rows.size(), 60u);
  std::set<std::string> train_keys, families;
  for (const json& row : train_rows) {
    train_keys.insert(template_key(row));
    families.insert(row.at("family").get<std::string>());
  }
  for (const json& row : heldout_rows)
    EXPECT_EQ(train_keys.count(template_key(row)), 0u) << template_key(row) << " is in both splits";
  EXPECT_GE(families.size(), 6u) << "60 tasks should cover every family";

  // SFT lines pair the instruct question with an answer that holds the canonical body, line for line.
  const std::vector<json> sft_rows = read_jsonl(sft);
  ASSERT_EQ(sft_rows.size(), train_rows.size());
  for (size_t i = 0; i < sft_rows.size(); ++i) {
    EXPECT_EQ(sft_rows[i].at("prompt").get<std::string>().rfind("Please complete the following problem:", 0),
              0u);
    EXPECT_NE(sft_rows[i]
                  .at("response")
                  .get<std::string>()
                  .find(train_rows[i].at("canonical_solution").get<std::string>()),
              std::string::npos);
  }

  // The sandbox runs the canonical solutions against the generated tests: all pass; a wrong body fails.
  const std::string canon =
      write_samples(dir + "/canon.jsonl", heldout_rows,
                    [](const json& row) -> std::string { return row.at("canonical_solution"); });
  json s = eval_summary(heldout, canon, dir + "/canon");
  EXPECT_DOUBLE_EQ(s.at("pass_at_1").at("base").get<double>(), 1.0) << s.dump();
  const std::string wrong = write_samples(dir + "/wrong.jsonl", heldout_rows,
                                          [](const json&) -> std::string { return "    return None\n"; });
  s = eval_summary(heldout, wrong, dir + "/wrong");
  EXPECT_DOUBLE_EQ(s.at("pass_at_1").at("base").get<double>(), 0.0) << s.dump();
}

TEST(TasksCli, SameSeedSameFileDifferentSeedDiffers) {
  const std::string dir = fresh_dir("seed");
  auto make = [&](const std::string& name, int seed) {
    const std::string path = dir + "/" + name;
    const CliRun r = run_cli("tasks --split train --count 20 --seed " + std::to_string(seed) +
                             " --family strings lists --benchmark-out " + shell_quote(path));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_file(path);
  };
  const std::string a = make("a.jsonl", 1), b = make("b.jsonl", 1), c = make("c.jsonl", 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (const json& row : read_jsonl(dir + "/a.jsonl")) {
    const std::string family = row.at("family");
    EXPECT_TRUE(family == "strings" || family == "lists") << family;
  }
}

TEST(TasksCli, BadOptionsGiveOneLine) {
  const std::string path = fresh_dir("bad") + "/x.jsonl", out = " --sft-out " + shell_quote(path);
  for (const std::string& args :
       std::vector<std::string>{"tasks --count 3", "tasks --split bogus" + out, "tasks --family nope" + out,
                                "tasks --heldout-percent 0" + out, "tasks --count 3 --per-template 2" + out,
                                "tasks --per-template -1" + out}) {
    const CliRun r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.err), 1) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("diffucoder: error: ", 0), 0u) << r.err;
    EXPECT_FALSE(fs::exists(path)) << args;
  }
}

TEST(TokenizerTrainCli, LearnsMergesAndRoundTripsThroughTokenize) {
  const std::string dir = fresh_dir("tok");
  fs::create_directories(dir + "/src/pkg");
  std::string code;
  for (int i = 0; i < 50; ++i)
    code += "def function_" + std::to_string(i) + "(value):\n    return value + " + std::to_string(i) + "\n";
  write_file_atomic(dir + "/src/a.py", code);
  write_file_atomic(dir + "/src/pkg/b.py", "import os\nprint(os.getcwd())\n");
  write_file_atomic(dir + "/src/notes.txt", "not read: the default extension is .py\n");

  const CliRun r = run_cli("tokenizer train --input " + shell_quote(dir + "/src") + " --out " +
                           shell_quote(dir + "/tok") + " --vocab-size 300");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read 2 files"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(dir + "/tok/tokenizer.json"));
  ASSERT_TRUE(fs::exists(dir + "/tok/tokenizer_config.json"));

  // The specials follow the BPE ids in a fixed order, and merges make common words single tokens.
  const size_t at = r.out.find(" BPE tokens + 5 special");
  ASSERT_NE(at, std::string::npos) << r.out;
  const int bpe = std::stoi(r.out.substr(r.out.rfind('(', at) + 1));
  EXPECT_GT(bpe, 256);
  EXPECT_LE(bpe, 300);
  const std::string tok = " --model " + shell_quote(dir + "/tok");
  CliRun t = run_cli("tokenize --tokens" + tok + " --text '<|endoftext|><|dlm_pad|>'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(t.out,
            std::to_string(bpe) + "\t\"<|endoftext|>\"\n" + std::to_string(bpe + 4) + "\t\"<|dlm_pad|>\"\n");
  const std::string text = "def function_7(value):\n    return value + 7\n";
  t = run_cli("tokenize --json" + tok, text);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const json ids = json::parse(t.out);
  EXPECT_LT(ids.size(), text.size() / 2) << t.out;
  for (const json& id : ids) EXPECT_LT(id.get<int>(), bpe);
  const CliRun back = run_cli("tokenize --decode --json" + tok, t.out);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(json::parse(back.out).get<std::string>(), text);
}

TEST(TokenizerTrainCli, BadInputGivesOneLine) {
  const std::string dir = fresh_dir("tokbad");
  for (const std::string& args : std::vector<std::string>{
           "tokenizer train --input " + shell_quote(dir + "/missing") + " --out " + shell_quote(dir + "/o"),
           "tokenizer train --input " + shell_quote(dir) + " --out " + shell_quote(dir + "/o"),
           "tokenizer train --out " + shell_quote(dir + "/o") + " --vocab-size 12"}) {
    const CliRun r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(count_lines(r.err), 1) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace dc::test

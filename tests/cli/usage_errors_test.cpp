// Usage errors as a user meets them: every one exits 1 with exactly one line on stderr (CLI11's own exit
// codes 100+ and its second "Run with --help" line are gone), numeric flags refuse NaN, infinities, zero,
// negatives and absurd values, and text quoted from the user's input cannot break the line.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

void expect_one_line_error(const CliRun& r, const std::string& what, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << what << ": " << r.err;
  EXPECT_EQ(r.err.rfind("diffucoder: error: ", 0), 0u) << what << ": " << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << what << ": " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << what << ": " << r.err;
}

TEST(UsageErrors, ParseErrorsExitOneWithOneLine) {
  expect_one_line_error(run_cli("generate --no-such-flag"), "unknown flag", "--no-such-flag");
  expect_one_line_error(run_cli("no-such-command"), "unknown subcommand", "no-such-command");
  expect_one_line_error(run_cli(""), "no subcommand", "subcommand");
  expect_one_line_error(run_cli("generate --max-new-tokens"), "missing value", "--max-new-tokens");
  expect_one_line_error(run_cli("generate --max-new-tokens twelve"), "not a number", "twelve");
  expect_one_line_error(run_cli("tokenize --text x"), "required flag", "--model");
}

TEST(UsageErrors, FlagGivenTwiceSaysSo) {
  const CliRun r = run_cli("generate --threads 1 --threads 2 --prompt x");
  expect_one_line_error(r, "repeated flag",
                        "--threads: takes one value but was given 2 (give the flag once)");
}

TEST(UsageErrors, TimeFlagsOfEvalAreChecked) {
  const std::vector<std::string> bad = {"--time-factor inf",
                                        "--time-factor nan",
                                        "--time-factor 0",
                                        "--time-factor -2",
                                        "--time-factor 1e300",
                                        "--min-time-limit inf",
                                        "--min-time-limit nan",
                                        "--min-time-limit 0",
                                        "--min-time-limit -1",
                                        "--min-time-limit 1e300",
                                        "--timeout-per-task 0",
                                        "--timeout-per-task nan",
                                        "--timeout-per-task inf",
                                        "--timeout-per-task 1e300",
                                        "--n 0",
                                        "--n 1e9",
                                        "--workers -1",
                                        "--batch-size 0"};
  for (const std::string& flag : bad) {
    const CliRun r = run_cli("eval --dataset x.jsonl --samples y.jsonl " + flag);
    expect_one_line_error(r, flag, flag.substr(0, flag.find(' ')) + ": ");
  }
}

TEST(UsageErrors, TrainingHyperParametersAreChecked) {
  for (const std::string cmd : {"train", "sft"}) {
    for (const std::string flag :
         {"--lr nan", "--lr inf", "--lr -1e-3", "--lr 1e300", "--weight-decay nan", "--weight-decay -1",
          "--clip inf", "--clip -1", "--min-lr-ratio nan", "--min-lr-ratio 2", "--steps 0", "--steps -3",
          "--batch 0", "--accum 1e12", "--warmup -5", "--save-every -1"}) {
      const CliRun r = run_cli(cmd + " --out unused --data unused " + flag);
      expect_one_line_error(r, cmd + " " + flag, flag.substr(0, flag.find(' ')) + ": ");
    }
  }
}

TEST(UsageErrors, DataAndDecodingFlagsAreChecked) {
  for (const std::string flag : {"--val-fraction nan", "--val-fraction 1.5", "--val-fraction -0.1"}) {
    expect_one_line_error(run_cli("data --tokenizer unused --out unused " + flag), flag,
                          flag.substr(0, flag.find(' ')) + ": ");
  }
  // 2e9 steps would allocate a time grid of 8 GB: refused before the model is even loaded.
  expect_one_line_error(run_cli("generate --prompt x --steps 2000000000"), "--steps 2e9",
                        "steps must lie in [1, 1048576], got 2000000000");
}

TEST(UsageErrors, TaskCountsAreCapped) {
  const std::string out = std::string(DC_BINARY_DIR) + "/usage_errors_tasks.jsonl";
  expect_one_line_error(run_cli("tasks --tests 1000000000 --benchmark-out " + out), "--tests 1e9",
                        "1000000000 tests per task is not within 1..1000");
  expect_one_line_error(run_cli("tasks --count 1000000000000 --benchmark-out " + out), "--count 1e12",
                        "count 1000000000000 is not within 1..1000000");
  expect_one_line_error(run_cli("tasks --count 100000 --tests 1000 --benchmark-out " + out), "count x tests",
                        "more than the cap of 10000000 test cases");
  EXPECT_FALSE(std::filesystem::exists(out));
}

// A task_id is user text; with a newline in it the error must still be one line (the newline escaped).
TEST(UsageErrors, TaskIdWithNewlinesStaysOnOneLine) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/usage_errors_tmp";
  std::filesystem::create_directories(dir);
  const std::string samples = dir + "/samples.jsonl";
  write_file_atomic(samples,
                    "{\"task_id\": \"demo/add\\nSECOND LINE\\r\\u001b[2J\", \"solution\": \"x = 1\"}\n");
  const CliRun r = run_cli(
      "eval --dataset " + shell_quote(std::string(DC_TESTDATA_DIR) + "/eval/generic.jsonl") + " --samples " +
      shell_quote(samples) + " --results " + shell_quote(dir + "/results.jsonl") + " --no-progress");
  expect_one_line_error(r, "task_id with newline", "demo/add\\nSECOND LINE\\r\\x1b[2J");
}

}  // namespace
}  // namespace dc::test

// `diffucoder train` and `diffucoder sft` as a user runs them: progress lines, the output folder, a run cut
// in two by --stop-after + --resume giving the same weights as one run, and one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(DC_BINARY_DIR) + "/train_cli_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string text_data(const std::string& dir) {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text += "def f" + std::to_string(i) + "(x):\n    return x * " + std::to_string(i) + "\n";
  write_file_atomic(dir + "/data.txt", text);
  return dir + "/data.txt";
}

TEST(TrainCli, StopAndResumeGivesTheSameWeightsAsOneRun) {
  const std::string dir = fresh_dir("resume");
  const std::string data = text_data(dir);
  const std::string common = "train --model " + shell_quote(kTiny) + " --data " + shell_quote(data) +
                             " --steps 4 --seed 3 --seq-len 32 --batch 2 --threads 2 --out ";
  const CliRun one = run_cli(common + shell_quote(dir + "/one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("step 4/4 loss "), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("tok/s"), std::string::npos);
  EXPECT_NE(one.out.find("eta"), std::string::npos);
  const CliRun a = run_cli(common + shell_quote(dir + "/two") + " --stop-after 2");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const CliRun b = run_cli(common + shell_quote(dir + "/two") + " --resume");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("resumed from"), std::string::npos);
  const CliRun again = run_cli(common + shell_quote(dir + "/two") + " --resume");  // nothing left to do
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("done: already complete at step 4"), std::string::npos) << again.out;
  EXPECT_EQ(read_file(dir + "/one/checkpoint-4/model.safetensors"),
            read_file(dir + "/two/checkpoint-4/model.safetensors"));
  EXPECT_EQ(read_file(dir + "/one/checkpoint-4/optimizer.safetensors"),
            read_file(dir + "/two/checkpoint-4/optimizer.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/one/loss.svg"));
  EXPECT_EQ(count_lines(read_file(dir + "/one/metrics.jsonl")), 4);
}

TEST(TrainCli, SftTrainsOnPromptResponseLines) {
  const std::string dir = fresh_dir("sft");
  write_file_atomic(dir + "/s.jsonl",
                    "{\"prompt\": \"add\", \"response\": \"def add(a, b): return a + b\"}\n"
                    "{\"prompt\": \"neg\", \"response\": \"def neg(x): return -x\"}\n");
  const CliRun r = run_cli("sft --model " + shell_quote(kTiny) + " --data " + shell_quote(dir + "/s.jsonl") +
                           " --steps 2 --seq-len 64 --batch 2 --out " + shell_quote(dir + "/out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("step 2/2"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/out/checkpoint-2/config.json"));
}

TEST(TrainCli, BadInputGivesOneLineErrors) {
  const std::string dir = fresh_dir("errors");
  write_file_atomic(dir + "/bad.jsonl", "{\"prompt\": 1}\n");
  const CliRun bad = run_cli("sft --model " + shell_quote(kTiny) + " --data " +
                             shell_quote(dir + "/bad.jsonl") + " --out " + shell_quote(dir + "/o"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
  EXPECT_NE(bad.err.find("bad.jsonl:1:"), std::string::npos) << bad.err;
  const std::string data = text_data(dir);
  const CliRun nothing = run_cli("train --model " + shell_quote(kTiny) + " --data " + shell_quote(data) +
                                 " --seq-len 32 --resume --out " + shell_quote(dir + "/none"));
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_EQ(count_lines(nothing.err), 1) << nothing.err;
  EXPECT_NE(nothing.err.find("nothing to resume"), std::string::npos) << nothing.err;
}

}  // namespace
}  // namespace dc::test

namespace dc::test {
namespace {

// `diffucoder data` shards feed `train` directly (train split + its val split); a text shard folder is
// refused by `sft` in one line.
TEST(TrainCli, TrainsOnShardsWrittenByData) {
  const std::string dir = fresh_dir("shards");
  fs::create_directories(dir + "/src");
  for (int f = 0; f < 6; ++f) {
    std::string text;
    for (int i = 0; i < 30; ++i)
      text += "def g" + std::to_string(f * 100 + i) + "(x):\n    return x + " + std::to_string(i) + "\n";
    write_file_atomic(dir + "/src/m" + std::to_string(f) + ".py", text);
  }
  const CliRun d =
      run_cli("data --tokenizer " + shell_quote(kTiny) + " --input " + shell_quote(dir + "/src") + " --out " +
              shell_quote(dir + "/shards") + " --seq-len 32 --val-fraction 0.2");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const CliRun t = run_cli("train --model " + shell_quote(kTiny) + " --data " + shell_quote(dir + "/shards") +
                           " --steps 2 --batch 2 --eval-every 2 --out " + shell_quote(dir + "/run"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("of 32 tokens"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("validation loss"), std::string::npos) << t.out;
  EXPECT_TRUE(fs::exists(dir + "/run/checkpoint-2/model.safetensors"));
  const CliRun s = run_cli("sft --model " + shell_quote(kTiny) + " --data " + shell_quote(dir + "/shards") +
                           " --steps 2 --out " + shell_quote(dir + "/sft"));
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_EQ(count_lines(s.err), 1) << s.err;
  EXPECT_NE(s.err.find("holds text shards"), std::string::npos) << s.err;
}

}  // namespace
}  // namespace dc::test

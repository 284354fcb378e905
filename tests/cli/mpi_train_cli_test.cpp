// `diffucoder train` and `sft` data-parallel under `mpirun` (train/data_parallel.h): two ranks against one
// process, the same bytes for the same rank count, resume with another rank count, a rank killed mid-run
// (DIFFUCODER_FAULT_KILL, train/fault_injection.h), and the set-up failures that must be one line (more
// ranks than micro-batches, ranks started with different command lines). Skipped, with the reason, where
// mpirun or the build's MPI support is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/mpi_launch.h"
#include "cli_runner.h"
#include "core/mapped_file.h"
#include "dist/comm.h"
#include "model/checkpoint.h"
#include "model/training_pass.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;

// Two ranks and one process sum the same float gradients in another order (each rank's partial sum, then
// the allreduce). After a few AdamW steps on the tiny model the weights measured at most 8.1e-8 (train, 4
// steps) and 6.9e-8 (sft, 3 steps) of their tensor's scale apart (the largest |difference| over the
// largest |weight| of each tensor). The tolerance, 1e-5, leaves room for other CPUs and MPI reduction
// algorithms and still catches a real difference: leaving out one micro-batch in four moved them 3.2e-3.
constexpr double kWeightTolerance = 1e-5;

const std::string kTiny = std::string(DC_TESTDATA_DIR) + "/tiny-dream";

std::string fresh_dir(const std::string& name) {
  const std::string d = std::string(DC_BINARY_DIR) + "/mpi_train_cli_tmp/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string text_data(const std::string& dir, const std::string& name, int first) {
  std::string text;
  for (int i = first; i < first + 40; ++i)
    text += "def f" + std::to_string(i) + "(x):\n    return x * " + std::to_string(i) + "\n";
  write_file_atomic(dir + "/" + name, text);
  return dir + "/" + name;
}

// `mpirun -np ranks` of the binary (--quiet: the launcher's own boxed notices would hide the one line the
// job prints). `env` ("NAME=value") is set for mpirun and passed on to every rank.
CliRun run_mpi(int ranks, const std::string& args, const std::string& env = "") {
  return run_command(mpirun_prefix(ranks, env, true, 120) + binary_path() + " " + args);
}

// The largest |a - b| / max|a| over the tensors of two checkpoints' weights.
double max_relative_difference(const std::string& a_dir, const std::string& b_dir) {
  const ModelParams a = params_from_checkpoint(Checkpoint::open(a_dir));
  const ModelParams b = params_from_checkpoint(Checkpoint::open(b_dir));
  EXPECT_EQ(a.tensors.size(), b.tensors.size());
  double worst = 0;
  for (size_t t = 0; t < std::min(a.tensors.size(), b.tensors.size()); ++t) {
    const std::vector<float>&x = a.tensors[t].data, &y = b.tensors[t].data;
    EXPECT_EQ(x.size(), y.size()) << a.tensors[t].name;
    double scale = 0, diff = 0;
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
      scale = std::max(scale, double(std::fabs(x[i])));
      diff = std::max(diff, std::fabs(double(x[i]) - double(y[i])));
    }
    worst = std::max(worst, diff / std::max(scale, 1e-30));
  }
  return worst;
}

std::vector<nlohmann::json> metrics_lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  const std::string text = read_file(path);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    out.push_back(nlohmann::json::parse(text.substr(pos, nl - pos)));
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// `train` on the tiny model: `steps` steps of `accum` micro-batches of 2 sequences of 32 tokens.
std::string train_args(const std::string& data, const std::string& out, int steps, int accum,
                       const std::string& extra = "") {
  return "train --model " + shell_quote(kTiny) + " --data " + shell_quote(data) + " --steps " +
         std::to_string(steps) + " --accum " + std::to_string(accum) +
         " --seed 3 --seq-len 32 --batch 2 --out " + shell_quote(out) + " " + extra;
}

TEST(MpiTrainCli, TwoRanksMatchOneProcess) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("match");
  const std::string data = text_data(dir, "data.txt", 0), val = text_data(dir, "val.txt", 100);
  // Validation: 3 batches, so that the ranks' shares differ (2 + 1).
  const std::string extra = "--val " + shell_quote(val) + " --eval-every 2 --eval-batches 3";
  // Accumulation 4: each rank sums two micro-batches, then the allreduce adds the two partial sums (with 2
  // the ranks' sum a + b would equal one process's 0 + a + b exactly).
  const CliRun one = run_cli(train_args(data, dir + "/one", 4, 4, extra + " --threads 2"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CliRun two = run_mpi(2, train_args(data, dir + "/two", 4, 4, extra + " --threads 1"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.out.find("2 ranks x 1 threads"), std::string::npos) << two.out;
  EXPECT_EQ(count_lines(two.out), count_lines(one.out)) << "only rank 0 prints:\n" << two.out;
  EXPECT_EQ(two.err, "");
  const double rel = max_relative_difference(dir + "/one/checkpoint-4", dir + "/two/checkpoint-4");
  std::printf("two ranks vs one process after 4 steps: max relative weight difference %.3g\n", rel);
  EXPECT_LT(rel, kWeightTolerance);
  // The same losses (global batch and validation split over ranks), and "ranks" in the step lines.
  const auto m1 = metrics_lines(dir + "/one/metrics.jsonl"), m2 = metrics_lines(dir + "/two/metrics.jsonl");
  ASSERT_EQ(m1.size(), 6u);  // 4 steps + 2 validations
  ASSERT_EQ(m2.size(), m1.size());
  for (size_t i = 0; i < m1.size(); ++i) {
    const char* key = m1[i].contains("loss") ? "loss" : "val_loss";
    const double a = m1[i][key].get<double>(), b = m2[i][key].get<double>();
    EXPECT_NEAR(a, b, 1e-5 * std::fabs(a)) << "metrics line " << i;
    EXPECT_EQ(m2[i].contains("ranks"), m1[i].contains("loss"));
    EXPECT_FALSE(m1[i].contains("ranks"));  // one process: the lines of before
  }
}

TEST(MpiTrainCli, SftTwoRanksMatchOneProcess) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("sft");
  std::string lines;
  for (int i = 0; i < 12; ++i)
    lines += "{\"prompt\": \"add " + std::to_string(i) + "\", \"response\": \"def add(a): return a + " +
             std::to_string(i) + "\"}\n";
  write_file_atomic(dir + "/s.jsonl", lines);
  const std::string args = "sft --model " + shell_quote(kTiny) + " --data " + shell_quote(dir + "/s.jsonl") +
                           " --steps 3 --seed 5 --seq-len 48 --batch 2 --accum 4 --out ";
  const CliRun one = run_cli(args + shell_quote(dir + "/one") + " --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CliRun two = run_mpi(2, args + shell_quote(dir + "/two") + " --threads 1");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const double rel = max_relative_difference(dir + "/one/checkpoint-3", dir + "/two/checkpoint-3");
  std::printf("sft, two ranks vs one process after 3 steps: max relative weight difference %.3g\n", rel);
  EXPECT_LT(rel, kWeightTolerance);
}

TEST(MpiTrainCli, SameRankCountGivesIdenticalBytes) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("same");
  const std::string data = text_data(dir, "data.txt", 0);
  const CliRun a = run_mpi(2, train_args(data, dir + "/a", 4, 3));  // uneven shares: 2 + 1
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const CliRun b = run_mpi(2, train_args(data, dir + "/b", 4, 3));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  for (const char* f : {"model.safetensors", "optimizer.safetensors"})
    EXPECT_EQ(read_file(dir + "/a/checkpoint-4/" + f), read_file(dir + "/b/checkpoint-4/" + f)) << f;
}

// Also: a resume that does not fit the checkpoint is one line.
TEST(MpiTrainCli, ResumesWithAnotherRankCount) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("resume");
  const std::string data = text_data(dir, "data.txt", 0);
  const CliRun straight = run_cli(train_args(data, dir + "/straight", 4, 4, "--threads 2"));
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  const CliRun half = run_mpi(2, train_args(data, dir + "/split", 4, 4, "--stop-after 2"));
  ASSERT_EQ(half.exit_code, 0) << half.err;
  EXPECT_EQ(read_file(dir + "/split/latest"), "checkpoint-2\n");
  // An incompatible resume (another step count: the schedule differs) is one agreed line.
  const CliRun bad = run_mpi(2, train_args(data, dir + "/split", 5, 4, "--resume"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(count_lines(bad.err), 1) << bad.err;
  EXPECT_NE(bad.err.find("steps"), std::string::npos) << bad.err;
  const CliRun rest = run_cli(train_args(data, dir + "/split", 4, 4, "--resume --threads 2"));
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_NE(rest.out.find("resumed from"), std::string::npos) << rest.out;
  const double rel = max_relative_difference(dir + "/straight/checkpoint-4", dir + "/split/checkpoint-4");
  std::printf("2 steps on two ranks + 2 in one process vs 4 in one process: max relative difference %.3g\n",
              rel);
  EXPECT_LT(rel, kWeightTolerance);
  EXPECT_EQ(metrics_lines(dir + "/split/metrics.jsonl").size(), 4u);
}

TEST(MpiTrainCli, KilledRankEndsTheJobAndResumeCompletes) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("kill");
  const std::string data = text_data(dir, "data.txt", 0);
  const CliRun straight = run_mpi(2, train_args(data, dir + "/straight", 6, 2, "--save-every 2"));
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  // Rank 1 dies at the start of step 4. Rank 0 wrote checkpoint-2 before the allreduce of step 3, which
  // rank 1 joined, so checkpoint-2 is complete; checkpoint-4 never starts (step 4 waits for rank 1).
  const CliRun killed =
      run_mpi(2, train_args(data, dir + "/run", 6, 2, "--save-every 2"), "DIFFUCODER_FAULT_KILL=1:4");
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_EQ(count_of(killed.err, "diffucoder: error: the job was stopped"), 1) << killed.err;
  EXPECT_NE(killed.err.find("the last complete checkpoint is " +
                            fs::absolute(dir + "/run/checkpoint-2").string() + "; continue with --resume"),
            std::string::npos)
      << killed.err;
  ASSERT_EQ(read_file(dir + "/run/latest"), "checkpoint-2\n");
  EXPECT_FALSE(fs::exists(dir + "/run/checkpoint-4"));
  const auto state = nlohmann::json::parse(read_file(dir + "/run/checkpoint-2/trainer_state.json"));
  EXPECT_EQ(state.at("step").get<int64_t>(), 2);
  EXPECT_NO_THROW(params_from_checkpoint(Checkpoint::open(dir + "/run/checkpoint-2")));
  EXPECT_TRUE(fs::exists(dir + "/run/checkpoint-2/optimizer.safetensors"));
  const CliRun resumed = run_mpi(2, train_args(data, dir + "/run", 6, 2, "--save-every 2 --resume"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("done: step 6"), std::string::npos) << resumed.out;
  // Same rank count: the resumed run continues bit-exactly (so the checkpoint it started from was whole).
  EXPECT_EQ(read_file(dir + "/run/checkpoint-6/model.safetensors"),
            read_file(dir + "/straight/checkpoint-6/model.safetensors"));
}

TEST(MpiTrainCli, MoreRanksThanMicroBatchesIsOneLine) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("too_many");
  const std::string data = text_data(dir, "data.txt", 0);
  const CliRun r = run_mpi(2, train_args(data, dir + "/out", 4, 1));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("2 ranks but --accum 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --accum 2 or more"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir + "/out"));
}

TEST(MpiTrainCli, MismatchedCommandLinesAreOneLine) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("mpmd");
  const std::string data = text_data(dir, "data.txt", 0);
  // MPMD: one rank with --seed 1, the other with --seed 2.
  const std::string rank = binary_path() + " train --model " + shell_quote(kTiny) + " --data " +
                           shell_quote(data) + " --steps 2 --seq-len 32 --accum 2 --out " +
                           shell_quote(dir + "/out") + " --seed ";
  const CliRun r = run_command(mpirun_prefix(0, "", true, 120) + "-np 1 " + rank + "1 : -np 1 " + rank + "2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("different command lines"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/out"));
}

TEST(MpiTrainCli, MismatchedBinariesAreOneLine) {
  if (const std::string why = mpi_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  const std::string dir = fresh_dir("mpmd-binaries");
  const std::string data = text_data(dir, "data.txt", 0);
  // The second rank runs another build: a copy of the binary with one byte appended (it still runs; only
  // its bytes differ). The command lines are the same (argv[0] is not compared).
  const std::string other = dir + "/diffucoder-other";
  fs::copy_file(binary_path(), other);
  fs::permissions(other, fs::perms::owner_all);
  {
    std::ofstream f(other, std::ios::app | std::ios::binary);
    f << '\n';
  }
  const std::string args = " train --model " + shell_quote(kTiny) + " --data " + shell_quote(data) +
                           " --steps 2 --seq-len 32 --accum 2 --seed 1 --out " + shell_quote(dir + "/out");
  const CliRun r = run_command(mpirun_prefix(0, "", true, 120) + "-np 1 " + binary_path() + args +
                               " : -np 1 " + shell_quote(other) + args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("different binaries"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/out"));
}

}  // namespace
}  // namespace dc::test

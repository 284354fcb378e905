// `mpirun -np 2 diffucoder eval --model ...` as a user runs it: the ranks share the generation batches and
// the judging, and rank 0 writes the same samples, results and summary files and prints the same --json
// summary as one process (timings aside); more ranks than batches, or a bad dataset, is one line and
// nothing written; a job stopped part-way (DIFFUCODER_FAULT_KILL, test-only) resumes with another rank
// count and ends with the files of an uninterrupted run. The bundled model on the first six of its
// held-out problems, 96 new tokens, batches of two (three batches).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../common/mpi_launch.h"
#include "cli_runner.h"
#include "core/mapped_file.h"
#include "dist/comm.h"

namespace dc::test {
namespace {

namespace fs = std::filesystem;

// One folder per test process: ctest runs each test of this file in a process of its own, in parallel,
// and two of them make the one-process run they compare with.
const std::string kWork = std::string(DC_BINARY_DIR) + "/mpi_eval_cli_tmp/" + std::to_string(::getpid());

// The first `count` held-out problems of the bundled model, as a dataset of their own.
std::string subset(const std::string& path, int count) {
  std::ifstream in(std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny/heldout.jsonl");
  std::string text, line;
  for (int i = 0; i < count && std::getline(in, line); ++i) text += line + "\n";
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomic(path, text);
  return path;
}

// The six-problem dataset of the comparisons (one path, so that every summary names the same file).
const std::string& six() {
  static const std::string path = subset(kWork + "/heldout6.jsonl", 6);
  return path;
}

// `eval` of `dataset` into dir/out, expected outputs cached in dir/cache.
std::string eval_args(const std::string& dir, const std::string& dataset) {
  return "eval --dataset " + shell_quote(dataset) + " --model " +
         shell_quote(std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny") + " --out-dir " +
         shell_quote(dir + "/out") + " --cache-dir " + shell_quote(dir + "/cache") +
         " --max-new-tokens 96 --batch-size 2 --threads 1 --workers 1 --json --no-progress";
}

// Runs `launcher` + eval of the six problems in kWork/run (the same paths for every run compared, as the
// summaries name them), then moves that folder to kWork/`name`.
CliRun run_in_place(const std::string& launcher, const std::string& name) {
  const std::string run = kWork + "/run", to = kWork + "/" + name;
  fs::remove_all(run);
  fs::remove_all(to);
  fs::create_directories(run);
  CliRun r = run_command(launcher + binary_path() + " " + eval_args(run, six()));
  fs::rename(run, to);
  return r;
}

// A file without what may differ between runs: the "seconds" of each results line, the wall time of the
// summary.
std::string without_timings(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("Wall time:", 0) == 0) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("key")) {
      j.erase("seconds");
      line = j.dump();
    }
    out += line + "\n";
  }
  return out;
}

// The --json summary without its timings.
nlohmann::json summary_without_timings(const std::string& out) {
  nlohmann::json j = nlohmann::json::parse(out);
  j.erase("seconds");
  if (j.contains("generation")) {
    j["generation"].erase("seconds");
    j["generation"].erase("answer_tokens_per_second");
  }
  return j;
}

// Every file of `a` and `b` (two out-dirs) compares equal without timings; samples and fingerprint byte
// for byte.
void expect_same_outputs(const std::string& a, const std::string& b) {
  for (const char* name : {"heldout6.samples.jsonl", "heldout6.generation.json"})
    EXPECT_EQ(read_file(a + "/" + name), read_file(b + "/" + name)) << name;
  for (const char* name : {"heldout6.results.jsonl", "heldout6.summary.md"})
    EXPECT_EQ(without_timings(a + "/" + name), without_timings(b + "/" + name)) << name;
}

// The lines this program printed on stderr (mpirun adds its own notices).
std::vector<std::string> our_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("diffucoder:", 0) == 0) lines.push_back(line);
  return lines;
}

class MpiEvalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = mpi_unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << why;
  }

  static void TearDownTestSuite() { fs::remove_all(kWork); }

  // One process's run, kept in kWork/one for the tests that compare with it.
  static const CliRun& one_process() {
    static const CliRun run = run_in_place("", "one");
    return run;
  }
};

TEST_F(MpiEvalCli, TwoRanksWriteWhatOneProcessWrites) {
  const CliRun& one = one_process();
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CliRun two = run_in_place(mpirun_prefix(2), "two");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(count_lines(two.out), 1) << "only rank 0 prints the summary:\n" << two.out;
  const nlohmann::json a = summary_without_timings(one.out), b = summary_without_timings(two.out);
  EXPECT_EQ(a, b);
  EXPECT_EQ(b["samples"], 6);
  EXPECT_TRUE(b.contains("generation"));
  expect_same_outputs(kWork + "/one/out", kWork + "/two/out");
}

TEST_F(MpiEvalCli, MoreRanksThanBatchesIsOneLineAndWritesNothing) {
  const std::string dir = kWork + "/ranks";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Two problems in batches of two: one batch for two ranks.
  const CliRun r =
      run_command(mpirun_prefix(2) + binary_path() + " " + eval_args(dir, subset(dir + "/two.jsonl", 2)));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::vector<std::string> lines = our_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0],
            "diffucoder: error: more ranks than generation batches: 2 ranks, 1 batch (2 tasks in batches of "
            "--batch-size 2, --n 1); run at most that many ranks or give a smaller --batch-size");
  EXPECT_FALSE(fs::exists(dir + "/out"));
  EXPECT_FALSE(fs::exists(dir + "/cache"));
  // A dataset that does not exist: one line as well.
  const CliRun bad =
      run_command(mpirun_prefix(2) + binary_path() + " " + eval_args(dir, dir + "/missing.jsonl"));
  EXPECT_EQ(bad.exit_code, 1);
  const std::vector<std::string> bad_lines = our_lines(bad.err);
  ASSERT_EQ(bad_lines.size(), 1u) << bad.err;
  EXPECT_NE(bad_lines[0].find("missing.jsonl"), std::string::npos) << bad_lines[0];
  EXPECT_FALSE(fs::exists(dir + "/out"));
}

TEST_F(MpiEvalCli, StoppedJobResumesWithAnotherRankCount) {
  const CliRun& one = one_process();
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const std::string dir = kWork + "/resume";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string args = eval_args(dir, six());
  // Rank 0 stops before batch 2: the first round (batches 0 and 1, four problems) is on disk.
  const CliRun stopped =
      run_command(mpirun_prefix(2, "DIFFUCODER_FAULT_KILL=0:2") + binary_path() + " " + args);
  EXPECT_NE(stopped.exit_code, 0);
  EXPECT_NE(stopped.err.find("stopped before generation batch 2"), std::string::npos) << stopped.err;
  EXPECT_EQ(count_lines(read_file(dir + "/out/heldout6.samples.jsonl")), 4);
  EXPECT_FALSE(fs::exists(dir + "/out/heldout6.results.jsonl"));
  // One process finishes it (the last batch, then the judging of all six).
  const CliRun rest = run_cli(args);
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  nlohmann::json a = summary_without_timings(one.out), b = summary_without_timings(rest.out);
  EXPECT_EQ(a["pass_at_1"], b["pass_at_1"]);
  EXPECT_EQ(a["base_statuses"], b["base_statuses"]);
  // The files are those of the uninterrupted run, but for the folder they name.
  EXPECT_EQ(read_file(kWork + "/one/out/heldout6.samples.jsonl"),
            read_file(dir + "/out/heldout6.samples.jsonl"));
  EXPECT_EQ(without_timings(kWork + "/one/out/heldout6.results.jsonl"),
            without_timings(dir + "/out/heldout6.results.jsonl"));
  // Judging stopped part-way resumes too: drop the last result and let two ranks judge it again.
  std::string results = read_file(dir + "/out/heldout6.results.jsonl");
  results.erase(results.rfind('\n', results.size() - 2) + 1);
  write_file_atomic(dir + "/out/heldout6.results.jsonl", results);
  const CliRun again = run_command(mpirun_prefix(2) + binary_path() + " " + args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const nlohmann::json c = nlohmann::json::parse(again.out);
  EXPECT_EQ(c["resumed"], 5);
  EXPECT_EQ(c["pass_at_1"], a["pass_at_1"]);
  EXPECT_FALSE(c.contains("generation")) << "every sample was on disk";
}

}  // namespace
}  // namespace dc::test

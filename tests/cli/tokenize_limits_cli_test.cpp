// `tokenize` on large inputs: 10 MB of random bytes (the worst case for a byte-level BPE) is tokenized
// under a 300 MB address-space cap (it peaked at 691 MB before the output was streamed and the word list
// dropped), and an input over the 32 MiB cap is one line, exit 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "cli_runner.h"
#include "core/mapped_file.h"

namespace dc::test {
namespace {

// One folder per test: ctest runs the tests of this file in parallel processes.
std::string test_dir() {
  return std::string(DC_BINARY_DIR) + "/tokenize_limits_tmp/" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

// Runs `diffucoder tokenize ARGS < input` under `ulimit -v kib`; returns (exit code, stdout bytes, stderr).
struct CappedRun {
  int code = -1;
  size_t out_bytes = 0;
  std::string err;
};
CappedRun tokenize_capped(const std::string& args, const std::string& input, long kib) {
  const std::string dir = test_dir();
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/in", input);
  const std::string cmd = "ulimit -v " + std::to_string(kib) + " && exec " + std::string(DC_BINARY_DIR) +
                          "/bin/diffucoder tokenize " + args + " <" + dir + "/in >" + dir + "/out 2>" + dir +
                          "/err";
  const int status = std::system(("bash -c " + shell_quote(cmd)).c_str());
  CappedRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out_bytes = std::filesystem::file_size(dir + "/out");
  r.err = read_file(dir + "/err");
  return r;
}

TEST(TokenizeLimitsCli, TenMegabytesOfRandomBytesFitInThreeHundred) {
  std::mt19937_64 rng(9);
  std::string input(10'000'000, '\0');
  for (char& c : input) c = char(rng() & 0xff);
  const std::string model = "--model " + shell_quote(std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny");
  for (const char* mode : {"--json", ""}) {
    const CappedRun r = tokenize_capped(model + " " + mode, input, 300'000);
    EXPECT_EQ(r.code, 0) << mode << ": " << r.err;
    EXPECT_GT(r.out_bytes, 40'000'000u) << mode;  // millions of ids were written
  }
}

TEST(TokenizeLimitsCli, InputOverTheCapIsOneLine) {
  const CappedRun r =
      tokenize_capped("--model " + shell_quote(std::string(DC_SOURCE_DIR) + "/models/diffucoder-tiny"),
                      std::string((32u << 20) + 1, 'a'), 2'000'000);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "diffucoder: error: tokenize: standard input is larger than 32 MiB, the cap for one input\n");
  EXPECT_EQ(r.out_bytes, 0u);
}

}  // namespace
}  // namespace dc::test

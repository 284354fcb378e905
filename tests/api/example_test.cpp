// examples/embed.cpp as a user runs it: a few tokens from the tiny model, and a missing model folder.
#include <gtest/gtest.h>

#include "../cli/cli_runner.h"

namespace {

dc::test::CliRun run_example(const std::string& args) {
  const std::string base = std::string(DC_BINARY_DIR) + "/example_test_" + std::to_string(::getpid());
  const std::string cmd = std::string(DC_BINARY_DIR) + "/bin/example_embed " + args + " >" + base +
                          ".out 2>" + base + ".err </dev/null";
  const int status = std::system(cmd.c_str());
  dc::test::CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::string s;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    std::remove(p.c_str());
    return s;
  };
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

TEST(EmbedExample, GeneratesFromTheTinyModel) {
  const std::string model = dc::test::shell_quote(std::string(DC_TESTDATA_DIR) + "/tiny-dream");
  const dc::test::CliRun r = run_example(model + " 'def add(a, b):' 6");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("def add(a, b):", 0), 0u) << r.out;  // the prompt, then the answer
  EXPECT_NE(r.err.find("prompt: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step 6/6"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in 6 steps"), std::string::npos) << r.err;
}

TEST(EmbedExample, MissingModelIsOneErrorLine) {
  const dc::test::CliRun r = run_example("/nonexistent/model");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(dc::test::count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("embed: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/model"), std::string::npos) << r.err;
}

}  // namespace

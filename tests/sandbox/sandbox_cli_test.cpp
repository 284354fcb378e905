// `diffucoder sandbox` as a user sees it: the program's output passes through, the status line, the
// exit codes (the program's own, 124 on a timeout), and one-line errors.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `diffucoder sandbox ARGS` with a Python file holding `program` and `stdin_text` on stdin.
CliResult sandbox_cli(const std::string& args, const std::string& program = "",
                      const std::string& stdin_text = "") {
  static int n = 0;
  const std::string base =
      std::string(DC_BINARY_DIR) + "/sandbox_cli_" + std::to_string(getpid()) + "_" + std::to_string(n++);
  std::ofstream(base + ".py") << program;
  std::ofstream(base + ".in") << stdin_text;
  const std::string cmd = std::string(DC_BINARY_DIR) + "/bin/diffucoder sandbox " +
                          (program.empty() ? "" : base + ".py ") + args + " <" + base + ".in >" + base +
                          ".out 2>" + base + ".err";
  CliResult r;
  int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  for (const char* ext : {".py", ".in", ".out", ".err"}) std::remove((base + ext).c_str());
  return r;
}

TEST(SandboxCli, Layers) {
  CliResult r = sandbox_cli("--layers");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "process_group rlimits seccomp landlock user_ns net_ns pid_ns mount_ns readonly_root read_allowlist\n");
}

TEST(SandboxCli, RequireIsolationRunsWhereEveryLayerWorks) {
  CliResult r = sandbox_cli("--require-isolation", "print('isolated')\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "isolated\n");
  EXPECT_NE(r.err.find("readonly_root read_allowlist]"), std::string::npos) << r.err;
  r = sandbox_cli("--require-isolation --no-namespaces", "print('x')\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "diffucoder: error: sandbox: --require-isolation and --no-namespaces contradict\n");
}

TEST(SandboxCli, RunsAFileWithStdin) {
  CliResult r = sandbox_cli("", "import sys\nprint(sys.stdin.read()[::-1])\nsys.exit(3)\n", "abc");
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "cba\n");
  EXPECT_EQ(r.err.rfind("sandbox: fail, exit 3, ", 0), 0u) << r.err;
  // The program's own exit is its result, not an error of the tool: only the status line follows it.
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
}

// Limits that are not finite, not positive or absurdly large are usage errors (exit 1, one line naming the
// flag) before anything runs; before this check 1e300 s overflowed the deadline and a correct program
// was reported as a timeout.
TEST(SandboxCli, LimitFlagsOutOfRangeAreUsageErrors) {
  for (const std::string bad : {"--timeout inf", "--timeout nan", "--timeout 0", "--timeout -1",
                                "--timeout 1e300", "--memory-mb inf", "--memory-mb nan", "--memory-mb 0",
                                "--memory-mb -5", "--memory-mb 1e300", "--processes -1", "--processes 1e9"}) {
    CliResult r = sandbox_cli(bad, "print('ran')\n");
    EXPECT_EQ(r.code, 1) << bad;
    EXPECT_EQ(r.out, "") << bad;
    EXPECT_EQ(r.err.find("diffucoder: error: " + bad.substr(0, bad.find(' '))), 0u) << bad << ": " << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
  // The largest accepted values still run a correct program to its end.
  CliResult ok = sandbox_cli("--timeout 86400 --memory-mb 1048576", "print('ran')\n");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "ran\n");
}

TEST(SandboxCli, TimeoutExitCode) {
  CliResult r = sandbox_cli("--timeout 0.5 --no-namespaces", "while True:\n    pass\n");
  EXPECT_EQ(r.code, 124);
  EXPECT_EQ(r.err.rfind("sandbox: timeout, exit -1, ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("[process_group rlimits seccomp landlock read_allowlist]"), std::string::npos)
      << r.err;
}

TEST(SandboxCli, MissingFileIsOneLine) {
  CliResult r = sandbox_cli("/nonexistent/prog.py");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("diffucoder: error: /nonexistent/prog.py"), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

}  // namespace

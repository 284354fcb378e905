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
  EXPECT_EQ(r.out, "process_group rlimits seccomp landlock user_ns net_ns pid_ns mount_ns readonly_root\n");
}

TEST(SandboxCli, RequireIsolationRunsWhereEveryLayerWorks) {
  CliResult r = sandbox_cli("--require-isolation", "print('isolated')\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "isolated\n");
  EXPECT_NE(r.err.find("readonly_root]"), std::string::npos) << r.err;
  r = sandbox_cli("--require-isolation --no-namespaces", "print('x')\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "diffucoder: error: sandbox: --require-isolation and --no-namespaces contradict\n");
}

TEST(SandboxCli, RunsAFileWithStdin) {
  CliResult r = sandbox_cli("", "import sys\nprint(sys.stdin.read()[::-1])\nsys.exit(3)\n", "abc");
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "cba\n");
  EXPECT_EQ(r.err.rfind("sandbox: fail, exit 3, ", 0), 0u) << r.err;
}

TEST(SandboxCli, TimeoutExitCode) {
  CliResult r = sandbox_cli("--timeout 0.5 --no-namespaces", "while True:\n    pass\n");
  EXPECT_EQ(r.code, 124);
  EXPECT_EQ(r.err.rfind("sandbox: timeout, exit -1, ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("[process_group rlimits seccomp landlock]"), std::string::npos) << r.err;
}

TEST(SandboxCli, MissingFileIsOneLine) {
  CliResult r = sandbox_cli("/nonexistent/prog.py");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("diffucoder: error: /nonexistent/prog.py"), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

}  // namespace

// run_process: statuses, limits, environment, layers. Oracles are the programs' own known behaviour
// (exit codes, printed values) and the host's state after the run.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "sandbox/sandbox.h"

namespace dc::sandbox {
namespace {

const char* kPython = "/usr/bin/python3";

Job python_job(const std::string& code, bool namespaces = true) {
  Job j;
  j.argv = {kPython, "-I", "-B", "-c", code};
  j.limits.wall_seconds = 10;
  j.use_namespaces = namespaces;
  return j;
}

class Process : public ::testing::TestWithParam<bool> {};  // param: use namespaces

TEST(Layers, ProbeFindsEverythingOnThisMachine) {
  // SPEC §9: namespaces and seccomp work on these machines (root in CI and unprivileged users alike).
  Layers l = probe_layers();
  EXPECT_TRUE(l.process_group && l.rlimits);
  EXPECT_TRUE(l.seccomp) << l.describe();
  EXPECT_TRUE(l.landlock) << l.describe();
  EXPECT_TRUE(l.namespaces()) << l.describe();
  EXPECT_EQ(l.describe(),
            "process_group rlimits seccomp landlock user_ns net_ns pid_ns mount_ns readonly_root "
            "read_allowlist");
}

TEST(Layers, MissingLayersNamesWhatIsAbsent) {
  Layers all = probe_layers();
  EXPECT_EQ(missing_layers(all), "");
  EXPECT_NO_THROW(require_all_layers());  // everything works here (previous test)
  Layers some = all;
  some.landlock = false;
  some.net_ns = false;
  EXPECT_EQ(missing_layers(some), "landlock net_ns");
  EXPECT_EQ(missing_layers(Layers{}),
            "process_group rlimits seccomp landlock user_ns net_ns pid_ns mount_ns readonly_root "
            "read_allowlist");
}

TEST_P(Process, EchoesStdinAndReportsLayers) {
  Job j = python_job(
      "import sys; d = sys.stdin.read(); print(d.upper(), end=''); print('e', file=sys.stderr)", GetParam());
  j.stdin_data = "hello sandbox";
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "HELLO SANDBOX");
  EXPECT_EQ(r.err, "e\n");
  EXPECT_TRUE(r.layers.seccomp && r.layers.rlimits && r.layers.process_group);
  EXPECT_EQ(r.layers.namespaces(), GetParam()) << r.layers.describe();
}

TEST_P(Process, LargeStdinIsFedCompletely) {
  Job j = python_job("import sys; print(len(sys.stdin.buffer.read()))", GetParam());
  j.stdin_data = std::string(3 << 20, 'x');  // larger than any pipe buffer
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out, std::to_string(3 << 20) + "\n");
}

TEST_P(Process, NonZeroExitIsFail) {
  ProcessResult r = run_process(python_job("import sys; sys.exit(3)", GetParam()));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_EQ(r.exit_code, 3);
}

TEST_P(Process, SignalIsCrash) {
  ProcessResult r = run_process(python_job("import ctypes; ctypes.string_at(0)", GetParam()));
  EXPECT_EQ(r.status, Status::Crash) << r.err;
  EXPECT_EQ(r.term_signal, SIGSEGV);
}

TEST_P(Process, WallClockTimeoutKillsSleeper) {
  Job j = python_job("import time; time.sleep(30)", GetParam());
  j.limits.wall_seconds = 0.5;
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = run_process(j);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, Status::Timeout);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_GE(r.seconds, 0.5);
  EXPECT_LT(s, 5.0);  // generous tolerance: the point is that it did not run for 30 s
}

TEST_P(Process, CpuLimitStopsSpinner) {
  Job j = python_job("while True: pass", GetParam());
  j.limits.wall_seconds = 20;
  j.limits.cpu_seconds = 1;
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::Timeout);
  EXPECT_TRUE(r.term_signal == SIGXCPU || r.term_signal == SIGKILL) << r.term_signal;
}

TEST_P(Process, OutputCapStopsFlood) {
  Job j = python_job("import sys\nwhile True: sys.stdout.write('x' * 65536)", GetParam());
  j.limits.output_bytes = 100000;
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::OutputLimit);
  EXPECT_EQ(r.out.size(), 100000u);
}

TEST_P(Process, EnvironmentIsCleared) {
  setenv("DC_SANDBOX_SECRET", "leak", 1);
  ProcessResult r =
      run_process(python_job("import os; print(sorted(os.environ)); print(os.getcwd() == os.environ['HOME'] "
                             "== os.environ['TMPDIR'])",
                             GetParam()));
  unsetenv("DC_SANDBOX_SECRET");
  EXPECT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out.find("DC_SANDBOX_SECRET"), std::string::npos);
  EXPECT_EQ(r.out,
            "['HOME', 'LANG', 'LC_ALL', 'MKL_NUM_THREADS', 'OMP_NUM_THREADS', "
            "'OPENBLAS_NUM_THREADS', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'PYTHONHASHSEED', "
            "'PYTHONIOENCODING', 'TMPDIR']\nTrue\n");
}

TEST_P(Process, FilesAreInTheScratchDirectory) {
  Job j = python_job("print(open('a.txt').read() + open('b').read())", GetParam());
  j.files = {{"a.txt", "left "}, {"b", "right"}};
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out, "left right\n");
}

TEST_P(Process, NeverRunsAsRootAndHasNoCoreFiles) {
  ProcessResult r = run_process(python_job(
      "import os, resource; print(os.getuid(), os.geteuid(), resource.getrlimit(resource.RLIMIT_CORE))",
      GetParam()));
  EXPECT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out.rfind("0 ", 0), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(0, 0)"), std::string::npos) << r.out;
}

TEST(Process, ManyThreadsAtOnceDoNotMixUp) {
  // Sandboxes started concurrently from many threads (the child shares the caller's memory until its
  // execve): each must see its own stdin and files and report its own output.
  const int before = max_concurrent_sandboxes();
  set_max_concurrent_sandboxes(8);
  std::vector<std::thread> threads;
  std::vector<std::string> outs(24), expected(24);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 3; ++k) {
        const int id = t * 3 + k;
        Job j = python_job("import sys; print(sys.stdin.read() + open('f').read())", k % 2 == 0);
        j.stdin_data = "in" + std::to_string(id) + "-";
        j.files = {{"f", "file" + std::to_string(id)}};
        expected[size_t(id)] = "in" + std::to_string(id) + "-file" + std::to_string(id) + "\n";
        ProcessResult r = run_process(j);
        outs[size_t(id)] = r.status == Status::Ok ? r.out : std::string(status_name(r.status)) + ": " + r.err;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  set_max_concurrent_sandboxes(before);
  EXPECT_EQ(outs, expected);
}

TEST(Process, BadJobIsAUserError) {
  Job j;
  j.argv = {"python3", "-c", "pass"};
  EXPECT_THROW(run_process(j), Error);
  j.argv = {kPython};
  j.files = {{"../escape", "x"}};
  EXPECT_THROW(run_process(j), Error);
}

TEST(Process, MissingProgramIsSandboxError) {
  Job j;
  j.argv = {"/nonexistent/python"};
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::SandboxError);
  EXPECT_NE(r.err.find("execve"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Sandbox, Process, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Namespaces" : "NoNamespaces"; });

}  // namespace
}  // namespace dc::sandbox

// Adversarial programs: each attack must end with the right status and leave the host intact. The
// oracles are the host's own state after the run (the listener got no connection, the victim file still
// has its contents, the decoy process is alive, no process of the attack is left) and the errno the
// kernel gives the attack. Every case runs with and without the namespaces.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sandbox/sandbox.h"

namespace dc::sandbox {
namespace {

const char* kHarness = R"PY(
import ast
def run_test(ns, input_text):
    return repr(ns["f"](*ast.literal_eval(input_text)))
)PY";

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Host processes whose command line contains `marker`.
int processes_with(const std::string& marker) {
  int n = 0;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmd = read_all(std::string("/proc/") + e->d_name + "/cmdline");
    if (cmd.find(marker) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

std::string unique(const char* what) {
  return std::string(what) + "-" + std::to_string(getpid());
}

class Attack : public ::testing::TestWithParam<bool> {  // param: use namespaces
 protected:
  TestRunResult run(const std::string& program, std::vector<std::string> inputs, double per_test = 5) {
    TestRunRequest r;
    r.program = program;
    r.harness = kHarness;
    r.inputs = std::move(inputs);
    r.per_test_seconds.assign(r.inputs.size(), per_test);
    r.stop_at_first_failure = false;
    r.use_namespaces = GetParam();
    TestRunResult res = run_tests(r);
    EXPECT_EQ(res.program_status, Status::Ok) << res.program_error << res.stderr_tail;
    EXPECT_EQ(res.layers.namespaces(), GetParam());
    return res;
  }
  Job job(const std::string& code) {
    Job j;
    j.argv = {"/usr/bin/python3", "-I", "-B", "-c", code};
    j.use_namespaces = GetParam();
    return j;
  }
  // A directory and file of the host that the attacks aim at (root-owned 0755 when we are root), outside
  // /tmp so that the read-only view is what protects it. Removed by TearDown.
  std::string victim_dir() {
    victim_ = std::string(DC_BINARY_DIR) + "/" + unique("sandbox-victim") + (GetParam() ? "-ns" : "-nons");
    EXPECT_EQ(mkdir(victim_.c_str(), 0755), 0) << victim_;
    std::ofstream(victim_ + "/keep.txt") << "precious";
    return victim_;
  }
  void TearDown() override {
    if (victim_.empty()) return;
    unlink((victim_ + "/keep.txt").c_str());
    rmdir(victim_.c_str());
  }
  std::string victim_;
};

TEST_P(Attack, ConnectToLocalListener) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(l, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 16), 0);
  socklen_t len = sizeof a;
  getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);

  TestRunResult r =
      run("import socket\n"
          "def f(port, kind):\n"
          "    if kind == 'tcp':\n"
          "        socket.create_connection(('127.0.0.1', port), timeout=2)\n"
          "    elif kind == 'udp':\n"
          "        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', port))\n"
          "    else:\n"
          "        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
          "    return 'connected'\n",
          {"(" + std::to_string(port) + ", 'tcp')", "(" + std::to_string(port) + ", 'udp')", "(0, 'unix')"});
  for (const TestResult& t : r.tests) {
    EXPECT_EQ(t.status, Status::Fail);
    EXPECT_EQ(t.output.rfind("PermissionError", 0), 0u) << t.output;
  }
  EXPECT_LT(accept(l, nullptr, nullptr), 0);  // nothing ever connected
  EXPECT_EQ(errno, EAGAIN);
  close(l);
}

TEST_P(Attack, ForkBombWithoutForkAllowed) {
  TestRunResult r = run("import os\ndef f():\n    while True:\n        os.fork()\n", {"()"});
  EXPECT_EQ(r.tests[0].status, Status::Fail);
  EXPECT_EQ(r.tests[0].output, "PermissionError: [Errno 1] Operation not permitted");
  TestRunResult s = run("import os, subprocess\ndef f():\n    subprocess.run(['/bin/true'])\n", {"()"});
  EXPECT_EQ(s.tests[0].status, Status::Fail);
  EXPECT_EQ(s.tests[0].output.rfind("PermissionError", 0), 0u) << s.tests[0].output;
}

TEST_P(Attack, ExecAfterStartIsRefused) {
  TestRunResult r =
      run("import os\ndef f():\n    os.execv('/bin/sh', ['sh', '-c', 'echo escaped'])\n", {"()"});
  EXPECT_EQ(r.tests[0].status, Status::Fail);
  EXPECT_EQ(r.tests[0].output, "PermissionError: [Errno 1] Operation not permitted");
  EXPECT_EQ(r.stdout_head, "");
  // With processes allowed, a program may start others (still inside every other layer).
  Job j = job("import os\nos.execv('/bin/sh', ['sh', '-c', 'echo started'])\n");
  j.limits.max_processes = 2;
  ProcessResult p = run_process(j);
  EXPECT_EQ(p.status, Status::Ok) << p.err;
  EXPECT_EQ(p.out, "started\n");
}

TEST_P(Attack, ForkBombWithForkAllowedIsContainedAndCleanedUp) {
  if (!GetParam() && geteuid() != 0) {
    GTEST_SKIP() << "without a user namespace RLIMIT_NPROC counts all of this user's processes";
  }
  const std::string marker = unique("forkbomb-marker") + (GetParam() ? "-ns" : "-nons");
  Job j = job("# " + marker +
              "\nimport os, time\nn = 0\nwhile True:\n    try:\n        os.fork()\n"
              "    except OSError:\n        time.sleep(0.01)\n");
  j.limits.max_processes = 16;
  j.limits.wall_seconds = 1.5;
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::Timeout);
  EXPECT_EQ(processes_with(marker), 0);
}

TEST_P(Attack, DaemonIsKilledWhenTheProgramExits) {
  if (!GetParam() && geteuid() != 0) {
    GTEST_SKIP() << "without a user namespace RLIMIT_NPROC counts all of this user's processes";
  }
  const std::string marker = unique("daemon-marker") + (GetParam() ? "-ns" : "-nons");
  Job j = job("# " + marker +
              "\nimport os, time\nif os.fork() == 0:\n    try:\n        os.setsid()\n    except OSError:\n"
              "        pass\n    if os.fork() == 0:\n        time.sleep(100)\n    os._exit(0)\nprint('parent "
              "done')\n");
  j.limits.max_processes = 4;
  ProcessResult r = run_process(j);
  EXPECT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out, "parent done\n");
  EXPECT_LT(r.seconds, 5.0);
  EXPECT_EQ(processes_with(marker), 0);
}

TEST_P(Attack, TenGigabyteAllocation) {
  TestRunResult r = run("def f():\n    return len(bytearray(10 * 1024 ** 3))\n", {"()"});
  EXPECT_EQ(r.tests[0].status, Status::Oom);
  EXPECT_EQ(r.tests[0].output.rfind("MemoryError", 0), 0u) << r.tests[0].output;

  Job j = job("x = []\nwhile True:\n    x.append(bytearray(1 << 24))\n");
  j.limits.memory_bytes = 1ull << 30;
  ProcessResult p = run_process(j);
  EXPECT_EQ(p.status, Status::Oom) << p.err;
}

TEST_P(Attack, InfiniteLoopCatchingBaseException) {
  TestRunResult r =
      run("import signal\n"
          "def f():\n"
          "    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM, signal.SIGHUP):\n"
          "        signal.signal(s, signal.SIG_IGN)\n"
          "    while True:\n"
          "        try:\n"
          "            while True:\n"
          "                pass\n"
          "        except BaseException:\n"
          "            pass\n",
          {"()", "()"}, 1.0);
  EXPECT_EQ(r.tests[0].status, Status::Timeout);
  EXPECT_GE(r.tests[0].seconds, 1.0);
  EXPECT_LT(r.tests[0].seconds, 4.0);
  EXPECT_EQ(r.tests[1].status, Status::NotRun);
}

TEST_P(Attack, WriteOutsideScratch) {
  const std::string dir = victim_dir();
  const std::string tmp_file = "/tmp/" + unique("dc-sandbox-escape") + (GetParam() ? "-ns" : "-nons");
  TestRunResult r = run(
      "def f(path):\n    with open(path, 'w') as fh:\n        fh.write('pwned')\n    return 'written'\n",
      {"('" + dir + "/new.txt',)", "('" + dir + "/keep.txt',)", "('" + tmp_file + "',)", "('scratch.txt',)"});
  EXPECT_EQ(r.tests[0].status, Status::Fail);
  EXPECT_EQ(r.tests[1].status, Status::Fail);
  // With namespaces /tmp is the sandbox's own tmpfs (the write succeeds there); without, Landlock refuses.
  EXPECT_EQ(r.tests[2].status, GetParam() ? Status::Ok : Status::Fail) << r.tests[2].output;
  EXPECT_EQ(r.tests[3].status, Status::Ok) << r.tests[3].output;  // the scratch directory is writable
  struct stat st;
  EXPECT_NE(stat((dir + "/new.txt").c_str(), &st), 0);
  EXPECT_NE(stat(tmp_file.c_str(), &st), 0);
  unlink(tmp_file.c_str());  // only there if the test failed
  EXPECT_EQ(read_all(dir + "/keep.txt"), "precious");
}

TEST_P(Attack, DeleteFilesByAbsolutePath) {
  const std::string dir = victim_dir();
  TestRunResult r = run("import os\ndef f(path):\n    os.remove(path)\n", {"('" + dir + "/keep.txt',)"});
  EXPECT_EQ(r.tests[0].status, Status::Fail);
  EXPECT_EQ(read_all(dir + "/keep.txt"), "precious");
  TestRunResult g = run("import shutil\ndef f(path):\n    shutil.rmtree(path)\n", {"('" + dir + "',)"});
  EXPECT_EQ(g.tests[0].status, Status::Fail);
  TestRunResult h =
      run("import os\ndef f(path):\n    os.rename(path, path + '.moved')\n", {"('" + dir + "/keep.txt',)"});
  EXPECT_EQ(h.tests[0].status, Status::Fail);
  EXPECT_EQ(read_all(dir + "/keep.txt"), "precious");
}

TEST_P(Attack, SignalTheParent) {
  // A decoy process of the host, and the supervisor itself (if that worked, this test would die).
  pid_t decoy = fork();
  if (decoy == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(decoy, 0);
  TestRunResult r =
      run("import os, signal\n"
          "def f(target):\n"
          "    pid = os.getppid() if target == 'parent' else target\n"
          "    if pid == 0:\n"
          "        raise ProcessLookupError('no parent in sight')\n"
          "    os.kill(pid, signal.SIGKILL)\n"
          "    return 'sent'\n",
          {"('parent',)", "(" + std::to_string(getpid()) + ",)", "(" + std::to_string(-getpgrp()) + ",)",
           "(" + std::to_string(decoy) + ",)", "(-1,)"});
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.tests[i].status, Status::Fail) << i << ": " << r.tests[i].output;
    EXPECT_TRUE(r.tests[i].output.rfind("PermissionError", 0) == 0 ||
                r.tests[i].output.rfind("ProcessLookupError", 0) == 0)
        << r.tests[i].output;
  }
  // kill(-1) is refused without a pid namespace; inside one it can only reach the sandbox itself.
  if (!GetParam()) {
    EXPECT_EQ(r.tests[4].status, Status::Fail) << r.tests[4].output;
  }
  EXPECT_EQ(waitpid(decoy, nullptr, WNOHANG), 0);  // still alive
  kill(decoy, SIGKILL);
  waitpid(decoy, nullptr, 0);
}

TEST_P(Attack, PrintOneGigabyte) {
  TestRunResult r =
      run("import sys\ndef f():\n    chunk = 'x' * (1 << 20)\n    for _ in range(1024):\n"
          "        sys.stdout.write(chunk)\n    return 'done'\n",
          {"()", "()"}, 60);
  EXPECT_EQ(r.tests[0].status, Status::OutputLimit);
  EXPECT_EQ(r.tests[1].status, Status::NotRun);
  // Stopped at the cap (the status says so, not the time limit; no wall-clock bound is asserted, since
  // a loaded machine may take long for even the first megabyte).
  EXPECT_EQ(r.stdout_head.size(), size_t(1) << 20);
}

TEST_P(Attack, PrivilegedSystemCallsAreRefused) {
  // Raw calls through ctypes: each must return -1 with EPERM (unshare, mount, ptrace, setsid, bpf).
  TestRunResult r =
      run("import ctypes, os\n"
          "libc = ctypes.CDLL(None, use_errno=True)\n"
          "def f():\n"
          "    out = []\n"
          "    for rc in (libc.unshare(0x10000000), libc.mount(b'none', b'/tmp', b'tmpfs', 0, None),\n"
          "               libc.ptrace(0, 0, 0, 0), libc.setsid(), libc.syscall(321, 0, 0, 0)):\n"
          "        out.append((rc, ctypes.get_errno()))\n"
          "    return out\n",
          {"()"});
  EXPECT_EQ(r.tests[0].status, Status::Ok) << r.tests[0].output;
  EXPECT_EQ(r.tests[0].output, "[(-1, 1), (-1, 1), (-1, 1), (-1, 1), (-1, 1)]");
}

TEST_P(Attack, ScratchIsRemovedEvenWhenLockedDown) {
  // The program makes a read-only tree in its scratch directory and reports where it was. (Without
  // namespaces chmod is refused altogether; the tree is then left as it was made.)
  Job j =
      job("import os\nos.makedirs('a/b/c')\nopen('a/b/c/f', 'w').write('x')\n"
          "for d in ('a/b/c', 'a/b', 'a'):\n    try:\n        os.chmod(d, 0)\n    except PermissionError:\n"
          "        pass\nprint(os.getcwd())\n");
  ProcessResult r = run_process(j);
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  std::string cwd = r.out.substr(0, r.out.find('\n'));
  if (GetParam()) {
    EXPECT_EQ(cwd, "/tmp/sandbox");  // a tmpfs that died with the sandbox
  } else {
    struct stat st;
    EXPECT_NE(stat(cwd.c_str(), &st), 0) << cwd << " still exists";
  }
}

TEST_P(Attack, SeesOnlyItsOwnProcesses) {
  if (!GetParam()) GTEST_SKIP() << "needs the pid namespace";
  TestRunResult r = run(
      "import os\ndef f():\n    return sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n", {"()"});
  EXPECT_EQ(r.tests[0].output, "[1]");
}

INSTANTIATE_TEST_SUITE_P(Sandbox, Attack, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Namespaces" : "NoNamespaces"; });

}  // namespace
}  // namespace dc::sandbox

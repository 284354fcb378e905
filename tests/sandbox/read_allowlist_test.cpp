// The read allowlist: sandboxed code must not find the answers. Planted secrets of the host (a
// world-readable file, a 0600 file, a benchmark-like dataset holding a canonical solution, an
// expected-output cache) are looked for by known path and by walking the whole file system; the oracle
// is the host's own knowledge of where they are and what they contain. Also: System V IPC, metadata
// changes and the scratch caps of the no-namespace mode. Every case runs with and without namespaces.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "sandbox/sandbox.h"

namespace dc::sandbox {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& text, fs::perms mode) {
  std::ofstream(p, std::ios::binary) << text;
  fs::permissions(p, mode);
}

class ReadAllowlist : public ::testing::TestWithParam<bool> {  // param: use namespaces
 protected:
  void SetUp() override {
    marker_ = "dc-answer-" + std::to_string(getpid()) + (GetParam() ? "-ns" : "-nons");
    // Outside /tmp (the namespaces give /tmp a private tmpfs anyway): the project's build tree, as a
    // real checkout with its data and cache would be.
    root_ = fs::path(DC_BINARY_DIR) / ("allowlist-" + marker_);
    fs::create_directories(root_ / "data");
    fs::create_directories(root_ / "cache" / "expected");
    const fs::perms world =
        fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
    fs::permissions(root_, world | fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec);
    write_file(
        root_ / "data" / "HumanEvalPlus.jsonl",
        "{\"task_id\": \"HumanEval/0\", \"canonical_solution\": \"    return '" + marker_ + "'\\n\"}\n",
        world);
    write_file(root_ / "cache" / "expected" / "humaneval.json", "{\"HumanEval/0\": \"" + marker_ + "\"}",
               world);
    write_file(root_ / "private-0600", marker_, fs::perms::owner_read | fs::perms::owner_write);
    write_file(root_ / "public-0644", marker_, world);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A program that prints, one per line, "open PATH ERRNAME" for every planted path, then (walk) "found
  // PATH" for every file outside /usr, /proc and /sys that holds the marker, then "walked N". The walk is
  // only bounded through the allowlist: unrestricted, it would read the whole host.
  std::string attack(bool walk = true) const {
    std::string marker_reversed(marker_.rbegin(), marker_.rend());  // so that the program text lacks it
    return "import os, errno\n"
           "marker = '" +
           marker_reversed +
           "'[::-1].encode()\n"
           "root = '" +
           root_.string() +
           "'\n"
           "for rel in ['data/HumanEvalPlus.jsonl', 'cache/expected/humaneval.json', 'private-0600',\n"
           "            'public-0644', 'data', '']:\n"
           "    p = os.path.join(root, rel)\n"
           "    try:\n"
           "        if os.path.isdir(p): os.listdir(p)\n"
           "        else: open(p, 'rb').read()\n"
           "        print('open', p, 'OK')\n"
           "    except OSError as e:\n"
           "        print('open', p, errno.errorcode.get(e.errno, e.errno))\n"
           "if not " +
           std::string(walk ? "True" : "False") +
           ": raise SystemExit(0)\n"
           "n = 0\n"
           "for d, dirs, files in os.walk('/'):\n"
           "    if d == '/': dirs[:] = [x for x in dirs if x not in ('usr', 'proc', 'sys')]\n"
           "    for f in files:\n"
           "        p = os.path.join(d, f)\n"
           "        try:\n"
           "            if not os.path.isfile(p) or os.path.islink(p): continue\n"
           "            with open(p, 'rb') as fh: data = fh.read(1 << 20)\n"
           "        except OSError:\n"
           "            continue\n"
           "        n += 1\n"
           "        if marker in data: print('found', p)\n"
           "print('walked', n)\n";
  }

  Job job(const std::string& code) const {
    Job j;
    j.argv = {"/usr/bin/python3", "-I", "-B", "-c", code};
    j.use_namespaces = GetParam();
    j.limits.wall_seconds = 60;
    return j;
  }

  std::string marker_;
  fs::path root_;
};

TEST_P(ReadAllowlist, LayersReportTheAllowlist) {
  ProcessResult r = run_process(job("pass"));
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_TRUE(r.layers.read_allowlist) << r.layers.describe();
  EXPECT_EQ(r.layers.namespaces(), GetParam());
}

TEST_P(ReadAllowlist, PlantedAnswersCannotBeReadOrFound) {
  // The host can read all of them (the oracle that they exist and hold the marker).
  std::ifstream f(root_ / "public-0644");
  std::string host_view((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_EQ(host_view, marker_);

  ProcessResult r = run_process(job(attack()));
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out.find(" OK\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("found "), std::string::npos) << r.out;
  // Six planted paths, each refused: absent with namespaces, EACCES from Landlock without.
  const std::string expected_error = GetParam() ? " ENOENT\n" : " EACCES\n";
  size_t refused = 0;
  for (size_t at = r.out.find(expected_error); at != std::string::npos;
       at = r.out.find(expected_error, at + 1)) {
    ++refused;
  }
  EXPECT_EQ(refused, 6u) << r.out;
  EXPECT_NE(r.out.find("walked "), std::string::npos) << r.out;
}

TEST_P(ReadAllowlist, TheUnrestrictedViewWouldLeak) {
  // The same attack with the allowlist switched off finds the world-readable answers: the attack works,
  // so its failure above is the allowlist's doing.
  // The unrestricted view still gives /tmp a private tmpfs under namespaces: a checkout under /tmp
  // cannot be seen from there, so the oracle cannot run (the allowlist tests above still do).
  if (GetParam() && root_.string().rfind("/tmp/", 0) == 0)
    GTEST_SKIP() << "the build tree is under /tmp, which the namespaces hide: " << root_;
  Job j = job(attack(/*walk=*/false));
  j.restrict_reads = false;
  ProcessResult r = run_process(j);
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_NE(r.out.find("public-0644 OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HumanEvalPlus.jsonl OK"), std::string::npos) << r.out;
}

TEST_P(ReadAllowlist, TheSupervisorsProcessIsOutOfSight) {
  // Its command line (paths of the data, the model) and its memory maps: /proc shows only the sandbox
  // (namespaces) or only the program's own entries (Landlock).
  ProcessResult r =
      run_process(job("import os\n"
                      "for p in [f'/proc/{os.getppid()}/cmdline', '/proc/1/cmdline', '/proc/self/cmdline']:\n"
                      "    try:\n"
                      "        open(p, 'rb').read(); print(p.split('/')[2], 'read')\n"
                      "    except OSError as e:\n"
                      "        print(p.split('/')[2], type(e).__name__)\n"));
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  if (GetParam()) {
    // getppid() is 0 in the pid namespace, whose pid 1 is the program itself.
    EXPECT_EQ(r.out, "0 FileNotFoundError\n1 read\nself read\n");
  } else {
    EXPECT_EQ(r.out, std::to_string(getpid()) + " PermissionError\n1 PermissionError\nself read\n");
  }
}

TEST_P(ReadAllowlist, TheInterpreterAndItsLibrariesWork) {
  ProcessResult r = run_process(
      job("import json, re, decimal, ctypes, hashlib, datetime, time, os\n"
          "print(json.dumps([re.sub('a', 'b', 'aa'), str(decimal.Decimal(1) / 8), len(os.urandom(8)),\n"
          "                  hashlib.sha256(b'').hexdigest()[:8], time.localtime().tm_year > 2000]))\n"
          "open('/dev/null', 'w').write('x')\n"));
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out, "[\"bb\", \"0.125\", 8, \"e3b0c442\", true]\n");
}

TEST_P(ReadAllowlist, SystemVIpcIsRefused) {
  ProcessResult r =
      run_process(job("import ctypes, os\n"
                      "libc = ctypes.CDLL(None, use_errno=True)\n"
                      "out = []\n"
                      "for name, args in [('shmget', (0, 4096, 0o1600)), ('msgget', (0, 0o1600)), ('semget', "
                      "(0, 1, 0o1600))]:\n"
                      "    rc = getattr(libc, name)(*args)\n"
                      "    out.append(f'{name} {rc} {os.strerror(ctypes.get_errno()) if rc < 0 else \"\"}')\n"
                      "print('\\n'.join(out))\n"));
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  EXPECT_EQ(r.out,
            "shmget -1 Operation not permitted\nmsgget -1 Operation not permitted\n"
            "semget -1 Operation not permitted\n");
}

TEST_P(ReadAllowlist, MetadataChangesAreRefusedWithoutNamespaces) {
  // The program owns this file (it created it in its scratch directory), so only a rule of the sandbox
  // can refuse the change; with namespaces everything outside the scratch is on a read-only mount.
  ProcessResult r = run_process(
      job("import os\n"
          "open('own', 'w').close()\n"
          "def attempt(f):\n"
          "    try:\n"
          "        f(); return 'ok'\n"
          "    except OSError as e:\n"
          "        return e.strerror\n"
          "print(attempt(lambda: os.chmod('own', 0o777)), attempt(lambda: os.utime('own', (1, 1))),\n"
          "      attempt(lambda: os.setxattr('own', 'user.x', b'1')), attempt(lambda: os.chmod('/usr/bin', "
          "0o777)))\n"));
  ASSERT_EQ(r.status, Status::Ok) << r.err;
  if (GetParam()) {
    // setxattr on tmpfs may be unsupported for the user namespace; chmod of /usr fails read-only.
    EXPECT_EQ(r.out.rfind("ok ok ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("Read-only file system\n"), std::string::npos) << r.out;
  } else {
    EXPECT_EQ(r.out,
              "Operation not permitted Operation not permitted Operation not permitted Operation not "
              "permitted\n");
  }
}

TEST_P(ReadAllowlist, ScratchIsCappedInSizeAndFileCount) {
  Job j =
      job("import os, sys\n"
          "mode = sys.argv[1]\n"
          "try:\n"
          "    if mode == 'bytes':\n"
          "        for i in range(8):\n"
          "            with open(f'big{i}', 'wb') as f: f.write(b'x' * (3 << 20))\n"
          "    else:\n"
          "        for i in range(6000): open(f'f{i}', 'w').close()\n"
          "    print('wrote all')\n"
          "except OSError as e:\n"
          "    print('refused', e.strerror)\n"
          "import time; time.sleep(2)\n");
  j.limits.file_bytes = 4 << 20;  // scratch: 4 x 4 MiB + 1 MiB, below the 24 MiB written
  for (const char* mode : {"bytes", "files"}) {
    Job m = j;
    m.argv.push_back(mode);
    ProcessResult r = run_process(m);
    if (GetParam()) {
      EXPECT_EQ(r.status, Status::Ok) << mode << r.err;  // the private tmpfs refuses the writes
      EXPECT_EQ(r.out.rfind("refused No space left on device", 0), 0u) << mode << r.out;
    } else {
      EXPECT_EQ(r.status, Status::OutputLimit) << mode << r.out << r.err;  // the supervisor stops it
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sandbox, ReadAllowlist, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "namespaces" : "no_namespaces"; });

}  // namespace
}  // namespace dc::sandbox

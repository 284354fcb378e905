// Sandbox for untrusted generated code (SPEC §9): run a program under limits and report what happened.
//
// Layers, all applied to every run (each result records which were active):
//  1. Always: a fresh session and process group, a wall-clock deadline after which the whole group is
//     killed (SIGKILL), rlimits (CPU, address space, file size, open files, processes, core = 0), a cleared
//     environment, a scratch directory as the working directory that is removed afterwards, stdout and
//     stderr capped. Root is never kept: as root each concurrent sandbox runs as its own unprivileged uid.
//  2. seccomp (libseccomp): no sockets (socketpair is allowed), ptrace, mount, namespaces, kexec, bpf,
//     keyrings, io_uring, setsid/setpgid, signals to the supervising process; with max_processes == 0 no
//     fork and no execve after the program has started either (threads are allowed).
//  3. Landlock, where the kernel has it: reads only of the read allowlist (below), writes only beneath
//     the scratch directory (and /dev/null), no TCP, no signals to processes outside the sandbox.
//     Without namespaces this is what protects the host's files and the answers.
//  4. When the start-up probe says they work: new user + network + pid + mount namespaces. No network
//     interface is up, the root is a fresh read-only tmpfs holding only the read allowlist (bind mounts)
//     and a private size-limited tmpfs on /tmp that holds the scratch directory, /proc shows only the
//     sandbox's own processes, and when the first process exits the kernel kills everything else.
// The read allowlist (read_allowlist.h): the interpreter's prefix /usr and its links (/bin, /lib, ...),
// /etc/ld.so.cache, /etc/localtime, /dev/null, /dev/zero, /dev/random, /dev/urandom, the scratch
// directory and the sandbox's own /proc. Benchmark files, expected-output caches and the caller's files
// are not on it, so generated code cannot read the answers (layers 3 and 4 each enforce it alone).
// Without namespaces (layer 4 missing) the scratch directory is also capped in total size and file count
// by the supervisor, as the private tmpfs caps it with them.
//
// What the sandbox does not do: compare outputs. A program shares its interpreter with the harness, so it
// can see and forge anything the harness computes; the judge must compare `TestResult::output` with the
// expected value outside the sandbox (SPEC §8, "Reward hacking").
//
// Thread safety: every function here may be called from many threads at once. At most one sandbox per
// core runs at any moment in this process (a process-wide limit; callers beyond it wait), because the
// limits are wall-clock. Starting a sandbox does not copy the caller's address space (the child shares it
// until its execve, like posix_spawn), so a caller holding a loaded model starts sandboxes as fast as a
// small one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dc::sandbox {

// Ok: exited 0 / the test returned normally. Fail: non-zero exit / the test raised. Timeout: wall-clock
// or CPU limit. Crash: killed by a signal or exited while a test ran. Oom: MemoryError / address-space
// limit. OutputLimit: more than Limits::output_bytes on stdout or stderr, or a result larger than that.
// SandboxError: the sandbox itself failed or the driver protocol was violated. NotRun: a test that was
// never started (an earlier test failed with stop_at_first_failure, or the process died before it).
enum class Status { Ok, Fail, Timeout, Crash, Oom, OutputLimit, SandboxError, NotRun };
const char* status_name(Status);  // "ok", "fail", "timeout", "crash", "oom", "output_limit", ...

// The longest time limit a run accepts (about 11.6 days): far beyond any test, and far below the values
// whose conversion to clock ticks or rlimits would overflow.
inline constexpr double kMaxSeconds = 1e6;

struct Limits {
  double wall_seconds = 10;  // whole run (run_process); interpreter start + program load (run_tests)
  double cpu_seconds = 0;    // RLIMIT_CPU for the whole run; 0: total wall-clock budget + 1 s
  uint64_t memory_bytes = 4ull << 30;  // RLIMIT_AS
  uint64_t output_bytes = 1 << 20;     // cap for stdout and for stderr each, and for one test result
  int max_processes = 0;           // 0: no fork/exec (seccomp); N > 0: at most N more tasks (RLIMIT_NPROC)
  uint64_t file_bytes = 16 << 20;  // RLIMIT_FSIZE; the private /tmp holds 4x this
  int open_files = 64;             // RLIMIT_NOFILE
};

// What the scratch directory may hold in all (the private tmpfs's size and inode count, or the
// supervisor's cap without namespaces): 4x file_bytes plus the files the caller put there plus 1 MiB.
uint64_t scratch_bytes(const Limits&, uint64_t files_total);
constexpr uint64_t kScratchFiles = 4096;

struct Layers {
  bool process_group = false, rlimits = false, seccomp = false, landlock = false, user_ns = false,
       net_ns = false, pid_ns = false, mount_ns = false, readonly_root = false, read_allowlist = false;
  // e.g. "process_group rlimits seccomp landlock user_ns net_ns pid_ns mount_ns readonly_root
  // read_allowlist"
  std::string describe() const;
  bool namespaces() const { return user_ns && net_ns && pid_ns && mount_ns && readonly_root; }
};

// What works on this machine, probed once (the first call spawns a few trivial sandboxes) and cached.
Layers probe_layers();

// The layers that `have` lacks, space-separated in describe()'s order ("" when it has all of them).
std::string missing_layers(const Layers& have);

// For callers that must not run untrusted code with less than full isolation (eval --require-isolation,
// reinforcement learning): throws dc::Error naming the missing layers unless probe_layers() has them all.
void require_all_layers();

// ---- Low level: one process ------------------------------------------------------------------------
// argv[0] must be an absolute path. `files` (flat names, no '/') are written into a fresh scratch
// directory, which is the working directory, HOME and TMPDIR. stdin is fed from stdin_data.
struct Job {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> files;  // (name, contents)
  std::string stdin_data;
  Limits limits;
  bool use_namespaces = true;  // false: only layers 1-3, even where namespaces work (tests, comparisons)
  bool restrict_reads = true;  // false: the whole file system readable; only to measure the allowlist's cost
};

struct ProcessResult {
  Status status = Status::SandboxError;
  int exit_code = -1;    // when it exited, else -1
  int term_signal = 0;   // when a signal ended it (including our SIGKILL), else 0
  std::string out, err;  // at most limits.output_bytes each
  double seconds = 0;    // wall clock from start to the end of the process
  Layers layers;         // what was active for this run
};

// Throws dc::Error for a malformed job (relative argv[0], bad file name, a time limit that is not a finite
// number of seconds in (0, kMaxSeconds]); everything the program does is reported in the result.
ProcessResult run_process(const Job&);

// ---- High level: a program and a list of test inputs ----------------------------------------------
// The interpreter is /usr/bin/python3 (-I -B: isolated, no bytecode files). A driver inside the sandbox
//  1. exec()s `harness` (trusted source text) into its own namespace; it must define
//       run_test(ns: dict, input_text: str) -> str
//  2. exec()s `program` (untrusted source text) once into a fresh namespace `ns` whose __name__ is
//     "__program__" (so `if __name__ == "__main__":` blocks do not run); stdin is /dev/null.
//  3. for each input in order calls run_test(ns, input) and reports the result on a private
//     length-prefixed channel (not stdout, which the program may flood).
// Convention for run_test: return a str (typically the serialised value the entry point returned; the
// judge compares it outside) for Status::Ok; raise to report Status::Fail: the output is then
// "ExceptionType: message" (MemoryError gives Status::Oom). A non-str return value is a Fail.
// The supervisor enforces per_test_seconds[i] (missing entries: limits.wall_seconds) on each test's wall
// clock; a test that exceeds it ends the whole run (the group is killed): it is Timeout, later tests
// are NotRun. With stop_at_first_failure, tests after the first non-Ok one are NotRun.
struct TestResult {
  Status status = Status::NotRun;
  std::string output;  // run_test's return value (Ok) or "ExceptionType: message" (Fail / Oom)
  double seconds = 0;  // wall clock of this test, measured by the supervisor
};

// A cap on the wall clock of consecutive tests [begin, end) together, counted from the start of test
// `begin` (EvalPlus caps each of its checks, base and plus, this way). The test that is running when the
// cap runs out is a Timeout ("time cap of the tests ... ran out") and the run ends.
struct TimeCap {
  size_t begin = 0, end = 0;
  double seconds = 0;
};

struct TestRunRequest {
  std::string program, harness;
  std::vector<std::string> inputs;
  std::vector<double> per_test_seconds;
  std::vector<TimeCap> time_caps;  // non-overlapping; tests outside every cap have only their own limit
  bool stop_at_first_failure = true;
  Limits limits;
  bool use_namespaces = true;
};

struct TestRunResult {
  std::vector<TestResult> tests;                 // one per input, always inputs.size() entries
  Status program_status = Status::SandboxError;  // Ok: the program loaded; Fail: it raised while loading
                                                 // (SyntaxError, ...); else how the process ended early
  std::string program_error;                     // "ExceptionType: message" when the program failed to load
  std::string stdout_head, stderr_tail;          // what the program printed (capped), for reports
  double seconds = 0;
  Layers layers;
};

// Throws dc::Error for a malformed request (as run_process, and for per-test limits or time caps that are
// not finite numbers of seconds in [0, kMaxSeconds] or caps outside the inputs).
TestRunResult run_tests(const TestRunRequest&);

// ---- Many requests ---------------------------------------------------------------------------------
// progress(done, total) is called (from worker threads, serialised) after each request finishes.
using ProgressFn = std::function<void(size_t done, size_t total)>;

class Pool {
 public:
  // workers <= 0: one per core. Never more than the cores run at once (see the thread-safety note).
  explicit Pool(int workers = 0);
  int workers() const { return workers_; }
  // Results in request order.
  std::vector<TestRunResult> run_all(const std::vector<TestRunRequest>&, ProgressFn progress = {});

 private:
  int workers_;
};

// The process-wide cap on concurrent sandboxes (default: the number of cores). Tests lower it.
int max_concurrent_sandboxes();
void set_max_concurrent_sandboxes(int n);

}  // namespace dc::sandbox

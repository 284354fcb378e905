// run_process, the start-up probe, the process-wide limit on concurrent sandboxes, names.
#include "sandbox/sandbox.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "sandbox/landlock.h"
#include "sandbox/limits_check.h"
#include "sandbox/sandbox_internal.h"
#include "sandbox/scratch.h"
#include "sandbox/supervisor.h"

namespace dc::sandbox {

const char* status_name(Status s) {
  switch (s) {
    case Status::Ok:
      return "ok";
    case Status::Fail:
      return "fail";
    case Status::Timeout:
      return "timeout";
    case Status::Crash:
      return "crash";
    case Status::Oom:
      return "oom";
    case Status::OutputLimit:
      return "output_limit";
    case Status::SandboxError:
      return "sandbox_error";
    case Status::NotRun:
      return "not_run";
  }
  return "unknown";
}

uint64_t scratch_bytes(const Limits& limits, uint64_t files_total) {
  return 4 * limits.file_bytes + files_total + (1u << 20);
}

std::string Layers::describe() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(process_group, "process_group");
  add(rlimits, "rlimits");
  add(seccomp, "seccomp");
  add(landlock, "landlock");
  add(user_ns, "user_ns");
  add(net_ns, "net_ns");
  add(pid_ns, "pid_ns");
  add(mount_ns, "mount_ns");
  add(readonly_root, "readonly_root");
  add(read_allowlist, "read_allowlist");
  return s.empty() ? "none" : s;
}

std::string missing_layers(const Layers& have) {
  Layers absent;
  absent.process_group = !have.process_group;
  absent.rlimits = !have.rlimits;
  absent.seccomp = !have.seccomp;
  absent.landlock = !have.landlock;
  absent.user_ns = !have.user_ns;
  absent.net_ns = !have.net_ns;
  absent.pid_ns = !have.pid_ns;
  absent.mount_ns = !have.mount_ns;
  absent.readonly_root = !have.readonly_root;
  absent.read_allowlist = !have.read_allowlist;
  const std::string s = absent.describe();
  return s == "none" ? std::string() : s;
}

void require_all_layers() {
  const std::string missing = missing_layers(probe_layers());
  if (!missing.empty())
    throw_error("sandbox: isolation required but these layers do not work on this machine: {}", missing);
}

// ---- the process-wide cap on concurrent sandboxes ----
namespace {

// Concurrency slots, and for each running sandbox an id in [0, kIds) that picks its host uid when we are
// root. Ids rotate instead of being reused at once: processes a sandbox leaves behind as zombies (without a
// pid namespace they are reparented to init, which may reap them lazily) still count towards
// RLIMIT_NPROC of their uid for a moment.
constexpr int kIds = 256;

struct Slots {
  std::mutex mu;
  std::condition_variable cv;
  int limit = std::clamp(int(std::thread::hardware_concurrency()), 1, kIds);
  int used = 0;
  std::vector<bool> busy = std::vector<bool>(kIds, false);
  int next = 0;
};

Slots& slots() {
  static Slots s;
  return s;
}

}  // namespace

int max_concurrent_sandboxes() {
  std::lock_guard<std::mutex> lock(slots().mu);
  return slots().limit;
}

void set_max_concurrent_sandboxes(int n) {
  Slots& s = slots();
  std::lock_guard<std::mutex> lock(s.mu);
  s.limit = std::clamp(n, 1, kIds);
  s.cv.notify_all();
}

namespace detail {

SlotGuard::SlotGuard() {
  Slots& s = slots();
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait(lock, [&] { return s.used < s.limit; });
  ++s.used;
  while (s.busy[size_t(s.next)]) s.next = (s.next + 1) % kIds;  // used <= limit <= kIds: one is free
  index_ = s.next;
  s.busy[size_t(index_)] = true;
  s.next = (s.next + 1) % kIds;
}

SlotGuard::~SlotGuard() {
  Slots& s = slots();
  std::lock_guard<std::mutex> lock(s.mu);
  --s.used;
  s.busy[size_t(index_)] = false;
  s.cv.notify_one();
}

std::vector<std::string> sandbox_env(const std::string& workdir) {
  return {"PATH=/usr/local/bin:/usr/bin:/bin",
          "HOME=" + workdir,
          "TMPDIR=" + workdir,
          "LANG=C.UTF-8",
          "LC_ALL=C.UTF-8",
          "PYTHONHASHSEED=0",
          "PYTHONDONTWRITEBYTECODE=1",
          "PYTHONIOENCODING=utf-8",
          "OMP_NUM_THREADS=1",
          "OPENBLAS_NUM_THREADS=1",
          "MKL_NUM_THREADS=1"};
}

Prepared::~Prepared() {
  if (!host_scratch.empty()) remove_tree(host_scratch);
}

void prepare(Prepared& p, int slot, const std::vector<std::string>& argv,
             const std::vector<std::pair<std::string, std::string>>& files, const Limits& limits,
             double cpu_seconds, bool use_namespaces, bool restrict_reads, bool channel) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    throw_error("sandbox: the program path must be absolute, got '{}'", argv.empty() ? "" : argv[0]);
  }
  for (const auto& f : files) {
    if (!valid_file_name(f.first))
      throw_error("sandbox: bad scratch file name '{}' (flat names only)", f.first);
  }
  const Layers probed = probe_layers();
  SpawnSpec& s = p.spec;
  s.argv = argv;
  s.limits = limits;
  s.cpu_seconds = cpu_seconds;
  s.namespaces = use_namespaces && probed.namespaces();
  s.seccomp = probed.seccomp;
  s.landlock = probed.landlock;
  s.restrict_reads = restrict_reads;
  s.channel = channel;
  s.slot = slot;
  if (s.namespaces) {
    s.files = files;
    s.env = sandbox_env(kNamespaceScratch);
  } else {
    p.host_scratch = make_host_scratch(files, geteuid() == 0 ? int(host_id_for_slot(slot)) : -1);
    s.host_scratch = p.host_scratch;
    s.env = sandbox_env(p.host_scratch);
  }
}

// How a process that was not stopped by us ended.
Status classify_exit(int wait_status, double cpu_used, double cpu_limit, const std::string& err) {
  if (WIFEXITED(wait_status)) {
    if (WEXITSTATUS(wait_status) == 0) return Status::Ok;
    // CPython prints the traceback and exits 1 on an uncaught MemoryError.
    size_t end = err.find_last_not_of("\r\n ");
    size_t line = end == std::string::npos ? std::string::npos : err.rfind('\n', end);
    std::string last = end == std::string::npos ? "" : err.substr(line == std::string::npos ? 0 : line + 1);
    if (last.rfind("MemoryError", 0) == 0) return Status::Oom;
    return Status::Fail;
  }
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    if (sig == SIGXCPU) return Status::Timeout;
    // SIGKILL we did not send: the RLIMIT_CPU hard limit, or the kernel's OOM killer.
    if (sig == SIGKILL) return cpu_used + 0.5 >= cpu_limit ? Status::Timeout : Status::Oom;
    return Status::Crash;
  }
  return Status::SandboxError;
}

}  // namespace detail

// ---- the start-up probe ----
Layers probe_layers() {
  static std::once_flag once;
  static Layers layers;
  std::call_once(once, [] {
    auto attempt = [](bool namespaces, bool seccomp, bool landlock) -> bool {
      detail::SpawnSpec s;
      s.argv = {"/bin/true"};
      s.host_scratch = "/tmp";
      s.namespaces = namespaces;
      s.seccomp = seccomp;
      s.landlock = landlock;
      s.probe = true;
      try {
        detail::Spawned c = detail::spawn(s);
        detail::Supervisor sup(c, "", 1 << 10);
        sup.wait(detail::Clock::now() + std::chrono::seconds(10));
        sup.kill_and_reap();
        return WIFEXITED(sup.wait_status()) && WEXITSTATUS(sup.wait_status()) == 0;
      } catch (const Error&) {
        return false;
      }
    };
    // Each optional layer on its own, then all that passed together (kept only if that works too).
    layers.process_group = layers.rlimits = true;
    const bool ns = attempt(true, false, false);
    const bool sc = attempt(false, true, false);
    const bool ll = detail::landlock_abi() > 0 && attempt(false, false, true);
    if (attempt(ns, sc, ll)) {
      layers.seccomp = sc;
      layers.landlock = ll;
      layers.user_ns = layers.net_ns = layers.pid_ns = layers.mount_ns = layers.readonly_root = ns;
      layers.read_allowlist = ns || ll;
    }
  });
  return layers;
}

ProcessResult run_process(const Job& job) {
  detail::check_limits(job.limits);  // before any conversion of the limits
  detail::SlotGuard slot;
  const double cpu = job.limits.cpu_seconds > 0 ? job.limits.cpu_seconds : job.limits.wall_seconds + 1;
  detail::Prepared prep;
  detail::prepare(prep, slot.index(), job.argv, job.files, job.limits, cpu, job.use_namespaces,
                  job.restrict_reads, false);

  ProcessResult r;
  const auto t0 = detail::Clock::now();
  detail::Spawned child;
  try {
    child = detail::spawn(prep.spec);
  } catch (const Error& e) {
    r.status = Status::SandboxError;
    r.err = e.what();
    return r;
  }
  r.layers = child.layers;
  detail::Supervisor sup(child, job.stdin_data, job.limits.output_bytes);
  if (!prep.host_scratch.empty()) {
    uint64_t files_total = 0;
    for (const auto& f : job.files) files_total += f.second.size();
    sup.watch_scratch(prep.host_scratch, scratch_bytes(job.limits, files_total), kScratchFiles);
  }
  const auto deadline = t0 + std::chrono::duration_cast<detail::Clock::duration>(
                                 std::chrono::duration<double>(job.limits.wall_seconds));
  Status stopped = Status::Ok;  // Ok: we did not stop it
  for (;;) {
    detail::Supervisor::Event ev = sup.wait(deadline);
    if (ev == detail::Supervisor::Event::Exited) break;
    if (ev == detail::Supervisor::Event::Overflow) {
      stopped = Status::OutputLimit;
      break;
    }
    if (ev == detail::Supervisor::Event::Deadline) {
      stopped = Status::Timeout;
      break;
    }
  }
  sup.kill_and_reap();
  r.seconds = std::chrono::duration<double>(detail::Clock::now() - t0).count();
  const int ws = sup.wait_status();
  if (WIFEXITED(ws)) r.exit_code = WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) r.term_signal = WTERMSIG(ws);
  r.out = sup.out();
  r.err = sup.err();
  if (sup.overflowed()) stopped = Status::OutputLimit;
  r.status = stopped != Status::Ok ? stopped : detail::classify_exit(ws, sup.cpu_seconds(), cpu, r.err);
  return r;
}

}  // namespace dc::sandbox

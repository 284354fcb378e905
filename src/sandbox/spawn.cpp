// Starting one sandboxed process: clone() with the namespace flags, the child's set-up, the uid/gid maps
// written by the supervisor. See spawn.h for the order of the child's steps and why they are raw calls.
#include "sandbox/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "sandbox/landlock.h"
#include "sandbox/read_allowlist.h"
#include "sandbox/seccomp_filter.h"

// Sanitizer runtimes keep per-thread state that a CLONE_VM child on its own stack would corrupt.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DC_SANDBOX_SHARED_VM 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define DC_SANDBOX_SHARED_VM 0
#endif
#endif
#ifndef DC_SANDBOX_SHARED_VM
#define DC_SANDBOX_SHARED_VM 1
#endif

namespace dc::sandbox::detail {
namespace {

enum Step : int {
  kStepFds = 1,
  kStepSync,
  kStepSetsid,
  kStepMountPrivate,
  kStepRoot,
  kStepReadonly,
  kStepTmpfs,
  kStepProc,
  kStepGroups,
  kStepGid,
  kStepUid,
  kStepDeathSignal,
  kStepScratch,
  kStepFiles,
  kStepChdir,
  kStepRlimit,
  kStepNoNewPrivs,
  kStepLandlock,
  kStepSeccomp,
  kStepExec,
};

const char* step_name(int step) {
  switch (step) {
    case kStepFds:
      return "setting up file descriptors";
    case kStepSync:
      return "waiting for the uid/gid maps";
    case kStepSetsid:
      return "setsid";
    case kStepMountPrivate:
      return "making mounts private";
    case kStepRoot:
      return "building the sandbox's root from the read allowlist";
    case kStepReadonly:
      return "remounting / read-only";
    case kStepTmpfs:
      return "mounting the private /tmp";
    case kStepProc:
      return "mounting /proc";
    case kStepGroups:
      return "dropping supplementary groups";
    case kStepGid:
      return "setresgid";
    case kStepUid:
      return "setresuid";
    case kStepDeathSignal:
      return "PR_SET_PDEATHSIG";
    case kStepScratch:
      return "creating the scratch directory";
    case kStepFiles:
      return "writing the scratch files";
    case kStepChdir:
      return "entering the scratch directory";
    case kStepRlimit:
      return "setting rlimits";
    case kStepNoNewPrivs:
      return "PR_SET_NO_NEW_PRIVS";
    case kStepLandlock:
      return "applying the Landlock ruleset";
    case kStepSeccomp:
      return "loading the seccomp filter";
    case kStepExec:
      return "execve";
  }
  return "unknown step";
}

// Fixed fd numbers in the child: 0..2 std streams, 3 the channel, 4 the error pipe, 5 the sync pipe.
constexpr int kErrorFd = 4, kSyncFd = 5;

struct ChildFile {
  std::string path;  // absolute path inside the namespaces
  const std::string* data;
};

// struct sigaction as the rt_sigaction system call takes it (not libc's layout).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};

struct RLimit {
  int resource;
  rlimit value;
};

// Everything the child reads, prepared by the parent before clone().
struct ChildArgs {
  const SpawnSpec* spec;
  std::string exec_path;          // the pointer execve gets is baked into the seccomp filter
  std::vector<char*> argv, envp;  // null-terminated
  std::vector<sock_filter> filter;
  std::vector<ChildFile> files;
  std::vector<RLimit> rlimits;
  std::string tmpfs_options;
  const char* workdir;
  sock_fprog prog{};
  bool use_seccomp;
  LandlockPlan landlock;
  std::vector<LandlockRule> landlock_rules;
  RootPlan root;  // namespaces with restrict_reads
  int stdin_r, stdout_w, stderr_w, channel_w, error_w, sync_r;
  pid_t parent;
  bool set_ids;                      // change uid/gid before execve
  unsigned uid, gid;                 // in the child's user namespace (or the host's without namespaces)
  KernelSigaction default_action{};  // SIG_DFL, no flags, empty mask
  uint64_t empty_mask = 0;
  mount_attr readonly{};
};

// The child calls nothing but syscall() and errno (bound in the parent before clone(), see spawn()): any
// other libc function could be bound lazily on its first call, running the dynamic linker inside the child,
// in memory shared with our threads. Structures it passes to the kernel are prepared by the parent.
long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  return syscall(nr, a, b, c, d, e);
}

template <typename T>
long p2l(T* p) {
  return long(reinterpret_cast<uintptr_t>(p));
}

[[noreturn]] void exit_child(int code) {
  sys(SYS_exit_group, code);
  __builtin_unreachable();
}

[[noreturn]] void fail(int fd, int step) {
  int msg[2] = {step, errno};
  sys(SYS_write, fd, p2l(msg), sizeof msg);
  exit_child(127);
}

int dup_high(int fd) {
  return fd < 0 ? -1 : int(sys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 64));
}

bool move_fd(int from, int to) {
  return sys(SYS_dup3, from, to, 0) >= 0;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    long w = sys(SYS_write, fd, p2l(p), long(n));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

// The child (see spawn.h for the steps).
[[noreturn]] void child_main(const ChildArgs& a) {
  const SpawnSpec& s = *a.spec;
  int efd = a.error_w;
  sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  // Our handlers must never run here (shared memory), and ignored signals and the mask survive execve:
  // reset every handler to the default while everything is blocked (the parent blocked all), then unblock.
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sys(SYS_rt_sigaction, sig, p2l(&a.default_action), 0, 8);
  }
  sys(SYS_rt_sigprocmask, SIG_SETMASK, p2l(&a.empty_mask), 0, 8);

  // fds: move everything we keep above 63 first, so that no target clobbers a source.
  int in = dup_high(a.stdin_r), out = dup_high(a.stdout_w), err = dup_high(a.stderr_w);
  int chan = dup_high(a.channel_w), ep = dup_high(a.error_w), sync = dup_high(a.sync_r);
  if (in < 0 || out < 0 || err < 0 || ep < 0 || sync < 0 || (a.channel_w >= 0 && chan < 0)) {
    fail(efd, kStepFds);
  }
  if (!move_fd(ep, kErrorFd)) fail(efd, kStepFds);
  efd = kErrorFd;
  if (sys(SYS_fcntl, kErrorFd, F_SETFD, FD_CLOEXEC) < 0) fail(efd, kStepFds);
  if (!move_fd(in, 0) || !move_fd(out, 1) || !move_fd(err, 2) || !move_fd(sync, kSyncFd)) fail(efd, kStepFds);
  if (chan >= 0 ? !move_fd(chan, 3) : (sys(SYS_close, 3), false)) fail(efd, kStepFds);
  if (sys(SYS_close_range, kSyncFd + 1, ~0u, 0) < 0) fail(efd, kStepFds);

  // With namespaces the supervisor writes our uid/gid maps, then one byte (EOF: it gave up or died).
  char go = 0;
  long got;
  do {
    got = sys(SYS_read, kSyncFd, p2l(&go), 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) fail(efd, kStepSync);
  sys(SYS_close, kSyncFd);

  if (sys(SYS_setsid) < 0) fail(efd, kStepSetsid);

  if (s.namespaces && sys(SYS_mount, 0, p2l("/"), 0, MS_REC | MS_PRIVATE, 0) < 0)
    fail(efd, kStepMountPrivate);

  // With namespaces the ids change before the new root is built: the files it needs are created as the
  // sandbox's uid, because the supervisor's own (root) has no mapping in this user namespace. Dropping to
  // it keeps our capabilities here (the namespace's root uid is not mapped, so the kernel's set*id rule
  // that clears them does not apply); execve drops them.
  if (a.set_ids) {
    // setgroups is refused (EPERM) when the map writer had to deny it (unprivileged supervisor); then the
    // groups are the supervisor's own, which is fine.
    if (sys(SYS_setgroups, 0, 0) < 0 && errno != EPERM) fail(efd, kStepGroups);
    if (sys(SYS_setresgid, a.gid, a.gid, a.gid) < 0) fail(efd, kStepGid);
    if (sys(SYS_setresuid, a.uid, a.uid, a.uid) < 0) fail(efd, kStepUid);
  }
  if (s.namespaces) {
    if (s.restrict_reads) {
      if (enter_root(a.root) < 0) fail(efd, kStepRoot);
    } else if (sys(SYS_mount_setattr, AT_FDCWD, p2l("/"), AT_RECURSIVE, p2l(&a.readonly), sizeof a.readonly) <
               0) {
      fail(efd, kStepReadonly);
    } else {
      // The whole host file system readable (read-only): only for measuring what the allowlist costs.
      if (sys(SYS_mount, p2l("tmpfs"), p2l("/tmp"), p2l("tmpfs"), MS_NOSUID | MS_NODEV,
              p2l(a.tmpfs_options.c_str())) < 0) {
        fail(efd, kStepTmpfs);
      }
      // We are pid 1 of the new pid namespace, so this /proc shows only the sandbox.
      if (sys(SYS_mount, p2l("proc"), p2l("/proc"), p2l("proc"), MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
              0) < 0) {
        fail(efd, kStepProc);
      }
    }
  }

  // A credential change clears the parent-death signal: set it again, then make sure the parent did not
  // die in between (without a pid namespace; as pid 1 our parent is outside and getppid() is 0).
  if (sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL) < 0) fail(efd, kStepDeathSignal);
  if (!s.namespaces && sys(SYS_getppid) != a.parent) exit_child(127);

  if (s.namespaces) {
    if (sys(SYS_mkdirat, AT_FDCWD, p2l(a.workdir), 0700) < 0) fail(efd, kStepScratch);
    for (const ChildFile& f : a.files) {
      int fd = int(sys(SYS_openat, AT_FDCWD, p2l(f.path.c_str()),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (fd < 0) fail(efd, kStepFiles);
      if (!write_all(fd, f.data->data(), f.data->size())) fail(efd, kStepFiles);
      sys(SYS_close, fd);
    }
  }
  if (sys(SYS_chdir, p2l(a.workdir)) < 0) fail(efd, kStepChdir);

  for (const RLimit& r : a.rlimits) {
    if (sys(SYS_prlimit64, 0, r.resource, p2l(&r.value), 0) < 0) fail(efd, kStepRlimit);
  }
  if (sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(efd, kStepNoNewPrivs);
  if (landlock_apply(a.landlock, a.landlock_rules) < 0) fail(efd, kStepLandlock);
  if (a.use_seccomp && sys(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p2l(&a.prog)) < 0) {
    fail(efd, kStepSeccomp);
  }
  if (s.probe) exit_child(0);
  // The filter lets execve through only with exactly this pointer (seccomp_filter.h).
  sys(SYS_execve, p2l(a.exec_path.c_str()), p2l(a.argv.data()), p2l(a.envp.data()));
  fail(efd, kStepExec);
}

#if DC_SANDBOX_SHARED_VM
int child_entry(void* args) {
  child_main(*static_cast<const ChildArgs*>(args));
}
#endif

// A stack for the child when it shares our address space until its execve; a guard page at the bottom.
class ChildStack {
 public:
  ChildStack() {
    base_ = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base_ == MAP_FAILED) throw_error("sandbox: cannot map a stack: {}", strerror(errno));
    mprotect(base_, 4096, PROT_NONE);
  }
  ~ChildStack() { munmap(base_, kSize); }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  void* top() const { return static_cast<char*>(base_) + kSize; }

 private:
  static constexpr size_t kSize = 256 << 10;
  void* base_;
};

// Blocks every signal in this thread while alive, so that no handler of ours runs in the child before it
// has reset them (it shares our memory).
class BlockSignals {
 public:
  BlockSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_);
  }
  ~BlockSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) throw_error("sandbox: pipe2 failed: {}", strerror(errno));
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() { close_both(); }
  void close_both() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
    r = w = -1;
  }
  int take_r() { return std::exchange(r, -1); }
  int take_w() { return std::exchange(w, -1); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

bool write_proc(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size());
  close(fd);
  return ok;
}

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

rlimit lim(uint64_t soft, uint64_t hard) {
  return rlimit{rlim_t(soft), rlim_t(hard)};
}

}  // namespace

unsigned host_id_for_slot(int slot) {
  return kHostIdBase + unsigned(getpid() % 8192) * 256 + unsigned(slot % 256);
}

Spawned spawn(const SpawnSpec& spec) {
  DC_ASSERT(!spec.argv.empty() && spec.argv[0].size() > 0 && spec.argv[0][0] == '/');
  const bool root = geteuid() == 0;
  const Limits& L = spec.limits;

  ChildArgs a;
  a.spec = &spec;
  a.readonly.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
  a.exec_path = spec.argv[0];
  for (const std::string& s : spec.argv) a.argv.push_back(const_cast<char*>(s.c_str()));
  a.argv.push_back(nullptr);
  for (const std::string& s : spec.env) a.envp.push_back(const_cast<char*>(s.c_str()));
  a.envp.push_back(nullptr);
  uint64_t files_total = 0;
  for (const auto& [name, data] : spec.files) {
    a.files.push_back({std::string(kNamespaceScratch) + "/" + name, &data});
    files_total += data.size();
  }
  a.workdir = spec.namespaces ? kNamespaceScratch : spec.host_scratch.c_str();
  a.tmpfs_options = "size=" + std::to_string(scratch_bytes(L, files_total)) +
                    ",nr_inodes=" + std::to_string(kScratchFiles) +
                    ",mode=0755,uid=" + std::to_string(kSandboxUid) + ",gid=" + std::to_string(kSandboxUid);

  // RLIMIT_NPROC counts tasks of the real uid. Inside our user namespace that uid is ours alone; without
  // one it is shared (nobody, or the caller's own uid).
  const uint64_t cpu = uint64_t(std::max(1.0, spec.cpu_seconds + 0.999));
  a.rlimits = {{RLIMIT_AS, lim(L.memory_bytes, L.memory_bytes)},
               {RLIMIT_CPU, lim(cpu, cpu + 1)},
               {RLIMIT_FSIZE, lim(L.file_bytes, L.file_bytes)},
               {RLIMIT_NOFILE, lim(uint64_t(L.open_files), uint64_t(L.open_files))},
               {RLIMIT_CORE, lim(0, 0)}};
  // max_processes == 0: fork is refused by seccomp; the limit then only bounds threads, and is left out
  // where the uid is shared with processes outside the sandbox. With max_processes > 0 it is always set
  // (an unprivileged caller without namespaces then shares it with its own processes: fail closed).
  if (spec.namespaces || root || L.max_processes > 0) {
    const uint64_t tasks = L.max_processes > 0 ? uint64_t(L.max_processes) + 1 : 32;
    a.rlimits.push_back({RLIMIT_NPROC, lim(tasks, tasks)});
  }

  a.use_seccomp = spec.seccomp;
  if (spec.seccomp) {
    a.filter = seccomp_program(L.max_processes > 0, !spec.namespaces, a.exec_path.c_str());
    a.prog.len = static_cast<unsigned short>(a.filter.size());
    a.prog.filter = a.filter.data();
  }
  a.landlock = landlock_plan(spec.landlock ? landlock_abi() : 0);
  if (a.landlock.abi > 0) {
    std::vector<std::string> writable = {a.workdir};
    if (spec.namespaces) writable.push_back("/tmp");  // the private tmpfs
    a.landlock_rules = landlock_rules(a.landlock, writable, spec.namespaces);
    if (!spec.restrict_reads) a.landlock_rules.push_back({"/", a.landlock.read_dir});
  }
  if (spec.namespaces && spec.restrict_reads) a.root = root_plan(a.tmpfs_options);
  a.parent = getpid();
  if (spec.namespaces) {
    a.set_ids = true;
    a.uid = a.gid = kSandboxUid;
  } else {
    a.set_ids = root;
    a.uid = a.gid = host_id_for_slot(spec.slot);
  }

  Pipe in, out, err, chan, errp, sync;
  if (!spec.channel) chan.close_both();
  a.stdin_r = in.r;
  a.stdout_w = out.w;
  a.stderr_w = err.w;
  a.channel_w = chan.w;
  a.error_w = errp.w;
  a.sync_r = sync.r;

  int flags = SIGCHLD;
  if (spec.namespaces) {
    flags |= CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
  }
  // The child shares our address space (CLONE_VM, like posix_spawn's vfork) until its execve: copying the
  // page tables of a large caller (a loaded model) would cost a second or more per sandbox. It gets its own
  // stack, its own fd table and credentials, and writes nothing outside its stack. We stay in this
  // function (ChildArgs alive) until the error pipe says it has exec'd or died. Under sanitizers, whose
  // runtimes do not expect a second task on a foreign stack, the child gets a copy of our memory instead.
  BlockSignals blocked;
  // Bind the only two libc functions the child calls (syscall, and __errno_location behind errno) now,
  // so that a child never runs the dynamic linker's lazy binding.
  syscall(SYS_getpid);
  volatile int errno_now = errno;
  (void)errno_now;
#if DC_SANDBOX_SHARED_VM
  ChildStack stack;
  pid_t pid = clone(child_entry, stack.top(), flags | CLONE_VM, &a);
#else
  pid_t pid = pid_t(syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
  if (pid == 0) child_main(a);
#endif
  if (pid < 0) throw_error("sandbox: clone failed: {}", strerror(errno));
  close_fd(in.r);
  close_fd(out.w);
  close_fd(err.w);
  close_fd(chan.w);
  close_fd(errp.w);
  close_fd(sync.r);

  auto abandon = [&](const std::string& why) -> Spawned {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw_error("sandbox: {}", why);
  };

  if (spec.namespaces) {
    // Inside: uid/gid kSandboxUid. Outside: the slot's own id when we are root (never root itself), else
    // ourselves (an unprivileged writer may only map its own ids, and must deny setgroups first).
    const unsigned outer_uid = root ? host_id_for_slot(spec.slot) : geteuid();
    const unsigned outer_gid = root ? host_id_for_slot(spec.slot) : getegid();
    bool ok = root || write_proc(pid, "setgroups", "deny");
    ok = ok && write_proc(pid, "uid_map", fmt::format("{} {} 1\n", kSandboxUid, outer_uid));
    ok = ok && write_proc(pid, "gid_map", fmt::format("{} {} 1\n", kSandboxUid, outer_gid));
    if (!ok) abandon(fmt::format("cannot write the uid/gid maps of the user namespace: {}", strerror(errno)));
  }
  if (write(sync.w, "g", 1) != 1) abandon("cannot release the child");
  close_fd(sync.w);

  // The error pipe closes on a successful execve (O_CLOEXEC); otherwise it carries (step, errno).
  int msg[2] = {0, 0};
  ssize_t got;
  do {
    got = read(errp.r, msg, sizeof msg);
  } while (got < 0 && errno == EINTR);
  if (got != 0) {
    if (got == ssize_t(sizeof msg))
      abandon(fmt::format("set-up failed at {}: {}", step_name(msg[0]), strerror(msg[1])));
    abandon("set-up failed (the child died)");
  }

  Spawned r;
  r.pid = pid;
  r.pidfd = int(syscall(SYS_pidfd_open, pid, 0));
  if (r.pidfd < 0) abandon(fmt::format("pidfd_open failed: {}", strerror(errno)));
  fcntl(r.pidfd, F_SETFD, FD_CLOEXEC);
  r.stdin_w = in.take_w();
  r.stdout_r = out.take_r();
  r.stderr_r = err.take_r();
  r.channel_r = chan.take_r();
  for (int fd : {r.stdin_w, r.stdout_r, r.stderr_r, r.channel_r}) {
    if (fd >= 0) set_nonblocking(fd);
  }
  r.layers.process_group = true;
  r.layers.rlimits = true;
  r.layers.seccomp = spec.seccomp;
  r.layers.landlock = a.landlock.abi > 0;
  r.layers.user_ns = r.layers.net_ns = r.layers.pid_ns = r.layers.mount_ns = r.layers.readonly_root =
      spec.namespaces;
  r.layers.read_allowlist = spec.restrict_reads && (spec.namespaces || r.layers.landlock);
  return r;
}

}  // namespace dc::sandbox::detail

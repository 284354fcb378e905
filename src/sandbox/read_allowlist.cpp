// The read allowlist and the namespace root built from it (see read_allowlist.h).
#include "sandbox/read_allowlist.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dc::sandbox::detail {
namespace {

constexpr const char* kEntries[] = {
    "/usr",           "/bin",      "/sbin",     "/lib",
    "/lib32",         "/lib64",    "/libx32",   "/etc/ld.so.cache",
    "/etc/localtime", "/dev/null", "/dev/zero", "/dev/random",
    "/dev/urandom",
};

// Where the new root is assembled: a directory that exists on every Linux system. The tmpfs mounted over
// it lives only in the child's mount namespace.
constexpr const char* kStage = "/tmp";

std::vector<AllowedPath> probe_entries() {
  std::vector<AllowedPath> out;
  for (const char* p : kEntries) {
    struct stat st;
    if (lstat(p, &st) != 0) continue;
    AllowedPath a;
    a.path = p;
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(p, buf, sizeof buf - 1);
      if (n <= 0) continue;
      a.kind = AllowedPath::Kind::Symlink;
      a.link_target.assign(buf, size_t(n));
    } else if (S_ISDIR(st.st_mode)) {
      a.kind = AllowedPath::Kind::Directory;
    } else if (S_ISCHR(st.st_mode)) {
      a.kind = AllowedPath::Kind::Device;
    } else if (S_ISREG(st.st_mode)) {
      a.kind = AllowedPath::Kind::File;
    } else {
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  return syscall(nr, a, b, c, d, e);
}

template <typename T>
long p2l(const T* p) {
  return long(reinterpret_cast<uintptr_t>(p));
}

}  // namespace

const std::vector<AllowedPath>& read_allowlist() {
  static const std::vector<AllowedPath> list = probe_entries();
  return list;
}

RootPlan root_plan(const std::string& tmp_options) {
  RootPlan plan;
  plan.stage = kStage;
  // Holds only directories, empty mount points and links; read-only once assembled.
  plan.stage_options = "size=1m,nr_inodes=256,mode=0755";
  plan.read_only.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  plan.device.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
  const std::string s = kStage;
  auto step = [&](RootStep::Op op, std::string target, std::string source = {}) -> RootStep& {
    RootStep r;
    r.op = op;
    r.target = s + target;
    r.source = std::move(source);
    plan.steps.push_back(std::move(r));
    return plan.steps.back();
  };
  step(RootStep::Op::MakeDir, "/etc");
  step(RootStep::Op::MakeDir, "/dev");
  for (const AllowedPath& a : read_allowlist()) {
    switch (a.kind) {
      case AllowedPath::Kind::Symlink:
        step(RootStep::Op::Symlink, a.path, a.link_target);
        break;
      case AllowedPath::Kind::Directory:
        step(RootStep::Op::MakeDir, a.path);
        step(RootStep::Op::Bind, a.path, a.path).flags = MS_BIND | MS_REC;
        break;
      case AllowedPath::Kind::File:
      case AllowedPath::Kind::Device: {
        step(RootStep::Op::MakeFile, a.path);
        RootStep& b = step(RootStep::Op::Bind, a.path, a.path);
        b.flags = MS_BIND;
        b.read_only = a.kind == AllowedPath::Kind::File;
        break;
      }
    }
  }
  // What programs expect of /dev besides the devices.
  step(RootStep::Op::Symlink, "/dev/fd", "/proc/self/fd");
  step(RootStep::Op::Symlink, "/dev/stdin", "/proc/self/fd/0");
  step(RootStep::Op::Symlink, "/dev/stdout", "/proc/self/fd/1");
  step(RootStep::Op::Symlink, "/dev/stderr", "/proc/self/fd/2");
  // /proc of the new pid namespace: mounted before the pivot, while the host's /proc is still visible
  // (the kernel refuses a new proc mount in a user namespace that has no fully visible one).
  step(RootStep::Op::MakeDir, "/proc");
  RootStep& proc = step(RootStep::Op::Mount, "/proc", "proc");
  proc.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
  step(RootStep::Op::MakeDir, "/tmp");
  RootStep& tmp = step(RootStep::Op::Mount, "/tmp", "tmpfs");
  tmp.flags = MS_NOSUID | MS_NODEV;
  tmp.data = tmp_options;
  return plan;
}

int enter_root(const RootPlan& plan) {
  if (sys(SYS_mount, p2l("tmpfs"), p2l(plan.stage.c_str()), p2l("tmpfs"), MS_NOSUID | MS_NODEV,
          p2l(plan.stage_options.c_str())) < 0) {
    return -1;
  }
  for (const RootStep& s : plan.steps) {
    const long target = p2l(s.target.c_str());
    long rc = 0;
    switch (s.op) {
      case RootStep::Op::MakeDir:
        rc = sys(SYS_mkdirat, AT_FDCWD, target, 0755);
        break;
      case RootStep::Op::MakeFile: {
        rc = sys(SYS_openat, AT_FDCWD, target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (rc >= 0) rc = sys(SYS_close, rc);
        break;
      }
      case RootStep::Op::Symlink:
        rc = sys(SYS_symlinkat, p2l(s.source.c_str()), AT_FDCWD, target);
        break;
      case RootStep::Op::Bind: {
        rc = sys(SYS_mount, p2l(s.source.c_str()), target, 0, long(s.flags), 0);
        const mount_attr* attr = s.read_only ? &plan.read_only : &plan.device;
        if (rc == 0) {
          rc = sys(SYS_mount_setattr, AT_FDCWD, target, (s.flags & MS_REC) ? AT_RECURSIVE : 0, p2l(attr),
                   sizeof *attr);
        }
        break;
      }
      case RootStep::Op::Mount:
        rc = sys(SYS_mount, p2l(s.source.c_str()), target, p2l(s.source.c_str()), long(s.flags),
                 s.data.empty() ? 0 : p2l(s.data.c_str()));
        break;
    }
    if (rc < 0) return -1;
  }
  // pivot_root(".", "."): the old root ends up stacked on the new one, and detaching it leaves only the
  // new root in this mount namespace.
  if (sys(SYS_chdir, p2l(plan.stage.c_str())) < 0) return -1;
  if (sys(SYS_pivot_root, p2l("."), p2l(".")) < 0) return -1;
  if (sys(SYS_umount2, p2l("."), MNT_DETACH) < 0) return -1;
  if (sys(SYS_chdir, p2l("/")) < 0) return -1;
  return int(sys(SYS_mount_setattr, AT_FDCWD, p2l("/"), 0, p2l(&plan.read_only), sizeof plan.read_only));
}

}  // namespace dc::sandbox::detail

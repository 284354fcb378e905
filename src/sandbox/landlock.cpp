// The Landlock layer (see landlock.h). The uapi structs are declared here with every field up to ABI 6,
// because the installed kernel headers may be older than the running kernel; the kernel accepts a larger
// struct as long as the fields it does not know are zero, and we only set fields the ABI supports.
#include "sandbox/landlock.h"

#include "sandbox/read_allowlist.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dc::sandbox::detail {
namespace {

constexpr long kCreateRuleset = 444, kAddRule = 445, kRestrictSelf = 446;  // x86_64 and generic
constexpr uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

// Filesystem rights (uapi/linux/landlock.h).
constexpr uint64_t kExecute = 1ull << 0, kWriteFile = 1ull << 1, kReadFile = 1ull << 2, kReadDir = 1ull << 3,
                   kRemoveDir = 1ull << 4, kRemoveFile = 1ull << 5, kMakeChar = 1ull << 6,
                   kMakeDir = 1ull << 7, kMakeReg = 1ull << 8, kMakeSock = 1ull << 9, kMakeFifo = 1ull << 10,
                   kMakeBlock = 1ull << 11, kMakeSym = 1ull << 12, kRefer = 1ull << 13 /*ABI 2*/,
                   kTruncate = 1ull << 14 /*ABI 3*/;
constexpr uint64_t kNetBindTcp = 1ull << 0, kNetConnectTcp = 1ull << 1;       // ABI 4
constexpr uint64_t kScopeAbstractUnix = 1ull << 0, kScopeSignal = 1ull << 1;  // ABI 6

struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct __attribute__((packed)) PathBeneath {
  uint64_t allowed_access;
  int32_t parent_fd;
};

// Only syscall() below: this runs in the sandbox's child between clone() and execve (spawn.cpp).
int add_path(int ruleset, const char* path, uint64_t access) {
  int fd = int(syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC));
  if (fd < 0) return -1;
  PathBeneath pb;
  pb.allowed_access = access;
  pb.parent_fd = fd;
  long rc = syscall(kAddRule, ruleset, kRulePathBeneath, &pb, 0);
  int e = errno;
  syscall(SYS_close, fd);
  errno = e;
  return rc < 0 ? -1 : 0;
}

}  // namespace

int landlock_abi() {
  static const int abi = [] {
    long v = syscall(kCreateRuleset, nullptr, 0, kCreateRulesetVersion);
    return v < 0 ? 0 : int(v);
  }();
  return abi;
}

LandlockPlan landlock_plan(int abi) {
  LandlockPlan p;
  p.abi = abi;
  if (abi <= 0) return p;
  p.handled_fs = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile | kMakeChar |
                 kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym;
  p.read_dir = kExecute | kReadFile | kReadDir;
  p.read_file = kReadFile;
  p.dev_null = kReadFile | kWriteFile;
  if (abi >= 2) p.handled_fs |= kRefer;
  if (abi >= 3) {
    p.handled_fs |= kTruncate;
    p.dev_null |= kTruncate;
  }
  if (abi >= 4) p.handled_net = kNetBindTcp | kNetConnectTcp;
  if (abi >= 6) p.scoped = kScopeAbstractUnix | kScopeSignal;
  return p;
}

std::vector<LandlockRule> landlock_rules(const LandlockPlan& plan,
                                         const std::vector<std::string>& writable_dirs, bool private_proc) {
  std::vector<LandlockRule> rules;
  for (const std::string& d : writable_dirs) rules.push_back({d, plan.handled_fs});
  for (const AllowedPath& a : read_allowlist()) {
    switch (a.kind) {
      case AllowedPath::Kind::Directory:
        rules.push_back({a.path, plan.read_dir});
        break;
      case AllowedPath::Kind::File:
      case AllowedPath::Kind::Device:
        rules.push_back({a.path, a.path == "/dev/null" ? plan.dev_null : plan.read_file});
        break;
      case AllowedPath::Kind::Symlink:  // its target is on the list (or it leads nowhere readable)
        break;
    }
  }
  rules.push_back({private_proc ? "/proc" : "/proc/self", plan.read_dir & ~kExecute});
  return rules;
}

int landlock_apply(const LandlockPlan& plan, const std::vector<LandlockRule>& rules) {
  if (plan.abi <= 0) return 0;
  RulesetAttr attr;
  attr.handled_access_fs = plan.handled_fs;
  attr.handled_access_net = plan.handled_net;
  attr.scoped = plan.scoped;
  // Older ABIs get the struct cut to the fields they know.
  const size_t size = plan.abi >= 6 ? sizeof attr : plan.abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
  int rs = int(syscall(kCreateRuleset, &attr, size, 0));
  if (rs < 0) return -1;
  int rc = 0;
  for (const LandlockRule& r : rules) {
    if (rc == 0) rc = add_path(rs, r.path.c_str(), r.access);
  }
  if (rc == 0 && syscall(kRestrictSelf, rs, 0) < 0) rc = -1;
  int e = errno;
  syscall(SYS_close, rs);
  errno = e;
  return rc;
}

}  // namespace dc::sandbox::detail

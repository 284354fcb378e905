// The host scratch directory: creation and removal (see scratch.h).
#include "sandbox/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace dc::sandbox::detail {
namespace {

// The names in an open directory, except "." and "..".
std::vector<std::string> list(int dirfd) {
  std::vector<std::string> names;
  int fd = dup(dirfd);
  if (fd < 0) return names;
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return names;
  }
  rewinddir(d);
  while (dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  closedir(d);
  return names;
}

}  // namespace

bool valid_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos && name.size() < 256;
}

std::string make_host_scratch(const std::vector<std::pair<std::string, std::string>>& files, int owner) {
  const char* tmp = getenv("TMPDIR");
  std::string templ = std::string(tmp && tmp[0] == '/' ? tmp : "/tmp") + "/dc-sandbox-XXXXXX";
  if (!mkdtemp(templ.data()))
    throw_error("{}: cannot create the sandbox scratch directory: {}", templ, strerror(errno));
  const std::string dir = templ;
  auto give_up = [&](const std::string& what) {
    int e = errno;
    remove_tree(dir);
    throw_error("{}: {}: {}", dir, what, strerror(e));
  };
  if (owner >= 0 && chown(dir.c_str(), uid_t(owner), gid_t(owner)) < 0) give_up("cannot chown");
  for (const auto& [name, data] : files) {
    DC_ASSERT(valid_file_name(name));
    std::string path = dir + "/" + name;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) give_up("cannot create " + name);
    size_t off = 0;
    while (off < data.size()) {
      ssize_t w = write(fd, data.data() + off, data.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        close(fd);
        give_up("cannot write " + name);
      }
      off += size_t(w);
    }
    if (owner >= 0 && fchown(fd, uid_t(owner), gid_t(owner)) < 0) {
      close(fd);
      give_up("cannot chown " + name);
    }
    close(fd);
  }
  return dir;
}

namespace {

// Adds what the directory `dirfd` holds (recursively) to bytes/entries; false once over a cap.
bool add_usage(int dirfd, uint64_t max_bytes, uint64_t max_entries, uint64_t& bytes, uint64_t& entries) {
  for (const std::string& name : list(dirfd)) {
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed meanwhile
    bytes += uint64_t(st.st_blocks) * 512;
    if (++entries > max_entries || bytes > max_bytes) return false;
    if (!S_ISDIR(st.st_mode)) continue;
    int sub = openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    bool ok = add_usage(sub, max_bytes, max_entries, bytes, entries);
    close(sub);
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool scratch_within(const std::string& dir, uint64_t max_bytes, uint64_t max_entries) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return true;
  uint64_t bytes = 0, entries = 0;
  bool ok = add_usage(fd, max_bytes, max_entries, bytes, entries);
  close(fd);
  return ok;
}

bool remove_tree(const std::string& path) {
  chmod(path.c_str(), 0700);
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return unlink(path.c_str()) == 0 || errno == ENOENT;
  std::vector<std::string> stack;  // names from `path` down to the directory `fd` is open on
  bool ok = true;
  for (;;) {
    std::vector<std::string> names = list(fd);
    if (names.empty()) {
      if (stack.empty()) break;
      int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      close(fd);
      if (parent < 0) return false;
      fd = parent;
      if (unlinkat(fd, stack.back().c_str(), AT_REMOVEDIR) < 0) {
        ok = false;
        break;
      }
      stack.pop_back();
      continue;
    }
    fchmod(fd, 0700);  // the program may have made its directory read-only
    std::string subdir;
    bool progress = false;
    for (const std::string& name : names) {
      if (unlinkat(fd, name.c_str(), 0) == 0) {
        progress = true;
      } else if (errno == EISDIR && subdir.empty()) {
        subdir = name;
      }
    }
    if (!subdir.empty()) {
      fchmodat(fd, subdir.c_str(), 0700, 0);
      int sub = openat(fd, subdir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        close(fd);
        fd = sub;
        stack.push_back(subdir);
        continue;
      }
    }
    if (!progress) {
      ok = false;
      break;
    }
  }
  close(fd);
  return ok && rmdir(path.c_str()) == 0;
}

}  // namespace dc::sandbox::detail
